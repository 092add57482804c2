/**
 * buildPolicyNetwork(): SB3 MultiInputPolicy inputs, outputs and initialisation
 * (orthogonal gains per module, PyTorch defaults for Conv1d and norms), parameter
 * counting, and equal outputs across conv formulations and in the exported model.
 */
import assert from "node:assert/strict";
import {
  createInferenceModel,
  exportModel,
  Graph,
  ParameterStore,
  Session,
} from "../../../lib/nn/mod.ts";
import * as ort from "onnxruntime-node";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { PRESET_NAMES, type PresetName } from "../../../lib/config/presets.ts";
import {
  buildPolicyNetwork,
  countParameters,
  ORTHOGONAL_GAINS,
  type PolicyNetworkOptions,
} from "../../../lib/rl/policy_network.ts";
import type { ConvFormulation } from "../../../lib/extractors/mod.ts";
import { assertClose } from "../nn/_helpers.ts";

function built(preset: PresetName, options: Partial<PolicyNetworkOptions> = {}, seed = 1) {
  const store = new ParameterStore(new SeededRng(seed));
  const policy = buildPolicyNetwork(new Graph({ parameters: store }), { preset, ...options });
  return { store, policy };
}

/** Gram matrix of the rows (rows <= cols) or of the columns of a `[rows, cols]` matrix. */
function gram(w: Float64Array, rows: number, cols: number): number[][] {
  const byRows = rows <= cols;
  const n = byRows ? rows : cols;
  const at = (i: number, k: number) => (byRows ? w[i * cols + k] : w[k * cols + i]);
  const m = byRows ? cols : rows;
  return Array.from({ length: n }, (_, i) =>
    Array.from({ length: n }, (_, j) => {
      let s = 0;
      for (let k = 0; k < m; k++) s += at(i, k) * at(j, k);
      return s;
    }));
}

/** Assert W is orthogonal times `gain` (W Wᵀ = gain² I, or Wᵀ W when W is tall). */
function assertOrthogonal(store: ParameterStore, name: string, gain: number): void {
  const info = store.get(name)!;
  const [rows] = info.shape;
  const cols = info.size / rows;
  const g = gram(store.values(name), rows, cols);
  for (let i = 0; i < g.length; i++) {
    for (let j = 0; j < g.length; j++) {
      const expected = i === j ? gain * gain : 0;
      assert.ok(
        Math.abs(g[i][j] - expected) < 1e-5 * Math.max(1, gain * gain),
        `${name}: gram[${i}][${j}] = ${g[i][j]}, expected ${expected}`,
      );
    }
  }
}

function assertAll(store: ParameterStore, name: string, value: number): void {
  assert.ok(store.values(name).every((v) => v === value), `${name} all ${value}`);
}

Deno.test("buildPolicyNetwork() declares rays [batch, 3, 272] and drive_state [batch, 3, 5] and SB3's outputs", () => {
  const g = new Graph({ parameters: new ParameterStore(new SeededRng(1)) });
  const p = buildPolicyNetwork(g, { preset: "dynamics_original" });
  assert.deepEqual(g.inputs.map((t) => [t.node.leaf!.name, t.shape]), [
    ["rays", ["batch", 3, 272]],
    ["drive_state", ["batch", 3, 5]],
  ]);
  assert.deepEqual(p.features.shape, ["batch", 287]);
  assert.deepEqual(p.actionMean.shape, ["batch", 2]);
  assert.deepEqual(p.value.shape, ["batch", 1]);
  assert.deepEqual(p.logStd.shape, [2]);
  assert.equal(p.extractor.family, "dynamics");
});

Deno.test("heads get SB3's orthogonal gains: sqrt(2) for the MLPs, 0.01 action, 1 value; zero biases; log_std 0", () => {
  const { store } = built("mlp_small");
  for (const net of ["policy_net", "value_net"]) {
    for (const i of [0, 2]) {
      assertOrthogonal(store, `mlp_extractor.${net}.${i}.weight`, Math.SQRT2);
      assertAll(store, `mlp_extractor.${net}.${i}.bias`, 0);
    }
  }
  assertOrthogonal(store, "action_net.weight", 0.01);
  assertOrthogonal(store, "value_net.weight", 1);
  assertAll(store, "action_net.bias", 0);
  assertAll(store, "value_net.bias", 0);
  assertAll(store, "log_std", 0);
  assert.equal(ORTHOGONAL_GAINS.featuresExtractor, Math.SQRT2);
});

Deno.test("every nn.Linear in an extractor is orthogonal with gain sqrt(2), attention projections included", () => {
  const mlp = built("mlp_small").store;
  assertOrthogonal(mlp, "features_extractor.ray_extractor.1.weight", Math.SQRT2); // [64, 816]
  assertOrthogonal(mlp, "features_extractor.drive_state_extractor.4.weight", Math.SQRT2);
  assertAll(mlp, "features_extractor.ray_extractor.1.bias", 0);
  const att = built("attention_small").store;
  assertOrthogonal(att, "features_extractor.ray_embedding.0.weight", Math.SQRT2); // [32, 3], tall
  for (const m of ["query", "key", "value", "output_proj"]) {
    assertOrthogonal(att, `features_extractor.attention_layers.0.${m}.weight`, Math.SQRT2);
    assertAll(att, `features_extractor.attention_layers.0.${m}.bias`, 0);
  }
  // LayerNorm is not an nn.Linear: PyTorch defaults.
  assertAll(att, "features_extractor.ray_embedding.1.weight", 1);
  assertAll(att, "features_extractor.layer_norms.0.bias", 0);
});

Deno.test("Conv1d and BatchNorm1d keep PyTorch's default init (SB3's init_weights skips them)", () => {
  for (
    const [preset, convs] of [["dynamics_original", [0, 3, 6, 9]], ["lightweight_cnn", [
      0,
      5,
    ]]] as const
  ) {
    const { store } = built(preset);
    for (const i of convs) {
      const name = `features_extractor.ray_extractor.${i}`;
      const [out, inC, k] = store.get(`${name}.weight`)!.shape;
      const bound = 1 / Math.sqrt(inC * k); // kaiming_uniform(a = sqrt(5)) and bias bound
      const w = store.values(`${name}.weight`);
      const b = store.values(`${name}.bias`);
      assert.ok(w.every((v) => Math.abs(v) <= bound), `${name}.weight within ±${bound}`);
      assert.ok(b.every((v) => Math.abs(v) <= bound), `${name}.bias within ±${bound}`);
      assert.ok(b.some((v) => v !== 0), `${name}.bias is not zeroed`);
      // Uniform(-bound, bound) has variance bound² / 3; orthogonal sqrt(2) rows would have
      // squared norm 2 each, i.e. variance 2 / (inC k) = 6x larger.
      let ss = 0;
      for (const v of w) ss += v * v;
      const variance = ss / w.length;
      assert.ok(
        Math.abs(variance / (bound * bound / 3) - 1) < 0.25,
        `${name} variance ${variance}`,
      );
      assert.equal(out * inC * k, w.length);
    }
    if (preset === "lightweight_cnn") {
      for (const i of [1, 6]) {
        const name = `features_extractor.ray_extractor.${i}`;
        assertAll(store, `${name}.weight`, 1);
        assertAll(store, `${name}.bias`, 0);
        assert.ok(store.values(`${name}.running_mean`).every((v) => v === 0));
        assert.ok(store.values(`${name}.running_var`).every((v) => v === 1));
      }
    }
  }
});

Deno.test("orthoInit false keeps PyTorch's defaults for every Linear (non-zero biases)", () => {
  const { store } = built("mlp_small", { orthoInit: false });
  for (
    const name of ["features_extractor.ray_extractor.1", "mlp_extractor.policy_net.0", "action_net"]
  ) {
    const [, inF] = store.get(`${name}.weight`)!.shape;
    const bound = 1 / Math.sqrt(inF);
    assert.ok(store.values(`${name}.weight`).every((v) => Math.abs(v) <= bound), name);
    assert.ok(store.values(`${name}.bias`).some((v) => v !== 0), name);
  }
  assertAll(store, "log_std", 0);
});

Deno.test("the same seed gives the same weights; another seed other weights", () => {
  const a = built("attention_small", {}, 42).store.flatParameters("float64");
  const b = built("attention_small", {}, 42).store.flatParameters("float64");
  const c = built("attention_small", {}, 43).store.flatParameters("float64");
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
});

Deno.test("countParameters() groups by SB3 module and reports an empty extractor as 0", () => {
  const { store } = built("dynamics_no_conv");
  const counts = countParameters(store);
  assert.equal(counts.byModule.features_extractor, 0);
  // 831 features: 2 x (831 x 64 + 64 + 64 x 64 + 64) + 130 + 65 + 2
  assert.equal(counts.total, 2 * (831 * 64 + 64 + 64 * 64 + 64) + 130 + 65 + 2);
  assert.equal(counts.trainable, counts.total);
  assert.equal(Object.values(counts.byModule).reduce((s, n) => s + n, 0), counts.total);
});

for (const preset of ["dynamics_original", "lightweight_cnn"] as const) {
  Deno.test(`${preset} gives the same outputs with every conv formulation`, async () => {
    const store = new ParameterStore(new SeededRng(8));
    const outputs = (conv: ConvFormulation) => (g: Graph) => {
      const p = buildPolicyNetwork(g, { preset, conv });
      return { action_mean: p.actionMean, value: p.value, features: p.features };
    };
    const rng = new SeededRng(9);
    const feeds = {
      rays: {
        data: Float32Array.from({ length: 3 * 816 }, () => rng.uniform()),
        dims: [3, 3, 272],
      },
      drive_state: {
        data: Float32Array.from({ length: 45 }, () => rng.uniform()),
        dims: [3, 3, 5],
      },
    };
    const reference = await createInferenceModel(outputs("ncl"), { parameters: store });
    const expected = await reference.run(feeds);
    const copy = Object.fromEntries(
      Object.entries(expected).map(([k, v]) => [k, Float32Array.from(v)]),
    );
    await reference.release();
    for (const conv of ["nlc", "auto"] as const) {
      const model = await createInferenceModel(outputs(conv), { parameters: store });
      const r = await model.run(feeds);
      for (const k of ["features", "action_mean", "value"]) {
        assertClose(r[k], copy[k], { rtol: 1e-5, atol: 1e-6, label: `${conv} ${k}` });
      }
      await model.release();
    }
  });
}

Deno.test("every preset's exported policy gives the inference model's outputs", async () => {
  const rng = new SeededRng(12);
  const rays = Float32Array.from({ length: 2 * 816 }, () => rng.uniform());
  const drive = Float32Array.from({ length: 30 }, () => rng.uniformRange(-1, 1));
  for (const preset of PRESET_NAMES) {
    const store = new ParameterStore(new SeededRng(5));
    const build = (g: Graph) => {
      const p = buildPolicyNetwork(g, { preset });
      return { action_mean: p.actionMean, value: p.value, log_std: p.logStd };
    };
    const model = await createInferenceModel(build, { parameters: store });
    const expected = await model.run({
      rays: { data: rays, dims: [2, 3, 272] },
      drive_state: { data: drive, dims: [2, 3, 5] },
    });
    const session = await Session.create(exportModel(build, { parameters: store }));
    const r = await session.run({
      rays: new ort.Tensor("float32", rays, [2, 3, 272]),
      drive_state: new ort.Tensor("float32", drive, [2, 3, 5]),
    });
    for (const k of ["action_mean", "value", "log_std"]) {
      assertClose(r[k].data as Float32Array, expected[k], {
        rtol: 1e-5,
        atol: 1e-6,
        label: `${preset} ${k}`,
      });
    }
    await session.release();
    await model.release();
  }
});
