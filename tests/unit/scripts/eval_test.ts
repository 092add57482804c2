// deno task eval as users run it, on a real exported policy, controllers and bad inputs.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { trainExtractor } from "../../../lib/train/mod.ts";
import { ExportedPolicy, PolicyFileError } from "../../../lib/rl/exported_policy.ts";
import { loadMap, makeEnvSettings, NAV_AGGREGATE_KEYS, RobotEnv } from "../../../lib/sim/mod.ts";
import { onnx } from "../../../lib/nn/_onnx.ts";
import { tinyScenario } from "../rl/_helpers.ts";

const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);

async function task(args: string[]) {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "eval", ...args],
    cwd: REPO,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** A real final_model.onnx from a tiny training run. */
async function exportedPolicy(dir: string): Promise<string> {
  const scenario = await tinyScenario();
  const extractorDir = nodePath.join(dir, "extractors", "mlp_small");
  await trainExtractor({
    profile: scenario.extractors[0],
    settings: scenario.settings,
    extractorDir,
    runDir: dir,
  });
  return nodePath.join(extractorDir, "final_model.onnx");
}

Deno.test("eval of an exported policy prints the contract keys per map and overall", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_test_" });
  try {
    const model = await exportedPolicy(dir);
    const r = await task([model, "--map", "open_field", "--episodes", "3", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out.overall), [...NAV_AGGREGATE_KEYS]);
    assert.deepEqual(Object.keys(out.maps), ["open_field"]);
    assert.equal(out.overall.episodes, 3);
    assert.equal(out.kind, "policy");
    assert.equal(out.deterministic, true);
    const table = await task([model, "--map", "open_field", "--episodes", "2"]);
    assert.equal(table.code, 0, table.stderr);
    assert.match(table.stdout, /^open_field +\d\.\d\d/m);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval of controllers: zero never succeeds, goal_seeking reaches open-field goals", async () => {
  const zero = JSON.parse(
    (await task(["zero", "--map", "open_field", "--episodes", "4", "--json"])).stdout,
  );
  assert.equal(zero.overall.success_rate, 0);
  assert.equal(zero.overall.timeout_rate, 1);
  assert.equal(zero.overall.mean_path_length, 0);
  const goal = JSON.parse(
    (await task(["goal_seeking", "--map", "open_field", "--episodes", "4", "--json"])).stdout,
  );
  assert.equal(goal.overall.success_rate, 1);
  assert.equal(goal.kind, "controller");
});

Deno.test("eval refuses bad input with exit 2 and a message naming it", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_bad_" });
  try {
    const junk = nodePath.join(dir, "junk.onnx");
    await Deno.writeTextFile(junk, "not a model");
    // A valid ONNX model that is not a policy: y = Identity(x).
    const tensor = { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } };
    const other = nodePath.join(dir, "identity.onnx");
    await Deno.writeFile(
      other,
      onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: "", version: 17 }],
        graph: {
          name: "identity",
          node: [{ opType: "Identity", input: ["x"], output: ["y"] }],
          input: [{ name: "x", type: tensor }],
          output: [{ name: "y", type: tensor }],
        },
      }).finish(),
    );
    const folder = nodePath.join(dir, "folder.onnx");
    await Deno.mkdir(folder);
    const cases: [string[], RegExp][] = [
      [[junk], /junk\.onnx is not an ONNX model|not a multi-extractor policy/],
      [
        [other],
        /identity\.onnx is not a multi-extractor policy \(no input 'rays', input 'drive_state'/,
      ],
      [[nodePath.join(dir, "missing.onnx")], /policy file .*missing\.onnx does not exist/],
      [[folder], /policy file .*folder\.onnx is a directory/],
      [["zero", "--map", nodePath.join(dir, "nowhere.json")], /cannot load map .*nowhere\.json/],
      [["forward"], /neither an \.onnx policy file nor a controller/],
      [["zero", "--episodes", "0"], /--episodes must be an integer >= 1/],
      [["zero", "--map", "default", "--scenario", "x.yaml"], /either --map or --scenario/],
      [[], /Missing the policy argument/],
    ];
    for (const [args, message] of cases) {
      const r = await task(args);
      assert.equal(r.code, 2, `${args.join(" ")}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message, args.join(" "));
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("an exported policy refuses an env whose observation shapes differ", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_shape_" });
  try {
    const policy = await ExportedPolicy.load(await exportedPolicy(dir));
    try {
      assert.deepEqual(policy.shapes, { rays: [3, 272], drive_state: [3, 5] });
      const map = await loadMap("open_field");
      policy.checkEnv(new RobotEnv(map, makeEnvSettings()));
      const narrow = new RobotEnv(map, makeEnvSettings({ lidar: { rays: 100 } }));
      assert.throws(
        () => policy.checkEnv(narrow),
        (e) =>
          e instanceof PolicyFileError && /rays of shape \[3, 272\].*\[3, 100\]/.test(e.message),
      );
    } finally {
      await policy.release();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("eval --scenario runs the suite's maps, per map and overall, and names a missing map", async () => {
  const dir = await Deno.makeTempDir({ prefix: "eval_suite_" });
  try {
    const scenario = nodePath.join(dir, "suite.yaml");
    await Deno.writeTextFile(
      scenario,
      "env:\n  episode_seconds: 20\nevaluation:\n  maps: [open_field, open_square, missing.svg]\n" +
        "extractors:\n  - name: m\n    preset: mlp_small\n",
    );
    const r = await task(["goal_seeking", "--scenario", scenario, "--episodes", "2", "--json"]);
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout);
    assert.deepEqual(Object.keys(out.maps), ["open_field", "open_square"]);
    assert.equal(out.overall.episodes, 4);
    // The overall success rate is the mean over all four episodes.
    const perMap = Object.values(out.maps) as { success_rate: number }[];
    assert.equal(out.overall.success_rate, (perMap[0].success_rate + perMap[1].success_rate) / 2);
    assert.equal(out.warnings.length, 1);
    assert.match(out.warnings[0], /missing\.svg skipped/);
    assert.match(r.stderr, /cannot load map .*missing\.svg/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
