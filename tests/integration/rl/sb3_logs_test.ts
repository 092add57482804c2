/**
 * The SB3-format logs of a test-mode training run read back with independent readers
 * (tests/integration/rl/_sb3_read.ts; Python's standard library for the TFRecord framing;
 * NumPy for evaluations.npz when python3-numpy is installed) hold the values of
 * train_log.jsonl and eval_history.jsonl.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { trainExtractor } from "../../../lib/train/mod.ts";
import { tinyScenario } from "../../unit/rl/_helpers.ts";
import * as ort from "onnxruntime-node";
import { onnx } from "../../../lib/nn/_onnx.ts";
import { python, pythonHas, readCsv, readEventFile } from "./_sb3_read.ts";

type Row = Record<string, number | null>;
const STEP = "time/total_timesteps";

function jsonLines(text: string): Row[] {
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

/** Python: read TFRecords with the standard library only, checking both masked CRC-32Cs. */
const PY_FRAMING = `
import struct, sys
T = []
for n in range(256):
    c = n
    for _ in range(8):
        c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
    T.append(c)
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c = T[(c ^ x) & 0xFF] ^ (c >> 8)
    return c ^ 0xFFFFFFFF
def masked(b):
    c = crc32c(b)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF
data = open(sys.argv[1], "rb").read()
p = n = 0
while p < len(data):
    (length,) = struct.unpack("<Q", data[p:p+8])
    assert struct.unpack("<I", data[p+8:p+12])[0] == masked(data[p:p+8]), "length crc"
    body = data[p+12:p+12+length]
    assert struct.unpack("<I", data[p+12+length:p+16+length])[0] == masked(body), "data crc"
    p += 16 + length
    n += 1
print(n)
`;

const PY_NPZ = `
import json, sys, numpy as np
z = np.load(sys.argv[1])
print(json.dumps({k: {"dtype": str(z[k].dtype), "shape": list(z[k].shape), "values": z[k].tolist()} for k in z.files}))
`;

Deno.test("a test-mode run writes TensorBoard events, progress.csv and evaluations.npz with the logged values", async () => {
  const scenario = await tinyScenario({ run: { eval_freq: 64 } });
  const dir = await Deno.makeTempDir({ prefix: "rl_sb3_" });
  try {
    const x = nodePath.join(dir, "extractors", "x");
    const result = await trainExtractor({
      profile: scenario.extractors[0],
      settings: scenario.settings,
      extractorDir: x,
      runDir: dir,
    });
    assert.equal(result.artifacts.progress_csv, "extractors/x/progress.csv");
    assert.equal(result.artifacts.tensorboard, "extractors/x/tensorboard");
    assert.equal(result.artifacts.evaluations_npz, "extractors/x/eval_logs/evaluations.npz");
    const updates = jsonLines(await Deno.readTextFile(nodePath.join(x, "train_log.jsonl")));
    const evals = jsonLines(await Deno.readTextFile(nodePath.join(x, "eval_history.jsonl")));
    assert.equal(updates.length, 8); // 256 steps / 32 per rollout
    assert.equal(evals.length, 4); // every 64 steps

    // Event file: framing checked here and by Python; scalars = the logged values as float32.
    const tb = nodePath.join(x, "tensorboard");
    const names = [...Deno.readDirSync(tb)].map((e) => e.name);
    assert.equal(names.length, 1);
    assert.match(names[0], /^events\.out\.tfevents\./);
    const eventPath = nodePath.join(tb, names[0]);
    const events = readEventFile(await Deno.readFile(eventPath));
    assert.equal(events[0].fileVersion, "brain.Event:2");
    const got = events.slice(1).flatMap((e) =>
      e.values.map((v) => `${e.step} ${v.tag} ${v.value}`)
    );
    const expected: string[] = [];
    for (const r of updates) {
      for (const [k, v] of Object.entries(r)) {
        if (k !== STEP && v !== null) expected.push(`${r[STEP]} ${k} ${Math.fround(v)}`);
      }
    }
    for (const e of evals) {
      expected.push(`${e.timestep} eval/mean_reward ${Math.fround(e.mean_reward!)}`);
      expected.push(`${e.timestep} eval/mean_ep_length ${Math.fround(e.mean_ep_length!)}`);
      expected.push(`${e.timestep} eval/success_rate ${Math.fround(e.success_rate!)}`);
    }
    assert.deepEqual(got.sort(), expected.sort());
    assert.ok(got.some((s) => s.includes("rollout/ep_rew_mean") || s.includes("train/approx_kl")));
    if (await pythonHas("struct")) {
      assert.equal(Number(await python(PY_FRAMING, [eventPath])), events.length);
    }

    // progress.csv: one row per update and per evaluation, in order, the same numbers.
    const csv = readCsv(await Deno.readTextFile(nodePath.join(x, "progress.csv")));
    assert.equal(csv.rows.length, updates.length + evals.length);
    assert.equal(new Set(csv.header).size, csv.header.length);
    const cell = (row: string[], key: string) => row[csv.header.indexOf(key)];
    const evalRows = csv.rows.filter((r) => cell(r, "eval/mean_reward") !== "");
    const updateRows = csv.rows.filter((r) => cell(r, "eval/mean_reward") === "");
    assert.equal(evalRows.length, evals.length);
    updates.forEach((r, i) => {
      for (const [k, v] of Object.entries(r)) {
        const c = cell(updateRows[i], k);
        if (v === null) assert.equal(c, "nan", k);
        else assert.equal(Number(c), v, `${k} row ${i}`);
      }
    });
    evals.forEach((e, i) => {
      assert.equal(Number(cell(evalRows[i], "eval/mean_reward")), e.mean_reward);
      assert.equal(Number(cell(evalRows[i], STEP)), e.timestep);
      assert.equal(cell(evalRows[i], "train/loss"), "");
    });

    await checkPythonHandOff(nodePath.join(x, "final_model.onnx"));

    // evaluations.npz through NumPy.
    if (!(await pythonHas("numpy"))) {
      console.warn("python3-numpy is not installed: evaluations.npz is not read back");
      return;
    }
    const npz = JSON.parse(await python(PY_NPZ, [nodePath.join(x, "eval_logs/evaluations.npz")]));
    assert.deepEqual(Object.keys(npz).sort(), ["ep_lengths", "results", "successes", "timesteps"]);
    assert.deepEqual(npz.timesteps, {
      dtype: "int64",
      shape: [4],
      values: evals.map((e) => e.timestep),
    });
    assert.deepEqual(npz.results.shape, [4, 2]);
    assert.equal(npz.results.dtype, "float64");
    assert.equal(npz.ep_lengths.dtype, "int64");
    assert.equal(npz.successes.dtype, "bool");
    const mean = (a: number[]) => a.reduce((s, v) => s + v, 0) / a.length;
    evals.forEach((e, i) => {
      assert.ok(Math.abs(mean(npz.results.values[i]) - e.mean_reward!) < 1e-9);
      assert.ok(Math.abs(mean(npz.ep_lengths.values[i]) - e.mean_ep_length!) < 1e-9);
      assert.equal(mean(npz.successes.values[i].map(Number)), e.success_rate);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/**
 * What docs/python.md relies on: input and output names, the observation_normalization
 * metadata, SB3 state_dict names for the initialisers (log_std as log_std_1); and, where
 * Python's onnxruntime is installed, the doc's OnnxPolicy gives the action ONNX Runtime gives.
 */
async function checkPythonHandOff(modelPath: string): Promise<void> {
  const bytes = await Deno.readFile(modelPath);
  const model = onnx.ModelProto.decode(bytes);
  const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key!, p.value!]));
  const norm = JSON.parse(meta.observation_normalization);
  assert.equal(norm.rays_max_range_m, 10); // robot_sf LidarScannerSettings.max_scan_dist
  assert.equal(norm.drive_state_scale.length, 5);
  assert.deepEqual(norm.drive_state_scale.slice(0, 2), [2, 0.5]); // max linear / angular speed
  assert.deepEqual(model.graph!.input!.map((i) => i.name), ["rays", "drive_state"]);
  assert.deepEqual(model.graph!.output!.map((o) => o.name), ["action_mean", "value", "log_std"]);
  const names = model.graph!.initializer!.map((t) => t.name!).filter((n) => !n.startsWith("ints"));
  assert.ok(names.includes("log_std_1") && !names.includes("log_std"));
  for (const n of ["action_net.weight", "value_net.bias", "mlp_extractor.policy_net.0.weight"]) {
    assert.ok(names.includes(n), n);
  }
  const doc = await Deno.readTextFile(new URL("../../../docs/python.md", import.meta.url));
  const blocks = [...doc.matchAll(/```python\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.equal(blocks.length, 2);
  if (await pythonHas("ast")) {
    for (const b of blocks) await python("import ast, sys; ast.parse(sys.argv[1])", [b]);
  }
  if (!(await pythonHas("onnxruntime"))) {
    console.warn("python3 onnxruntime is not installed: docs/python.md's snippet is not run");
    return;
  }
  const snippet = blocks[0]
    .replace(/^policy = OnnxPolicy\(.*$/m, "policy = OnnxPolicy(__import__('sys').argv[1])");
  const out = await python(`${snippet}\nprint(json.dumps([float(v) for v in action]))`, [
    modelPath,
  ]);
  const session = await ort.InferenceSession.create(bytes);
  const r = await session.run({
    rays: new ort.Tensor("float32", new Float32Array(816).fill(0.5), [1, 3, 272]),
    drive_state: new ort.Tensor("float32", new Float32Array(15), [1, 3, 5]),
  });
  const mean = r.action_mean.data as Float32Array;
  const expected = [Math.min(2, Math.max(0, mean[0])), Math.min(0.5, Math.max(-0.5, mean[1]))];
  JSON.parse(out).forEach((v: number, i: number) => assert.ok(Math.abs(v - expected[i]) < 1e-6));
}
