/**
 * Helpers of the lib/train unit tests: scenario files in temporary directories and a
 * hand-made hardware report (no probing), so the tests decide whether CUDA is usable.
 */
import * as nodePath from "node:path";
import type { HardwareReport } from "../../../lib/hardware/mod.ts";

/** A hardware report of a 2-core host; CUDA usable only when asked. */
export function hostReport(options: { cuda?: boolean } = {}): HardwareReport {
  return {
    profile: {
      platform: "Debian GNU/Linux 12 (linux 6.1.0)",
      arch: "x86_64",
      python_version: `deno ${Deno.version.deno}`,
      runtime: "deno",
      deno_version: Deno.version.deno,
      workers: 1,
      hostname: "unit-test-host",
      logical_cores: 2,
      execution_providers: options.cuda ? ["cpu", "cuda"] : ["cpu"],
    },
    execution_providers: [
      { name: "cpu", usable: true, error: null },
      { name: "cuda", usable: options.cuda ?? false, error: options.cuda ? null : "not built" },
    ],
    nvidia: null,
    notes: [],
    elapsed_ms: 0,
  };
}

/** A temporary directory with a scenario file; `cleanup()` removes it. */
export async function scenarioFile(
  text: string,
): Promise<{ dir: string; file: string; root: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "train-unit-" });
  const file = nodePath.join(dir, "scenario.yaml");
  await Deno.writeTextFile(file, text);
  return {
    dir,
    file,
    root: nodePath.join(dir, "runs"),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

/** Names of the entries of a directory, sorted; [] when it does not exist. */
export async function listDir(path: string): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(path)) names.push(entry.name);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names.sort();
}
