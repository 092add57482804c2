import assert from "node:assert/strict";
import { ConfigError, loadScenario, parseScenario } from "../../../lib/config/mod.ts";

const OK_EXTRACTORS = "extractors:\n  - name: a\n    preset: mlp_small\n";

interface Case {
  /** Test name. */
  name: string;
  /** Scenario text. */
  yaml: string;
  /** Expected YAML path of the first issue. */
  path: string;
  /** Expected 1-based line of the first issue. */
  line: number;
  /** Expected 1-based column, when checked. */
  column?: number;
  /** Text the message must contain. */
  includes: string;
}

// Line and column numbers below are counted by hand in each YAML text.
const CASES: Case[] = [
  {
    name: "a repeated trial seed names both items and the value",
    yaml: `run:\n  seeds: [1, 2, 1]\n${OK_EXTRACTORS}`,
    path: "run.seeds",
    line: 2,
    includes: "must not repeat an item: [0] and [2] are both 1",
  },
  {
    name: "num_envs above the 1024 environment streams a run supports is refused",
    yaml: `run:\n  worker_mode: vectorized\n  num_envs: 5000\n${OK_EXTRACTORS}`,
    path: "run.num_envs",
    line: 3,
    includes: "must be <= 1024, got 5000",
  },
  {
    name: "a .nan learning rate is named as YAML wrote it, not as null",
    yaml: `run:\n  ppo:\n    learning_rate: .nan\n${OK_EXTRACTORS}`,
    path: "run.ppo.learning_rate",
    line: 3,
    column: 20,
    includes: "must be a number, got .nan (not a finite number)",
  },
  {
    name: "an infinite gamma is named as YAML wrote it",
    yaml: `run:\n  ppo:\n    gamma: -.inf\n${OK_EXTRACTORS}`,
    path: "run.ppo.gamma",
    line: 3,
    includes: "got -.inf (not a finite number)",
  },
  {
    name: "a misspelt run key is unknown and suggests the right one",
    yaml: `run:\n  run_id: x\n  num_env: 2\n${OK_EXTRACTORS}`,
    path: "run.num_env",
    line: 3,
    column: 3,
    includes: 'unknown key "num_env" (did you mean "num_envs"?)',
  },
  {
    name: "num_envs given as a word is not an integer",
    yaml: `run:\n  num_envs: two\n${OK_EXTRACTORS}`,
    path: "run.num_envs",
    line: 2,
    column: 13,
    includes: 'must be an integer, got "two"',
  },
  {
    name: "num_envs 0 is below the minimum",
    yaml: `run:\n  num_envs: 0\n${OK_EXTRACTORS}`,
    path: "run.num_envs",
    line: 2,
    includes: "must be >= 1, got 0",
  },
  {
    name: "an unknown worker_mode lists the accepted ones",
    yaml: `run:\n  worker_mode: parallel\n${OK_EXTRACTORS}`,
    path: "run.worker_mode",
    line: 2,
    includes: 'must be one of "single-thread", "vectorized", got "parallel"',
  },
  {
    name: "device gpu is rejected with a suggestion",
    yaml: `run:\n  seed: 1\n  device: gpu\n${OK_EXTRACTORS}`,
    path: "run.device",
    line: 3,
    column: 11,
    includes: 'did you mean "cpu"?',
  },
  {
    name: "convergence_fraction above 1 is rejected",
    yaml: `run:\n  convergence_fraction: 1.5\n${OK_EXTRACTORS}`,
    path: "run.convergence_fraction",
    line: 2,
    includes: "must be <= 1, got 1.5",
  },
  {
    name: "convergence_fraction 0 is rejected",
    yaml: `run:\n  convergence_fraction: 0\n${OK_EXTRACTORS}`,
    path: "run.convergence_fraction",
    line: 2,
    includes: "must be > 0, got 0",
  },
  {
    name: "a fractional seed is not an integer",
    yaml: `run:\n  seed: 3.5\n${OK_EXTRACTORS}`,
    path: "run.seed",
    line: 2,
    includes: "must be an integer, got 3.5",
  },
  {
    name: "an empty total_timesteps value is null, not a number",
    yaml: `run:\n  run_id: x\n  total_timesteps:\n${OK_EXTRACTORS}`,
    path: "run.total_timesteps",
    line: 3,
    includes: "must be an integer, got null",
  },
  {
    name: "the run block must be a mapping",
    yaml: `run:\n  - num_envs\n${OK_EXTRACTORS}`,
    path: "run",
    line: 2,
    includes: "must be a mapping, got a list",
  },
  {
    name: "run.ppo gamma above 1 is rejected",
    yaml: `run:\n  ppo:\n    gamma: 1.2\n${OK_EXTRACTORS}`,
    path: "run.ppo.gamma",
    line: 3,
    column: 12,
    includes: "must be <= 1, got 1.2",
  },
  {
    name: "an unknown lr_schedule is rejected",
    yaml: `run:\n  ppo:\n    lr_schedule: cosine\n${OK_EXTRACTORS}`,
    path: "run.ppo.lr_schedule",
    line: 3,
    includes: 'must be one of "constant", "linear"',
  },
  {
    name: "a misspelt run.ppo key suggests the SB3 name",
    yaml: `run:\n  ppo:\n    n_steps: 512\n    learning_rat: 0.001\n${OK_EXTRACTORS}`,
    path: "run.ppo.learning_rat",
    line: 4,
    column: 5,
    includes: 'unknown key "learning_rat" (did you mean "learning_rate"?)',
  },
  {
    name: "a misspelt ppo key inside run suggests ppo",
    yaml: `run:\n  seed: 1\n  ppp:\n    n_steps: 512\n${OK_EXTRACTORS}`,
    path: "run.ppp",
    line: 3,
    column: 3,
    includes: 'unknown key "ppp" (did you mean "ppo"?)',
  },
  {
    name: "run.ppo must be a mapping",
    yaml: `run:\n  ppo: [512]\n${OK_EXTRACTORS}`,
    path: "run.ppo",
    line: 2,
    column: 8,
    includes: "must be a mapping, got a list",
  },
  {
    name: "batch_size 1 cannot be normalised",
    yaml: `run:\n  ppo:\n    batch_size: 1\n${OK_EXTRACTORS}`,
    path: "run.ppo.batch_size",
    line: 3,
    includes: "must be >= 2 when normalize_advantage is true",
  },
  {
    name: "a single-step rollout is rejected at n_steps",
    yaml: `run:\n  ppo:\n    n_steps: 1\n${OK_EXTRACTORS}`,
    path: "run.ppo.n_steps",
    line: 3,
    includes: "n_steps x environments must be > 1, got 1",
  },
  {
    name: "a top-level ppo block says to move it under run and where run is",
    yaml: `run:\n  seed: 1\nppo:\n  n_steps: 512\n${OK_EXTRACTORS}`,
    path: "ppo",
    line: 3,
    column: 1,
    includes: "move this block under run: as run.ppo; PPO hyperparameters are not accepted " +
      "at the top level (run: is on line 1; indent ppo: and its keys under it)",
  },
  {
    name: "a top-level ppo block without a run block says to add one",
    yaml: `ppo:\n  n_steps: 512\n${OK_EXTRACTORS}`,
    path: "ppo",
    line: 1,
    column: 1,
    includes: "(add a run: key and indent ppo: and its keys under it)",
  },
  {
    name: "an empty top-level ppo block is still rejected",
    yaml: `ppo:\n${OK_EXTRACTORS}`,
    path: "ppo",
    line: 1,
    includes: "move this block under run: as run.ppo",
  },
  {
    name: "a top-level ppo next to run.ppo points at run.ppo",
    yaml: `run:\n  ppo:\n    n_epochs: 5\nppo:\n  n_steps: 512\n${OK_EXTRACTORS}`,
    path: "ppo",
    line: 4,
    includes: "(run.ppo already exists on line 2; merge these keys into it)",
  },
  {
    name: "difficulty 4 is out of range",
    yaml: `env:\n  difficulty: 4\n${OK_EXTRACTORS}`,
    path: "env.difficulty",
    line: 2,
    includes: "must be <= 3, got 4",
  },
  {
    name: "ped_density_by_difficulty needs four values",
    yaml: `env:\n  ped_density_by_difficulty: [0.01, 0.02, 0.04]\n${OK_EXTRACTORS}`,
    path: "env.ped_density_by_difficulty",
    line: 2,
    includes: "must have exactly 4 items, got 3",
  },
  {
    name: "a negative pedestrian density is rejected at its item",
    yaml:
      `env:\n  ped_density_by_difficulty:\n    - 0.01\n    - -0.5\n    - 0.04\n    - 0.08\n${OK_EXTRACTORS}`,
    path: "env.ped_density_by_difficulty[1]",
    line: 4,
    includes: "must be >= 0, got -0.5",
  },
  {
    name: "an unknown robot kind is rejected",
    yaml: `env:\n  robot: holonomic\n${OK_EXTRACTORS}`,
    path: "env.robot",
    line: 2,
    includes: 'must be one of "differential", "bicycle"',
  },
  {
    name: "slurm cpus_per_task must be an integer",
    yaml: `slurm:\n  partition: gpu\n  cpus_per_task: four\n${OK_EXTRACTORS}`,
    path: "slurm.cpus_per_task",
    line: 3,
    includes: 'must be an integer, got "four"',
  },
  {
    name: "slurm extra_sbatch_args must be a list",
    yaml: `slurm:\n  extra_sbatch_args: --qos=high\n${OK_EXTRACTORS}`,
    path: "slurm.extra_sbatch_args",
    line: 2,
    includes: "must be a list",
  },
  {
    name: "slurm extra_sbatch_args items must be sbatch options",
    yaml: `slurm:\n  extra_sbatch_args: [--qos=high, "mail-type=END"]\n${OK_EXTRACTORS}`,
    path: "slurm.extra_sbatch_args[1]",
    line: 2,
    includes: 'must be one line starting with "-" (an sbatch option such as --qos=high)',
  },
  {
    name: "slurm setup_commands must be single lines",
    yaml: `slurm:\n  setup_commands:\n    - "module load deno\\nrm x"\n${OK_EXTRACTORS}`,
    path: "slurm.setup_commands[0]",
    line: 3,
    includes: "must be one line of shell",
  },
  {
    name: "slurm gpus must be a count of at least 1",
    yaml: `slurm:\n  gpus: -1\n${OK_EXTRACTORS}`,
    path: "slurm.gpus",
    line: 2,
    includes: ">= 1",
  },
  {
    name: "slurm mem with a space is refused at its line (it goes into an #SBATCH line)",
    yaml: `slurm:\n  partition: cpu\n  mem: "4 G"\n${OK_EXTRACTORS}`,
    path: "slurm.mem",
    line: 3,
    includes: "must be one word without spaces or line breaks",
  },
  {
    name: "slurm gpus written as the string -1 is refused at its line",
    yaml: `slurm:\n  gpus: "-1"\n${OK_EXTRACTORS}`,
    path: "slurm.gpus",
    line: 2,
    includes: "must be a count >= 1 or a gres string without spaces whose count is >= 1",
  },
  {
    name: "slurm gpus with a gres count of 0 is refused at its line",
    yaml: `slurm:\n  gpus: a100:0\n${OK_EXTRACTORS}`,
    path: "slurm.gpus",
    line: 2,
    includes: "whose count is >= 1",
  },
  {
    name: "a blank slurm deno_command is refused at its line",
    yaml: `slurm:\n  deno_command: "   "\n${OK_EXTRACTORS}`,
    path: "slurm.deno_command",
    line: 2,
    includes: "must be one non-blank line of shell",
  },
  {
    name: "a carriage return in slurm setup_commands is refused at its item",
    yaml: `slurm:\n  setup_commands: ["module load deno\\rrm x"]\n${OK_EXTRACTORS}`,
    path: "slurm.setup_commands[0]",
    line: 2,
    includes: "must be one line of shell",
  },
  {
    name: "slurm max_concurrent_tasks must be at least 1",
    yaml: `slurm:\n  max_concurrent_tasks: 0\n${OK_EXTRACTORS}`,
    path: "slurm.max_concurrent_tasks",
    line: 2,
    includes: "must be >= 1, got 0",
  },
  {
    name: "an empty extractors list is rejected",
    yaml: "run:\n  seed: 1\nextractors: []\n",
    path: "extractors",
    line: 3,
    includes: "must have at least 1 item, got 0",
  },
  {
    name: "extractors must be a list",
    yaml: "extractors:\n  name: a\n",
    path: "extractors",
    line: 2,
    includes: "must be a list, got a mapping",
  },
  {
    name: "a misspelt top-level key suggests extractors",
    yaml: "run:\n  seed: 1\nextractor:\n  - name: a\n    preset: mlp_small\n",
    path: "extractors",
    line: 1,
    includes: 'unknown key "extractor" (did you mean "extractors"?)',
  },
  {
    name: "a duplicate key is a YAML error at the duplicate",
    yaml: `run:\n  seed: 1\n  seed: 2\n${OK_EXTRACTORS}`,
    path: "",
    line: 3,
    includes: "Map keys must be unique",
  },
  {
    name: "an unclosed flow sequence is a YAML syntax error",
    yaml: "run:\n  seed: 1\nextractors: [\n",
    path: "",
    line: 4,
    includes: "YAML syntax error",
  },
  {
    name: "a run_id without letters or digits cannot name a directory",
    yaml: `run:\n  run_id: "???"\n${OK_EXTRACTORS}`,
    path: "run.run_id",
    line: 2,
    includes: "no ASCII letter or digit",
  },
  {
    name: "an unknown baseline_extractor is rejected with a suggestion",
    yaml:
      "run:\n  baseline_extractor: mlp_smal\nextractors:\n  - name: mlp_small\n    preset: mlp_small\n",
    path: "run.baseline_extractor",
    line: 2,
    includes: 'did you mean "mlp_small"?',
  },
  {
    name: "names colliding after case folding are rejected at the second one",
    yaml:
      "extractors:\n  - name: MLP small\n    preset: mlp_small\n  - name: mlp_small\n    preset: mlp_small\n",
    path: "extractors[1].name",
    line: 4,
    includes: 'collides with "MLP small" (extractors[0], line 2)',
  },
  {
    name: "an empty file explains what is missing",
    yaml: "# nothing here\n",
    path: "",
    line: 1,
    includes: "the scenario is empty",
  },
];

for (const c of CASES) {
  Deno.test(`parseScenario(): ${c.name}`, async () => {
    const error = await parseScenario(c.yaml, { file: "bad.yaml" }).then(
      () => assert.fail("expected a ConfigError"),
      (e: unknown) => e,
    );
    assert.ok(error instanceof ConfigError, `got ${error}`);
    assert.equal(error.file, "bad.yaml");
    assert.equal(error.path, c.path, error.message);
    assert.equal(error.line, c.line, error.message);
    if (c.column !== undefined) assert.equal(error.column, c.column, error.message);
    const firstLine = error.message.split("\n")[0];
    assert.ok(firstLine.startsWith(`bad.yaml:${c.line}:`), firstLine);
    if (c.path !== "") assert.ok(firstLine.includes(`${c.path}: `), firstLine);
    assert.ok(error.message.includes(c.includes), error.message);
  });
}

Deno.test("parseScenario() reports every problem of a bad run block, in line order", async () => {
  const yaml = `run:\n  num_envs: 0\n  devcie: cpu\n  seed: -1\n${OK_EXTRACTORS}`;
  const error = await parseScenario(yaml, { file: "x.yaml" }).catch((e) => e);
  assert.ok(error instanceof ConfigError);
  assert.deepEqual(error.issues.map((i) => [i.path, i.line]), [
    ["run.num_envs", 2],
    ["run.devcie", 3],
    ["run.seed", 4],
  ]);
  assert.equal(error.issues[1].hint, 'did you mean "device"?');
});

Deno.test("loadScenario() names a missing map file at env.map, relative to the scenario", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const file = `${dir}/scenario.yaml`;
    await Deno.writeTextFile(file, `env:\n  map: maps/none.svg\n${OK_EXTRACTORS}`);
    const error = await loadScenario(file).catch((e) => e);
    assert.ok(error instanceof ConfigError);
    assert.equal(error.path, "env.map");
    assert.equal(error.line, 2);
    assert.ok(error.message.includes(`map file not found: ${dir}/maps/none.svg`), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadScenario() names a missing scenario file", async () => {
  const error = await loadScenario("/nonexistent/scenario.yaml").catch((e) => e);
  assert.ok(error instanceof ConfigError);
  assert.equal(error.message, "/nonexistent/scenario.yaml: file not found");
});

Deno.test("parseScenario() refuses a YAML alias bomb as a config error at its first alias", async () => {
  const rows = ["a: &a [x, x, x, x, x, x, x, x, x]"];
  for (const name of ["b", "c", "d", "e", "f"]) {
    const previous = String.fromCharCode(name.charCodeAt(0) - 1);
    rows.push(`${name}: &${name} [${Array(9).fill(`*${previous}`).join(", ")}]`);
  }
  const yaml = `${rows.join("\n")}\n${OK_EXTRACTORS}`;
  const error = await parseScenario(yaml, { file: "bomb.yaml" }).catch((e) => e);
  assert.ok(error instanceof ConfigError, `got ${error}`);
  assert.equal(error.file, "bomb.yaml");
  assert.equal(error.line, 2, error.message); // the first alias, *a on line 2
  assert.equal(error.column, 8, error.message); // "b: &b [" is 7 characters
  assert.ok(error.message.includes("too many aliases"), error.message);
});

Deno.test("parseScenario() names an alias whose anchor is missing as a config error", async () => {
  const yaml = `run:\n  seed: 1\n  eval_freq: *nope\n${OK_EXTRACTORS}`;
  const error = await parseScenario(yaml, { file: "alias.yaml" }).catch((e) => e);
  assert.ok(error instanceof ConfigError, `got ${error}`);
  assert.equal(error.line, 3, error.message);
  assert.equal(error.column, 14, error.message);
  assert.ok(error.message.includes("Unresolved alias"), error.message);
});

async function loadWithMap(
  mapLine: string,
  files: Record<string, string> = {},
): Promise<unknown> {
  const dir = await Deno.makeTempDir();
  try {
    for (const [name, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${dir}/${name}`, text);
    }
    const file = `${dir}/scenario.yaml`;
    await Deno.writeTextFile(file, `run:\n  seed: 1\nenv:\n  map: ${mapLine}\n${OK_EXTRACTORS}`);
    return await loadScenario(file).catch((e) => e);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("loadScenario() refuses an unknown built-in map name at env.map", async () => {
  const error = await loadWithMap("campus");
  assert.ok(error instanceof ConfigError, `got ${error}`);
  assert.equal(error.path, "env.map");
  assert.equal(error.line, 4);
  assert.equal(error.column, 8);
  assert.ok(error.message.includes("Unknown built-in map 'campus'"), error.message);
  assert.ok(error.message.includes("open_square"), error.message);
});

Deno.test("loadScenario() refuses a map file that does not parse, naming the map's problem", async () => {
  const error = await loadWithMap("broken.json", { "broken.json": '{"x_margin": [0, 10],' });
  assert.ok(error instanceof ConfigError, `got ${error}`);
  assert.equal(error.path, "env.map");
  assert.equal(error.line, 4);
  assert.ok(error.message.includes("cannot load the map"), error.message);
  assert.ok(error.message.includes("Malformed JSON"), error.message);
});

Deno.test("loadScenario() refuses a map whose route names a missing zone, naming the route", async () => {
  const map = {
    format: "multi-extractor-map",
    version: 1,
    name: "z",
    width: 10,
    height: 10,
    obstacles: [],
    robot_spawn_zones: [{ id: "s", rect: [1, 1, 2, 2] }],
    robot_goal_zones: [{ id: "g", rect: [7, 7, 2, 2] }],
    ped_spawn_zones: [],
    ped_goal_zones: [],
    ped_crowded_zones: [],
    robot_routes: [{ id: "r", spawn: "s", goal: "g2", waypoints: [] }],
    ped_routes: [],
  };
  const error = await loadWithMap("zone.json", { "zone.json": JSON.stringify(map) });
  assert.ok(error instanceof ConfigError, `got ${error}`);
  assert.equal(error.path, "env.map");
  assert.ok(error.message.includes("Route 'r' refers to missing zone 'g2'"), error.message);
});

Deno.test("loadScenario() says a map path that is a directory is not a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.mkdir(`${dir}/maps.json`);
    const file = `${dir}/scenario.yaml`;
    await Deno.writeTextFile(file, `env:\n  map: maps.json\n${OK_EXTRACTORS}`);
    const error = await loadScenario(file).catch((e) => e);
    assert.ok(error instanceof ConfigError, `got ${error}`);
    assert.equal(error.path, "env.map");
    assert.ok(error.message.includes(`${dir}/maps.json is not a file`), error.message);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("loadScenario() accepts a built-in map and a shipped map file", async () => {
  const scenario = await loadScenario("configs/scenarios/learning_check.yaml");
  assert.equal(scenario.settings.env.map, "open_field");
  const own = await loadWithMap("corridor.json", {
    "corridor.json": await Deno.readTextFile("configs/maps/corridor.json"),
  });
  assert.ok(!(own instanceof Error), `got ${own}`);
});

Deno.test("loadScenario() names the absolute path a relative scenario path resolved to", async () => {
  const error = await loadScenario("no_such_dir/scenario.yaml").catch((e) => e);
  assert.ok(error instanceof ConfigError);
  assert.equal(
    error.message,
    `no_such_dir/scenario.yaml: file not found (resolved to ${Deno.cwd()}/no_such_dir/scenario.yaml)`,
  );
});

Deno.test("loadScenario() names a robot_sf map given as the scenario, with the flag to use", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const svg = `${dir}/crossing.svg`;
    // The head of robot_sf's classic_crossing.svg.
    await Deno.writeTextFile(
      svg,
      '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' +
        "<!-- Classical Interaction Map: Perpendicular Crossing -->\n\n" +
        '<svg width="40" height="40" viewBox="0 0 40 40" version="1.1">\n</svg>\n',
    );
    const json = `${dir}/campus.json`;
    await Deno.writeTextFile(json, '{"x_margin": [0, 10], "y_margin": [0, 10], "obstacles": []}');
    for (const [file, kind] of [[svg, "SVG"], [json, "JSON"]]) {
      const error = await loadScenario(file).then(() => null, (e) => e);
      assert.ok(error instanceof ConfigError, String(error));
      assert.equal(error.issues.length, 1, "one issue, not one per map key");
      assert.equal(error.issues[0].message, `this is a robot_sf ${kind} map, not a scenario`);
      assert.equal(
        error.issues[0].hint,
        `name it in a scenario's env.map, or: --set env.map=${file}`,
      );
    }
    // A JSON scenario with the usual keys is still a scenario.
    const scenario = `${dir}/s.json`;
    await Deno.writeTextFile(scenario, '{"extractors": [{"name": "a", "preset": "mlp_small"}]}');
    assert.equal((await loadScenario(scenario)).extractors[0].name, "a");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
