import assert from "node:assert/strict";
import {
  ENV_DEFAULTS,
  loadScenario,
  parseScenario,
  PPO_DEFAULTS,
  RUN_DEFAULTS,
} from "../../../lib/config/mod.ts";
import scenarioSchema from "../../../contracts/scenario.schema.json" with { type: "json" };

const DEFAULT_CONFIG = "configs/scenarios/multi_extractor_default.yaml";
const GPU_CONFIG = "configs/scenarios/multi_extractor_gpu.yaml";

Deno.test("RUN_DEFAULTS are the reference workflow's default run settings", () => {
  // REFERENCE.md, "The reference workflow's behaviour".
  assert.deepEqual(RUN_DEFAULTS, {
    run_id: "default",
    worker_mode: "single-thread",
    num_envs: 1,
    total_timesteps: 4096,
    eval_freq: 512,
    save_freq: 2048,
    n_eval_episodes: 3,
    device: "cpu",
    seed: 42,
    output_root: null,
    baseline_extractor: null,
    convergence_fraction: 0.95,
    env_workers: null,
    parallel_extractors: null,
  });
});

Deno.test("PPO_DEFAULTS are Stable-Baselines3's PPO defaults", () => {
  // REFERENCE.md, "PPO (Stable-Baselines3 defaults)".
  assert.deepEqual(PPO_DEFAULTS, {
    learning_rate: 3e-4,
    lr_schedule: "constant",
    n_steps: 2048,
    batch_size: 64,
    n_epochs: 10,
    gamma: 0.99,
    gae_lambda: 0.95,
    clip_range: 0.2,
    ent_coef: 0,
    vf_coef: 0.5,
    max_grad_norm: 0.5,
    target_kl: null,
    normalize_advantage: true,
  });
});

Deno.test("ENV_DEFAULTS use the campus map, difficulty 0 and the reference densities", () => {
  assert.deepEqual(ENV_DEFAULTS, {
    map: "default",
    difficulty: 0,
    ped_density_by_difficulty: [0.01, 0.02, 0.04, 0.08],
    episode_seconds: 200,
    robot: "differential",
    time_limit: "truncation",
  });
});

Deno.test("the evaluation block defaults: deterministic, no suite, 0.5 m comfort, all baselines", async () => {
  const scenario = await parseScenario("extractors:\n  - name: m\n    preset: mlp_small\n");
  assert.deepEqual(scenario.settings.evaluation, {
    final_episodes: 50,
    held_out_seed_start: 1_000_000_000,
    deterministic: true,
    maps: [],
    map_paths: [],
    comfort_distance: 0.5,
    baselines: {
      enabled: true,
      controllers: ["zero", "random", "constant_forward", "goal_seeking"],
      episodes: null,
    },
  });
});

Deno.test("evaluation.maps resolve against the scenario file; bad keys name their line", async () => {
  const text =
    "evaluation:\n  maps: [open_field, ../maps/x.svg]\n  baselines:\n    controllers: [zero]\n" +
    "env:\n  time_limit: termination\nextractors:\n  - name: m\n    preset: mlp_small\n";
  const scenario = await parseScenario(text, { file: "/tmp/suite/s.yaml" });
  assert.deepEqual(scenario.settings.evaluation.map_paths, ["open_field", "/tmp/maps/x.svg"]);
  assert.equal(scenario.settings.env.time_limit, "termination");
  await assert.rejects(
    parseScenario("evaluation:\n  baselines:\n    controllers: [forward]\nextractors: []\n"),
    (e: Error) => /:3:\d+: evaluation\.baselines\.controllers\[0\]: must be one of/.test(e.message),
  );
});

Deno.test("a scenario with only extractors gets every default", async () => {
  const scenario = await parseScenario("extractors:\n  - name: m\n    preset: mlp_small\n");
  assert.deepEqual(scenario.settings.run, RUN_DEFAULTS);
  assert.deepEqual(scenario.settings.ppo, PPO_DEFAULTS);
  assert.deepEqual(scenario.settings.env, { ...ENV_DEFAULTS, map_path: null });
  assert.equal(scenario.settings.slurm, null);
  const [profile] = scenario.extractors;
  assert.equal(profile.expected_resources, "cpu");
  assert.equal(profile.priority, 0);
  assert.equal(profile.description, null);
  assert.deepEqual(profile.overrides, {});
});

Deno.test("the shipped default scenario matches the reference's default config", async () => {
  const scenario = await loadScenario(DEFAULT_CONFIG);
  const { run } = scenario.settings;
  assert.equal(run.run_id, "default");
  assert.equal(run.worker_mode, "single-thread");
  assert.equal(run.seed, 42);
  assert.equal(run.device, "cpu");
  assert.deepEqual(scenario.extractors.map((p) => [p.name, p.preset, p.expected_resources]), [
    ["dynamics_original", "dynamics_original", "cpu"],
    ["mlp_small", "mlp_small", "cpu"],
  ]);
  assert.deepEqual(scenario.skipped, []);
  assert.deepEqual(scenario.warnings, []);
  assert.equal(scenario.baseline, "dynamics_original");
  assert.match(scenario.sha256, /^[0-9a-f]{64}$/);
});

Deno.test("the shipped GPU scenario matches the reference's GPU config", async () => {
  const scenario = await loadScenario(GPU_CONFIG);
  const { run } = scenario.settings;
  assert.deepEqual([run.run_id, run.worker_mode, run.num_envs, run.device, run.seed], [
    "gpu",
    "vectorized",
    2,
    "cuda",
    84,
  ]);
  assert.deepEqual(scenario.extractors.map((p) => [p.name, p.expected_resources]), [
    ["lightweight_cnn", "gpu"],
    ["attention_small", "gpu"],
  ]);
});

Deno.test("loadScenario() hashes the file's bytes", async () => {
  const scenario = await loadScenario(DEFAULT_CONFIG);
  const bytes = await Deno.readFile(DEFAULT_CONFIG);
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
  const hex = Array.from(digest, (b) => b.toString(16).padStart(2, "0")).join("");
  assert.equal(scenario.sha256, hex);
});

Deno.test("extractors run in ascending priority; ties keep file order", async () => {
  const scenario = await parseScenario(`extractors:
  - {name: c, preset: mlp_small, priority: 2}
  - {name: a, preset: mlp_small}
  - {name: b, preset: mlp_small, priority: -1}
  - {name: d, preset: mlp_small}
  - {name: bad, preset: nope, priority: 1}
`);
  assert.deepEqual(
    scenario.entries.map((e) => e.status === "ready" ? e.profile.name : `skip:${e.skipped.name}`),
    ["b", "a", "d", "skip:bad", "c"],
  );
  assert.equal(scenario.baseline, "b");
});

Deno.test("parameter overrides merge over the preset defaults", async () => {
  const scenario = await parseScenario(`extractors:
  - name: wide
    preset: mlp_small
    parameters:
      ray_hidden_dims: [128, 64, 48]
`);
  const [profile] = scenario.extractors;
  assert.deepEqual(profile.parameters, {
    ray_hidden_dims: [128, 64, 48],
    drive_hidden_dims: [16, 8],
    dropout_rate: 0.1,
  });
  assert.deepEqual(profile.overrides, { ray_hidden_dims: [128, 64, 48] });
  assert.equal(profile.features_dim, 48 + 8);
});

Deno.test("a map file path resolves relative to the scenario file", async () => {
  const scenario = await parseScenario(
    "env:\n  map: ../maps/campus.svg\nextractors:\n  - {name: a, preset: mlp_small}\n",
    { file: "/data/configs/s.yaml" },
  );
  assert.equal(scenario.settings.env.map_path, "/data/maps/campus.svg");
  const builtIn = await parseScenario(
    "env:\n  map: uni_campus_big\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  assert.equal(builtIn.settings.env.map_path, null);
});

Deno.test("allowed but suspicious settings become warnings with their line", async () => {
  const scenario = await parseScenario(
    `run:
  worker_mode: vectorized
  num_envs: 1
  total_timesteps: 1000
  eval_freq: 2000
  ppo:
    n_steps: 100
extractors:
  - {name: a, preset: mlp_small}
`,
    { file: "w.yaml" },
  );
  assert.deepEqual(scenario.warnings.map((w) => [w.path, w.line]), [
    ["run.save_freq", 1],
    ["run.num_envs", 3],
    ["run.eval_freq", 5],
    ["run.ppo.batch_size", 6],
  ]);
  assert.ok(scenario.warnings[1].message.includes("vectorized worker_mode with num_envs 1"));
});

Deno.test("a baseline that names a skipped entry is kept, with a warning", async () => {
  const scenario = await parseScenario(`run:
  baseline_extractor: bad
extractors:
  - {name: good, preset: mlp_small}
  - {name: bad, preset: mlp_small, parameters: {dropout_rate: 2}}
`);
  assert.equal(scenario.baseline, "bad");
  assert.equal(scenario.warnings.length, 1);
  assert.equal(scenario.warnings[0].path, "run.baseline_extractor");
});

Deno.test("an empty block (every key commented out) takes the defaults", async () => {
  const emptyRun = await parseScenario(
    "run:\n  # seed: 7\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  assert.deepEqual(emptyRun.settings.run, RUN_DEFAULTS);
  assert.deepEqual(emptyRun.settings.ppo, PPO_DEFAULTS);
  const emptyPpo = await parseScenario(
    "run:\n  seed: 7\n  ppo:\n    # n_steps: 512\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  assert.deepEqual(emptyPpo.settings.run, { ...RUN_DEFAULTS, seed: 7 });
  assert.deepEqual(emptyPpo.settings.ppo, PPO_DEFAULTS);
});

Deno.test("run.ppo values override the SB3 defaults and stay out of settings.run", async () => {
  const scenario = await parseScenario(`run:
  run_id: default
  ppo:
    n_steps: 512
    learning_rate: 0.001
    target_kl: 0.02
extractors:
  - {name: a, preset: mlp_small}
`);
  assert.deepEqual(scenario.settings.ppo, {
    ...PPO_DEFAULTS,
    n_steps: 512,
    learning_rate: 0.001,
    target_kl: 0.02,
  });
  assert.deepEqual(scenario.settings.run, RUN_DEFAULTS);
  assert.equal("ppo" in scenario.settings.run, false);
});

Deno.test("RUN_DEFAULTS has no ppo key; PPO_DEFAULTS are the schema's run.ppo defaults", () => {
  assert.equal("ppo" in RUN_DEFAULTS, false);
  const ppo = scenarioSchema.properties.run.properties.ppo.properties;
  for (const [key, spec] of Object.entries(ppo)) {
    assert.deepEqual(PPO_DEFAULTS[key as keyof typeof PPO_DEFAULTS], spec.default, key);
  }
  assert.equal("ppo" in scenarioSchema.properties, false);
});

Deno.test("a total_timesteps that is no multiple of the rollout warns that whole rollouts run", async () => {
  // One rollout of 2048 steps (SB3's n_steps, one env) runs even for total_timesteps 1,
  // so the evaluation every 512 steps and the checkpoint at 2048 do happen.
  const scenario = await parseScenario(
    `run:\n  total_timesteps: 1\nextractors:\n  - {name: a, preset: mlp_small}\n`,
    { file: "t.yaml" },
  );
  assert.deepEqual(scenario.warnings.map((w) => [w.path, w.line]), [["run.total_timesteps", 2]]);
  assert.ok(
    scenario.warnings[0].message.includes("the rollout of 2048 steps") &&
      scenario.warnings[0].message.includes("2048 steps are trained"),
    scenario.warnings[0].message,
  );
});

Deno.test("eval_freq and save_freq are compared with the steps whole rollouts train", async () => {
  // 3 envs x n_steps 100 = rollouts of 300; total 500 trains 600 steps. Evaluations run
  // every floor(700 / 3) = 233 calls = 699 steps: none within 600. Checkpoints every
  // floor(599 / 3) = 199 calls = 597 steps: one.
  const scenario = await parseScenario(
    `run:
  worker_mode: vectorized
  num_envs: 3
  total_timesteps: 500
  eval_freq: 700
  save_freq: 599
  ppo:
    n_steps: 100
    batch_size: 100
extractors:
  - {name: a, preset: mlp_small}
`,
    { file: "v.yaml" },
  );
  assert.deepEqual(scenario.warnings.map((w) => w.path), [
    "run.total_timesteps",
    "run.eval_freq",
  ]);
  assert.ok(scenario.warnings[1].message.includes("600 steps"), scenario.warnings[1].message);
});
