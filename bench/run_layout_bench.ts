/**
 * Costs of the run bookkeeping that happens during training: one manifest line
 * (validated, locked, fsync'd), one atomic metrics.json write, parsing a scenario.
 * Run with `deno task bench`; results in docs/benchmarks.md.
 */
import { ManifestWriter, writeJsonFileAtomic } from "../lib/run/mod.ts";
import { parseScenario } from "../lib/config/mod.ts";

const dir = await Deno.makeTempDir({ prefix: "multi-extractor-bench-" });
const manifest = await ManifestWriter.open(`${dir}/manifest.jsonl`);
const scenarioText = await Deno.readTextFile(
  new URL("../configs/scenarios/multi_extractor_default.yaml", import.meta.url),
);
let step = 0;

Deno.bench("manifest append: evaluation_done line, fsync", async () => {
  step += 512;
  await manifest.append({
    event: "evaluation_done",
    extractor: "mlp_small",
    timestep: step,
    mean_reward: -0.5,
    std_reward: 0.1,
  });
});

Deno.bench("atomic write: metrics.json (temp + fsync + rename + dir fsync)", async () => {
  await writeJsonFileAtomic(`${dir}/metrics.json`, {
    best_mean_reward: -0.2,
    last_mean_reward: -0.3,
    total_parameters: 50677,
  });
});

Deno.bench("parse and validate the default scenario", async () => {
  await parseScenario(scenarioText, { file: "multi_extractor_default.yaml" });
});

globalThis.addEventListener("unload", () => {
  manifest.close();
  Deno.removeSync(dir, { recursive: true });
});
