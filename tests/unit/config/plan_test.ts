import assert from "node:assert/strict";
import {
  CUDA_PROVIDER_INSTALL,
  formatRunPlan,
  parseScenario,
  planRun,
  PPO_DEFAULTS,
  resolvedConfig,
  resolveParallelTrials,
  resolvePrefetchMasks,
  resolveWorkerCount,
  resourceSkipReason,
  RUN_DEFAULTS,
} from "../../../lib/config/mod.ts";

const SCENARIO = `run:
  run_id: plan test
  worker_mode: vectorized
  num_envs: 8
  ppo:
    n_steps: 256
    gamma: 0.98
extractors:
  - {name: cnn, preset: lightweight_cnn, expected_resources: gpu}
  - {name: mlp, preset: mlp_small}
  - {name: bad, preset: mlp_small, parameters: {dropout_rate: 5}}
`;

const noCuda = { cudaUsable: false, logicalCores: 4 };
const env = (values: Record<string, string>) => (name: string) => values[name];

Deno.test("resourceSkipReason() skips GPU extractors and cuda runs without CUDA only", async () => {
  const scenario = await parseScenario(SCENARIO);
  const [cnn, mlp] = scenario.extractors;
  const cpu = { device: "cpu" as const, cudaUsable: false };
  assert.match(resourceSkipReason(cnn, cpu)?.reason ?? "", /expects GPU resources/);
  assert.equal(resourceSkipReason(mlp, cpu), null);
  assert.equal(resourceSkipReason(cnn, { ...cpu, cudaUsable: true }), null);
  assert.match(
    resourceSkipReason(mlp, { device: "cuda", cudaUsable: false })?.reason ?? "",
    /CUDA device requested/,
  );
  assert.equal(resourceSkipReason(mlp, { device: "cuda", cudaUsable: true }), null);
});

Deno.test("resolveWorkerCount() is 1, env_workers, or min(num_envs, cores)", () => {
  assert.equal(resolveWorkerCount({ ...RUN_DEFAULTS, num_envs: 8 }, { logicalCores: 4 }), 1);
  const vectorized = { ...RUN_DEFAULTS, worker_mode: "vectorized" as const, num_envs: 8 };
  assert.equal(resolveWorkerCount(vectorized, { logicalCores: 4 }), 4);
  assert.equal(resolveWorkerCount(vectorized, { logicalCores: 16 }), 8);
  assert.equal(resolveWorkerCount({ ...vectorized, env_workers: 3 }, { logicalCores: 16 }), 3);
  // A worker steps at least one env: env_workers above num_envs starts num_envs workers.
  assert.equal(
    resolveWorkerCount({ ...vectorized, num_envs: 2, env_workers: 6 }, { logicalCores: 16 }),
    2,
  );
});

Deno.test("resolveParallelTrials() keeps an explicit setting; null fills the cores, env workers counted", () => {
  const single = { ...RUN_DEFAULTS, parallel_extractors: null };
  // Single-thread: one busy thread per trial, at most the trials to train.
  assert.equal(resolveParallelTrials(single, { logicalCores: 2 }, 10, 1), 2);
  assert.equal(resolveParallelTrials(single, { logicalCores: 16 }, 10, 1), 10);
  assert.equal(resolveParallelTrials(single, { logicalCores: 1 }, 10, 1), 1);
  assert.equal(resolveParallelTrials(single, { logicalCores: 8 }, 0, 1), 1);
  // Vectorized: each trial keeps its env workers busy: 2 cores / 2 workers = 1 trial,
  // 16 cores / 3 workers = 5 trials, 16 / 4 = 4 (of 10).
  const vectorized = { ...single, worker_mode: "vectorized" as const };
  assert.equal(resolveParallelTrials(vectorized, { logicalCores: 2 }, 10, 2), 1);
  assert.equal(resolveParallelTrials(vectorized, { logicalCores: 16 }, 10, 3), 5);
  assert.equal(resolveParallelTrials(vectorized, { logicalCores: 16 }, 10, 4), 4);
  assert.equal(resolveParallelTrials(vectorized, { logicalCores: 2 }, 10, 4), 1);
  // An explicit number keeps its meaning, also above the cores or the trials.
  assert.equal(
    resolveParallelTrials({ ...single, parallel_extractors: 1 }, { logicalCores: 16 }, 10, 1),
    1,
  );
  assert.equal(
    resolveParallelTrials({ ...single, parallel_extractors: 64 }, { logicalCores: 2 }, 2, 1),
    64,
  );
});

Deno.test("planRun() counts trials (runnable extractors x seeds) and prints the trials at once", async () => {
  const scenario = await parseScenario(`run:
  num_seeds: 5
extractors:
  - {name: a, preset: mlp_small}
  - {name: b, preset: mlp_small}
  - {name: gpu, preset: mlp_small, expected_resources: gpu}
`);
  const plan = planRun(scenario, { host: { cudaUsable: false, logicalCores: 2 }, env: env({}) });
  assert.equal(plan.trials, 10);
  assert.equal(plan.parallel_trials, 2);
  assert.match(
    formatRunPlan(plan),
    /Trials at once: 2 \(run\.parallel_extractors null: chosen from 2 logical cores and 10 trials\), each in an extractor worker/,
  );
  const one = await parseScenario(`run:
  parallel_extractors: 1
extractors:
  - {name: a, preset: mlp_small}
`);
  const text = formatRunPlan(planRun(one, { host: noCuda, env: env({}) }));
  assert.match(
    text,
    /Trials at once: 1 \(run\.parallel_extractors 1, 1 trial\), one after another/,
  );
});

Deno.test("planRun() warns how to install the CUDA provider when it skips an extractor for CUDA", async () => {
  const scenario = await parseScenario(SCENARIO);
  const host = { ...noCuda, cudaReason: "libonnxruntime_providers_cuda.so not found" };
  const plan = planRun(scenario, { host, env: env({}) });
  const warning = plan.warnings.find((w) => w.startsWith("CUDA execution provider not usable"));
  assert.ok(warning !== undefined, plan.warnings.join("\n"));
  assert.ok(warning.includes(": libonnxruntime_providers_cuda.so not found; "));
  assert.ok(warning.endsWith(CUDA_PROVIDER_INSTALL));
  assert.match(
    CUDA_PROVIDER_INSTALL,
    /ONNXRUNTIME_NODE_INSTALL=cuda12 deno install --allow-scripts=npm:onnxruntime-node/,
  );
  assert.match(CUDA_PROVIDER_INSTALL, /CUDA 12\.x and cuDNN 9\.x/);
  // No warning when CUDA works, or when nothing is skipped for it (only an invalid entry).
  const withCuda = planRun(scenario, { host: { ...host, cudaUsable: true }, env: env({}) });
  assert.ok(!withCuda.warnings.some((w) => w.includes("CUDA execution provider")));
  const cpuOnly = await parseScenario(`run: {run_id: x}
extractors:
  - {name: mlp, preset: mlp_small}
  - {name: bad, preset: mlp_small, parameters: {dropout_rate: 5}}
`);
  const plain = planRun(cpuOnly, { host, env: env({}) });
  assert.ok(!plain.warnings.some((w) => w.includes("CUDA execution provider")));
});

Deno.test("planRun() names the run directory from the UTC time and normalised run id", async () => {
  const scenario = await parseScenario(SCENARIO);
  const plan = planRun(scenario, {
    host: noCuda,
    now: new Date("2026-03-04T05:06:07Z"),
    env: env({}),
  });
  assert.ok(plan.run_directory.endsWith("/tmp/multi_extractor_training/20260304-050607-plan_test"));
  assert.equal(plan.output_root_source, "default");
  assert.equal(plan.workers, 4);
  assert.deepEqual(plan.extractors.map((e) => [e.name, e.action]), [
    ["cnn", "skip"],
    ["mlp", "run"],
    ["bad", "skip"],
  ]);
  assert.match(plan.extractors[2].reason ?? "", /^invalid entry at line 11: /);
});

Deno.test("planRun() takes the output root from flag, config, then the environment", async () => {
  const withRoot = await parseScenario(
    "run:\n  output_root: /cfg\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  const plain = await parseScenario("extractors:\n  - {name: a, preset: mlp_small}\n");
  const now = new Date("2026-01-01T00:00:00Z");
  const both = env({ MULTI_EXTRACTOR_TMP: "/ours", ROBOT_SF_MULTI_EXTRACTOR_TMP: "/ref" });
  const dir = (scenario: typeof plain, flag: string | null, e: (n: string) => string | undefined) =>
    planRun(scenario, { host: noCuda, now, env: e, outputRootFlag: flag }).run_directory;
  assert.equal(dir(withRoot, "/flag", both), "/flag/20260101-000000-default");
  assert.equal(dir(withRoot, null, both), "/cfg/20260101-000000-default");
  assert.equal(dir(plain, null, both), "/ours/20260101-000000-default");
  assert.equal(
    dir(plain, null, env({ ROBOT_SF_MULTI_EXTRACTOR_TMP: "/ref" })),
    "/ref/20260101-000000-default",
  );
});

Deno.test("formatRunPlan() shows defaults, skip reasons and the run directory", async () => {
  const scenario = await parseScenario(SCENARIO);
  const text = formatRunPlan(planRun(scenario, { host: noCuda, env: env({}) }));
  assert.match(text, /total_timesteps\s+4096/);
  assert.match(text, /1\. cnn {2}SKIP {2}Extractor expects GPU resources/);
  assert.match(text, /2\. mlp {2}run {3}preset mlp_small, features_dim 40, priority 0/);
  assert.match(text, /Run directory \(not created\): .*-plan_test/);
});

Deno.test("formatRunPlan() nests the PPO hyperparameters under run, as in the file", async () => {
  const scenario = await parseScenario(SCENARIO);
  const text = formatRunPlan(planRun(scenario, { host: noCuda, env: env({}) }));
  const lines = text.split("\n");
  const run = lines.indexOf("run:");
  const ppo = lines.indexOf("  ppo:");
  const envBlock = lines.indexOf("env:");
  assert.ok(run >= 0 && run < ppo && ppo < envBlock, text);
  assert.equal(lines.includes("ppo:"), false, text);
  const ppoLines = lines.slice(ppo + 1, envBlock - 1);
  assert.equal(ppoLines.length, Object.keys(PPO_DEFAULTS).length, text);
  assert.ok(ppoLines.every((line) => line.startsWith("    ") && line[4] !== " "), text);
  assert.ok(ppoLines.some((line) => /^ {4}n_steps +256$/.test(line)), text);
  assert.ok(ppoLines.some((line) => /^ {4}gamma +0\.98$/.test(line)), text);
  assert.equal(lines[envBlock - 1], "", text);
});

Deno.test("planRun() settings have the file's shape: PPO hyperparameters in run.ppo", async () => {
  const scenario = await parseScenario(SCENARIO);
  const plan = planRun(scenario, { host: noCuda, env: env({}) });
  assert.deepEqual(plan.settings.run.ppo, { ...PPO_DEFAULTS, n_steps: 256, gamma: 0.98 });
  assert.equal("ppo" in plan.settings, false);
  assert.equal("ppo" in scenario.settings.run, false, "the scenario's settings are not changed");
});

Deno.test("resolvedConfig() is plain JSON with every entry name in run order", async () => {
  const scenario = await parseScenario(SCENARIO);
  const config = resolvedConfig(scenario);
  assert.deepEqual(JSON.parse(JSON.stringify(config)), config);
  assert.deepEqual(config.order, ["cnn", "mlp", "bad"]);
  assert.equal("ppo" in config, false);
  const run = config.run as Record<string, unknown>;
  assert.deepEqual(run.ppo, { ...PPO_DEFAULTS, n_steps: 256, gamma: 0.98 });
  assert.equal(run.num_envs, 8);
});

Deno.test("resolvePrefetchMasks() prefetches only while fewer trials train at once than there are cores", () => {
  // Two trials at once on 2 cores: every core updates, masks inline.
  assert.equal(resolvePrefetchMasks(2, 10, 2), false);
  // One at a time on 2 cores: the second core fills the masks.
  assert.equal(resolvePrefetchMasks(1, 10, 2), true);
  // Two allowed but only one trial to train.
  assert.equal(resolvePrefetchMasks(2, 1, 2), true);
  assert.equal(resolvePrefetchMasks(4, 10, 8), true);
  assert.equal(resolvePrefetchMasks(8, 10, 8), false);
  // One core: nothing to overlap with.
  assert.equal(resolvePrefetchMasks(1, 1, 1), false);
});
