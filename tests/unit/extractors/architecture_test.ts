/**
 * Every preset has the reference's features_dim, parameter count, per-module
 * breakdown and PyTorch state_dict names: checked against ANCHORS.md, a hand
 * count from the layer list, and the PyTorch fixture.
 */
import assert from "node:assert/strict";
import { Graph } from "../../../lib/nn/mod.ts";
import {
  featuresDim,
  PRESET_NAMES,
  type PresetName,
  resolvePresetParameters,
} from "../../../lib/config/presets.ts";
import { buildPolicyNetwork, countParameters } from "../../../lib/rl/policy_network.ts";
import { FIXTURE, newStore, torchCase } from "./_fixture.ts";

// Parameter counts of PyTorch layers.
const linear = (inF: number, outF: number) => inF * outF + outF;
const conv = (inC: number, outC: number, k: number) => outC * inC * k + outC;
const norm = (c: number) => 2 * c; // LayerNorm / BatchNorm1d weight and bias
/** SB3 heads on features of width f: pi and vf MLPs [64, 64], action (2), value (1), log_std (2). */
const heads = (f: number) =>
  2 * (linear(f, 64) + linear(64, 64)) + linear(64, 2) + linear(64, 1) + 2;

/** Hand counts from each preset's layer list (REFERENCE.md "Feature extractors"). */
const HAND: Record<PresetName, { featuresDim: number; extractor: number }> = {
  // 4 x Conv1d(k3, s2): 3 -> 64 -> 16 -> 16 -> 16, lengths 272 -> 17; drive flattened
  dynamics_original: {
    featuresDim: 16 * 17 + 3 * 5,
    extractor: conv(3, 64, 3) + conv(64, 16, 3) + conv(16, 16, 3) + conv(16, 16, 3),
  },
  // flatten only
  dynamics_no_conv: { featuresDim: 3 * 272 + 3 * 5, extractor: 0 },
  // rays 816 -> 64 -> 32; drive 15 -> 16 -> 8
  mlp_small: {
    featuresDim: 32 + 8,
    extractor: linear(816, 64) + linear(64, 32) + linear(15, 16) + linear(16, 8),
  },
  // rays 816 -> 256 -> 128 -> 64; drive 15 -> 64 -> 32 -> 16
  mlp_large: {
    featuresDim: 64 + 16,
    extractor: linear(816, 256) + linear(256, 128) + linear(128, 64) + linear(15, 64) +
      linear(64, 32) + linear(32, 16),
  },
  // embedding 3 -> 32 + LayerNorm; 1 layer of q, k, v, out (32 -> 32) + LayerNorm; drive 15 -> 32 -> 16
  attention_small: {
    featuresDim: 32 + 16,
    extractor: linear(3, 32) + norm(32) + 1 * (4 * linear(32, 32) + norm(32)) + linear(15, 32) +
      linear(32, 16),
  },
  // embedding 3 -> 128 + LayerNorm; 3 layers of q, k, v, out (128 -> 128) + LayerNorm; drive 15 -> 32 -> 16
  attention_large: {
    featuresDim: 128 + 16,
    extractor: linear(3, 128) + norm(128) + 3 * (4 * linear(128, 128) + norm(128)) +
      linear(15, 32) + linear(32, 16),
  },
  // Conv1d(3 -> 32, k5) + BN, Conv1d(32 -> 16, k3) + BN, pools 272 -> 136 -> 68; drive 15 -> 32 -> 16
  lightweight_cnn: {
    featuresDim: 16 * 68 + 16,
    extractor: conv(3, 32, 5) + norm(32) + conv(32, 16, 3) + norm(16) + linear(15, 32) +
      linear(32, 16),
  },
  // LSTM(input 1, hidden 64): weight_ih [256, 1], weight_hh [256, 64], bias_ih and bias_hh
  // [256] (PyTorch keeps both biases); drive 15 -> 32 -> 16
  lstm_small: {
    featuresDim: 64 + 16,
    extractor: 4 * 64 * 1 + 4 * 64 * 64 + 2 * 4 * 64 + linear(15, 32) + linear(32, 16),
  },
};

/** Totals worked out by hand from HAND (and, where measured, ANCHORS.md). */
const TOTALS: Record<PresetName, number> = {
  dynamics_original: 50_677, // ANCHORS.md
  dynamics_no_conv: 115_013,
  mlp_small: 68_525, // ANCHORS.md
  mlp_large: 272_821,
  attention_small: 20_309,
  attention_large: 227_797,
  lightweight_cnn: 153_157,
  lstm_small: 37_077, // robot_sf's preset (extractor 18,192, features_dim 80)
};

function build(preset: PresetName, parameters: Record<string, unknown> = {}, training = false) {
  const store = newStore();
  const policy = buildPolicyNetwork(new Graph({ parameters: store, training }), {
    preset,
    parameters,
  });
  return { store, policy };
}

Deno.test("dynamics_original has ANCHORS.md's 50,677 parameters with its breakdown", () => {
  const { store, policy } = build("dynamics_original");
  assert.equal(policy.featuresDim, 287);
  assert.deepEqual(countParameters(store), {
    total: 50_677,
    trainable: 50_677,
    byModule: {
      features_extractor: 5_296,
      "mlp_extractor.policy_net": 22_592,
      "mlp_extractor.value_net": 22_592,
      action_net: 130,
      value_net: 65,
      log_std: 2,
    },
  });
});

Deno.test("lstm_small has robot_sf's 18,192 extractor parameters under nn.LSTM's state_dict names", () => {
  const { store, policy } = build("lstm_small");
  assert.equal(policy.featuresDim, 80);
  const extractor = store.parameters
    .filter((p) => p.name.startsWith("features_extractor."))
    .map((p) => `${p.name} [${p.shape.join(", ")}]`);
  // nn.LSTM(input_size=1, hidden_size=64) names (gate rows i, f, g, o stacked: 4 x 64) and
  // the drive MLP's Linear modules after its Flatten (index 0).
  assert.deepEqual(extractor.sort(), [
    "features_extractor.drive_mlp.1.bias [32]",
    "features_extractor.drive_mlp.1.weight [32, 15]",
    "features_extractor.drive_mlp.3.bias [16]",
    "features_extractor.drive_mlp.3.weight [16, 32]",
    "features_extractor.ray_lstm.bias_hh_l0 [256]",
    "features_extractor.ray_lstm.bias_ih_l0 [256]",
    "features_extractor.ray_lstm.weight_hh_l0 [256, 64]",
    "features_extractor.ray_lstm.weight_ih_l0 [256, 1]",
  ]);
  assert.deepEqual(countParameters(store), {
    total: 37_077,
    trainable: 37_077,
    byModule: {
      features_extractor: 18_192,
      "mlp_extractor.policy_net": 9_344,
      "mlp_extractor.value_net": 9_344,
      action_net: 130,
      value_net: 65,
      log_std: 2,
    },
  });
});

Deno.test("mlp_small has ANCHORS.md's 68,525 parameters with its breakdown", () => {
  const { store, policy } = build("mlp_small");
  assert.equal(policy.featuresDim, 40);
  assert.deepEqual(countParameters(store), {
    total: 68_525,
    trainable: 68_525,
    byModule: {
      features_extractor: 54_760,
      "mlp_extractor.policy_net": 6_784,
      "mlp_extractor.value_net": 6_784,
      action_net: 130,
      value_net: 65,
      log_std: 2,
    },
  });
});

for (const preset of PRESET_NAMES) {
  Deno.test(`${preset}: features_dim and parameter count equal the hand count, the table and PyTorch`, () => {
    const { store, policy } = build(preset);
    const hand = HAND[preset];
    // The PyTorch fixture predates lstm_small; its count is the hand count and 18,192 below.
    const torch = preset === "lstm_small" ? null : torchCase(preset);
    assert.equal(policy.featuresDim, hand.featuresDim, "hand features_dim");
    assert.equal(policy.features.shape[1], hand.featuresDim, "built width");
    assert.equal(featuresDim(preset, resolvePresetParameters(preset)), hand.featuresDim, "table");
    if (torch) assert.equal(torch.features_dim, hand.featuresDim, "PyTorch features_dim");
    const counts = countParameters(store);
    assert.equal(counts.byModule.features_extractor, hand.extractor, "hand extractor count");
    assert.equal(counts.total, hand.extractor + heads(hand.featuresDim), "hand total");
    assert.equal(counts.total, TOTALS[preset], "total");
    if (torch) assert.equal(torch.total_parameters, TOTALS[preset], "PyTorch total");
  });
}

for (const c of FIXTURE.cases) {
  Deno.test(`${c.case}: parameter names, shapes and per-module counts equal PyTorch's state_dict`, () => {
    const { store, policy } = build(c.preset, c.overrides);
    const ours = store.parameters.map((p) => `${p.name} [${p.shape.join(", ")}]`).sort();
    const theirs = c.parameters.map(([n, s]) => `${n} [${s.join(", ")}]`).sort();
    assert.deepEqual(ours, theirs);
    const ourBuffers = store.buffers.map((p) => `${p.name} [${p.shape.join(", ")}]`).sort();
    assert.deepEqual(ourBuffers, c.buffers.map(([n, s]) => `${n} [${s.join(", ")}]`).sort());
    assert.deepEqual(countParameters(store).byModule, c.by_module);
    for (const [module, n] of Object.entries(c.by_extractor_module)) {
      assert.equal(store.count(`${module}.`), n, module);
    }
    assert.equal(store.parameterCount, c.total_parameters);
    assert.equal(policy.featuresDim, c.features_dim);
    assert.equal(
      featuresDim(c.preset, resolvePresetParameters(c.preset, c.overrides)),
      c.features_dim,
      "featuresDim() of the table",
    );
  });
}

Deno.test("train-mode and eval-mode graphs declare the same parameters and buffers in the same order", () => {
  for (const preset of ["dynamics_original", "attention_small", "lightweight_cnn"] as const) {
    const store = newStore(5);
    buildPolicyNetwork(new Graph({ parameters: store, training: true }), { preset });
    const layout = store.parameters.map((p) => [p.name, p.offset]);
    const before = store.flatParameters("float64");
    buildPolicyNetwork(new Graph({ parameters: store, training: false }), { preset });
    assert.deepEqual(store.parameters.map((p) => [p.name, p.offset]), layout, preset);
    assert.deepEqual(store.flatParameters("float64"), before, preset);
  }
});
