import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  ConfigError,
  loadScenario,
  OverrideSyntaxError,
  parseOverride,
  seedOverride,
} from "../../../lib/config/mod.ts";

const SCENARIO = `# comment kept
run:
  run_id: ov
  total_timesteps: 512
  ppo:
    n_steps: 64
extractors:
  - {name: a, preset: mlp_small}
  - {name: b, preset: mlp_small}
`;

async function scenarioFile(): Promise<{ file: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "overrides-" });
  const file = nodePath.join(dir, "s.yaml");
  await Deno.writeTextFile(file, SCENARIO);
  return { file, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("parseOverride() reads key paths with list items and YAML values", () => {
  assert.deepEqual(parseOverride("run.total_timesteps=100000").value, 100000);
  assert.deepEqual(parseOverride("run.ppo.learning_rate=1e-4").value, 1e-4);
  const item = parseOverride("extractors[1].parameters.ray_hidden_dims=[8, 4]");
  assert.deepEqual(item.segments, ["extractors", 1, "parameters", "ray_hidden_dims"]);
  assert.deepEqual(item.value, [8, 4]);
  assert.equal(parseOverride("run.run_id=abc").value, "abc");
  assert.throws(() => parseOverride("run.seed"), OverrideSyntaxError);
  assert.throws(() => parseOverride("run..seed=1"), /is not a key path/);
  assert.deepEqual(seedOverride("7").segments, ["run", "seed"]);
  assert.throws(() => seedOverride("-1"), /--seed -1: expected an integer/);
});

Deno.test("loadScenario() applies --set and --seed before validation; the file is unchanged", async () => {
  const t = await scenarioFile();
  try {
    const s = await loadScenario(t.file, {
      overrides: [
        parseOverride("run.total_timesteps=1024"),
        parseOverride("run.ppo.learning_rate=1e-4"),
        parseOverride("extractors[1].parameters.ray_hidden_dims=[8, 4]"),
        seedOverride("11"),
      ],
    });
    assert.equal(s.settings.run.total_timesteps, 1024);
    assert.equal(s.settings.ppo.learning_rate, 1e-4);
    assert.equal(s.settings.run.seed, 11);
    assert.deepEqual(s.extractors[1].parameters.ray_hidden_dims, [8, 4]);
    assert.deepEqual(s.extractors[0].parameters.ray_hidden_dims, [64, 32]);
    assert.equal(await Deno.readTextFile(t.file), SCENARIO);
    assert.match(s.overridden!.text, /^# comment kept/);
    assert.match(s.overridden!.text, /total_timesteps: 1024/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("loadScenario() locates a bad override at its --set flag, with a suggestion", async () => {
  const t = await scenarioFile();
  try {
    const failure = async (flag: string) => {
      const error = await loadScenario(t.file, { overrides: [parseOverride(flag)] }).then(
        () => null,
        (e) => e,
      );
      assert.ok(error instanceof ConfigError, String(error));
      return error;
    };
    const unknown = await failure("run.ppo.lr=1e-4");
    assert.equal(unknown.file, "--set run.ppo.lr=1e-4");
    assert.equal(unknown.line, null);
    assert.equal(unknown.path, "run.ppo.lr");
    assert.equal(unknown.hint, 'did you mean "learning_rate"?');
    assert.equal(
      unknown.message,
      '--set run.ppo.lr=1e-4: run.ppo.lr: unknown key "lr" (did you mean "learning_rate"?)',
    );
    const typo = await failure("run.total_timestep=5");
    assert.equal(typo.hint, 'did you mean "total_timesteps"?');
    const type = await failure("run.total_timesteps=abc");
    assert.match(
      type.message,
      /^--set run\.total_timesteps=abc: run\.total_timesteps: must be an integer/,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("loadScenario() refuses a list index past the end instead of padding with nulls", async () => {
  const t = await scenarioFile();
  try {
    const load = (flag: string) => loadScenario(t.file, { overrides: [parseOverride(flag)] });
    // The scenario has 2 extractors: [5] would leave items 2..4 empty.
    const error = await load("extractors[5].name=x").then(() => null, (e) => e);
    assert.ok(error instanceof ConfigError, String(error));
    assert.equal(error.file, "--set extractors[5].name=x");
    assert.equal(error.path, "extractors[5]");
    assert.equal(
      error.message,
      "--set extractors[5].name=x: extractors[5]: index 5 is past the end of the list " +
        "(2 items; [2] appends one)",
    );
    // [1] replaces a field of the second entry; [2] appends a third.
    const edited = await load("extractors[1].preset=mlp_large");
    assert.equal(edited.extractors[1].preset, "mlp_large");
    const appended = await loadScenario(t.file, {
      overrides: [parseOverride("extractors[2]={name: c, preset: mlp_small}")],
    });
    assert.deepEqual(appended.extractors.map((e) => e.name), ["a", "b", "c"]);
    // A bad map named by --set is located at the flag, not at a line the file does not have.
    const dir = nodePath.dirname(t.file);
    const map = await load(`env.map=${dir}`).then(() => null, (e) => e);
    assert.ok(map instanceof ConfigError, String(map));
    assert.equal(map.file, `--set env.map=${dir}`);
    assert.equal(map.line, null);
    assert.equal(map.path, "env.map");
  } finally {
    await t.cleanup();
  }
});
