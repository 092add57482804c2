/**
 * Helpers of the lib/train unit tests: scenario files in temporary directories and a
 * hand-made hardware report (no probing), so the tests decide whether CUDA is usable.
 */
import * as nodePath from "node:path";
import type { HardwareReport } from "../../../lib/hardware/mod.ts";
import { saveTrainerCheckpoint } from "../../../lib/rl/mod.ts";
import { sha256Hex } from "../../../lib/run/mod.ts";
import type { TrainExtractorOptions } from "../../../lib/train/mod.ts";

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

/** Write a real trainer checkpoint (lib/rl's encoder) and its manifest event, as the trainer does. */
export async function writeTrainerCheckpoint(
  options: TrainExtractorOptions,
  step: number,
): Promise<string> {
  const dir = nodePath.join(options.extractorDir, "checkpoints");
  await Deno.mkdir(dir, { recursive: true });
  const path = nodePath.join(dir, `checkpoint_${step}_steps.ckpt`);
  const bytes = await saveTrainerCheckpoint(path, {
    state: { step },
    network: {
      parameters: Float32Array.of(step, 1),
      buffers: new Float32Array(0),
      layout: { parameters: [{ name: "w", shape: [2] }], buffers: [] },
      metadata: {},
    },
    arrays: {},
  });
  const relative = nodePath.relative(options.runDir, path);
  await options.manifest?.append({
    event: "checkpoint_written",
    extractor: options.profile.name,
    path: relative,
    step,
    sha256: await sha256Hex(bytes),
  });
  return relative;
}
