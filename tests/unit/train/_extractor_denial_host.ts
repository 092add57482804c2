/**
 * Host process for the extractor worker permission tests, run with every permission
 * (`-A`) so that only the worker's own permission set can deny anything. Trains one
 * short extractor through trainExtractorInWorker (the path of
 * `run.parallel_extractors` > 1) with `_extractor_denial_probe.ts` as the worker
 * entry, on a map file outside the project, and prints the probe's report, the
 * manifest events the worker sent, and the training result as JSON.
 *
 * Usage: deno run -A tests/unit/train/_extractor_denial_host.ts
 *
 * @module
 */
import { join } from "node:path";
import { stringify } from "yaml";
import { parseScenario } from "../../../lib/config/mod.ts";
import type { ManifestEventInput } from "../../../lib/run/mod.ts";
import { testModeSettings, trainExtractorInWorker } from "../../../lib/train/mod.ts";
import { PROJECT_ROOT } from "../../../lib/workers/mod.ts";

const runDir = await Deno.makeTempDir({ prefix: "denial-run-" });
try {
  await Deno.writeTextFile(join(runDir, "secret.txt"), "secret");
  // The map as a file outside the project: the worker may read exactly this file.
  const mapDir = join(runDir, "maps");
  await Deno.mkdir(mapDir);
  const mapPath = join(mapDir, "open_field.json");
  await Deno.copyFile(join(PROJECT_ROOT, "configs/maps/open_field.json"), mapPath);
  const scenarioFile = join(runDir, "scenario.yaml");
  const scenario = await parseScenario(
    stringify({
      run: { run_id: "denial", total_timesteps: 64, eval_freq: 64, save_freq: 64, seed: 3 },
      env: { map: mapPath, episode_seconds: 2 },
      extractors: [{ name: "probe", preset: "mlp_small" }],
    }),
    { file: scenarioFile },
  );
  const extractorDir = join(runDir, "extractors", "probe");
  await Deno.mkdir(extractorDir, { recursive: true });
  const events: ManifestEventInput[] = [];
  const result = await trainExtractorInWorker({
    profile: scenario.extractors[0],
    settings: testModeSettings(scenario.settings),
    extractorDir,
    runDir,
    manifest: { append: (event) => Promise.resolve(events.push(event)) },
    workerModule: new URL("./_extractor_denial_probe.ts", import.meta.url),
  });
  const report = JSON.parse(await Deno.readTextFile(join(extractorDir, "denial_report.json")));
  const exists = (path: string) => Deno.stat(path).then(() => true, () => false);
  console.log(JSON.stringify({
    runDir,
    extractorDir,
    report,
    events: events.map((e) => e.event),
    result: { trainingSteps: result.trainingSteps, artifacts: result.artifacts },
    writtenRunDir: await exists(join(runDir, "written.txt")),
    siblingCreated: await exists(join(runDir, "extractors", "other")),
  }));
} finally {
  await Deno.remove(runDir, { recursive: true });
}
