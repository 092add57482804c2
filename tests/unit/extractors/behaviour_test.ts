/**
 * Behaviour of the built extractors: output shapes at batch 1 and 5 in both
 * modes, eval-mode determinism, dropout active only in train mode, parameter
 * overrides changing the architecture, and the errors for invalid parameters.
 */
import assert from "node:assert/strict";
import { DropoutMaskGenerator, Graph } from "../../../lib/nn/mod.ts";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  checkExtractorParameters,
  PRESET_NAMES,
  type PresetName,
} from "../../../lib/config/presets.ts";
import { buildFeatureExtractor } from "../../../lib/extractors/mod.ts";
import { buildPolicyNetwork } from "../../../lib/rl/policy_network.ts";
import { assertClose } from "../nn/_helpers.ts";
import { newStore, observationFeeds, runPolicy } from "./_fixture.ts";

const WIDTH: Record<PresetName, number> = {
  dynamics_original: 287,
  dynamics_no_conv: 831,
  mlp_small: 40,
  mlp_large: 80,
  attention_small: 48,
  attention_large: 144,
  lightweight_cnn: 1104,
  lstm_small: 80,
};

/** Dropout layers and their rates in each preset, in graph order. */
const DROPOUT: Record<PresetName, number[]> = {
  dynamics_original: [0.3, 0.3, 0.3, 0.3], // after each conv block
  dynamics_no_conv: [],
  mlp_small: [0.1, 0.1, 0.1, 0.1], // 2 ray + 2 drive layers
  mlp_large: [0.15, 0.15, 0.15, 0.15, 0.15, 0.15],
  attention_small: [0.1, 0.1, 0.1, 0.1], // embedding, 1 x attention weights, 2 drive layers
  attention_large: [0.1, 0.1, 0.1, 0.1, 0.1, 0.1], // embedding, 3 x attention weights, 2 drive
  lightweight_cnn: [0.1, 0.1, 0.1, 0.1], // after each of 2 pooling blocks, 2 drive layers
  lstm_small: [], // robot_sf's LSTM extractor has no dropout (one layer)
};

for (const preset of PRESET_NAMES) {
  Deno.test(`${preset}: outputs have the right shapes at batch 1 and 5, and eval mode is deterministic`, async () => {
    const store = newStore(11);
    for (const batch of [1, 5]) {
      const feeds = observationFeeds(batch);
      for (const training of [false, true]) {
        const r = await runPolicy(feeds, { preset, store, dtype: "float32", training });
        assert.equal(r.features.length, batch * WIDTH[preset]);
        assert.equal(r.action_mean.length, batch * 2);
        assert.equal(r.value.length, batch);
        assert.ok(r.features.every(Number.isFinite), "finite features");
        assert.deepEqual(r.masks.map((m) => m.p), training ? DROPOUT[preset] : []);
      }
      const a = await runPolicy(feeds, { preset, store, dtype: "float32" });
      const b = await runPolicy(feeds, { preset, store, dtype: "float32" });
      assert.deepEqual(a.features, b.features);
      assert.deepEqual(a.action_mean, b.action_mean);
    }
  });
}

Deno.test("a train-mode graph with nothing dropped computes the eval-mode function (no batch norm)", async () => {
  const feeds = observationFeeds(4);
  for (const preset of ["dynamics_original", "mlp_small", "attention_small"] as const) {
    const store = newStore(2);
    const train = await runPolicy(feeds, { preset, store, training: true });
    const evalRun = await runPolicy(feeds, { preset, store });
    // Same function; the formulations differ (channels-last convs in train mode), so
    // compare to rounding.
    assertClose(train.features, evalRun.features, { rtol: 1e-12, atol: 1e-13, label: preset });
  }
});

Deno.test("train-mode dropout zeroes about p of the activations and scales the rest by 1/(1-p)", async () => {
  // mlp_small ends both branches with Dropout(0.1): with only the last two masks
  // drawn, train features are eval features times the mask.
  const batch = 64;
  const feeds = observationFeeds(batch);
  const store = newStore(3);
  const evalRun = await runPolicy(feeds, { preset: "mlp_small", store });
  const probe = await runPolicy(feeds, { preset: "mlp_small", store, training: true });
  const generator = new DropoutMaskGenerator(new SeededRng(9));
  const masks: Record<string, Float64Array> = {};
  for (const m of probe.masks.filter((_, i) => i === 1 || i === 3)) {
    masks[m.name] = new Float64Array(m.shape.reduce((a, b) => a * b, 1));
    generator.fill(masks[m.name], m.p);
  }
  const train = await runPolicy(feeds, {
    preset: "mlp_small",
    store,
    training: true,
    masks,
  });
  let dropped = 0;
  let active = 0;
  for (let i = 0; i < train.features.length; i++) {
    const row = Math.floor(i / 40);
    const col = i % 40;
    const mask = col < 32 ? masks["dropout_mask.1"][row * 32 + col] : masks["dropout_mask.3"][
      row * 8 + col - 32
    ];
    assert.ok(
      Math.abs(train.features[i] - evalRun.features[i] * mask) <= 1e-12,
      `feature ${i}: ${train.features[i]} vs ${evalRun.features[i]} x ${mask}`,
    );
    if (evalRun.features[i] > 0) {
      active++;
      if (train.features[i] === 0) dropped++;
    }
  }
  // Binomial(active, 0.1): mean 0.1, sd ~ sqrt(0.09 / active) < 0.01 for active > 900.
  assert.ok(active > 900, `active ${active}`);
  assert.ok(Math.abs(dropped / active - 0.1) < 0.04, `dropped fraction ${dropped / active}`);
});

Deno.test("batch norm uses batch statistics in train mode and running statistics in eval mode", async () => {
  const feeds = observationFeeds(6);
  const store = newStore(4);
  const options = { preset: "lightweight_cnn" as const, parameters: { dropout_rate: 0 }, store };
  const train = await runPolicy(feeds, { ...options, training: true });
  const evalRun = await runPolicy(feeds, options);
  // Fresh running statistics (mean 0, var 1) make eval BN an affine identity; batch
  // statistics do not, so the two modes differ.
  assert.notDeepEqual(train.features, evalRun.features);
  // Running mean after one step: 0.9 * 0 + 0.1 * batch mean, so it moved off zero.
  const rm = train.buffers["features_extractor.ray_extractor.1.running_mean"];
  assert.equal(rm.length, 32);
  assert.ok(rm.some((v) => Math.abs(v) > 1e-6));
  // Two BatchNorm1d layers, each with a running mean and variance.
  assert.equal(Object.keys(train.buffers).length, 4);
  // Running variance 0.9 * 1 + 0.1 * unbiased batch variance: it moved off one.
  const rv = train.buffers["features_extractor.ray_extractor.1.running_var"];
  assert.ok(rv.some((v) => Math.abs(v - 1) > 1e-6));
});

Deno.test("parameter overrides change the architecture as the reference's arguments do", () => {
  const cases: [PresetName, Record<string, unknown>, number, string[]][] = [
    // [preset, overrides, features_dim, some parameter names that must exist]
    ["dynamics_original", { num_filters: [8, 8, 8, 32] }, 32 * 17 + 15, [
      "features_extractor.ray_extractor.9.weight",
    ]],
    ["dynamics_original", { use_ray_conv: false }, 831, []],
    ["mlp_small", { ray_hidden_dims: [128, 64, 16] }, 16 + 8, [
      "features_extractor.ray_extractor.7.weight",
    ]],
    ["mlp_small", { ray_hidden_dims: [], drive_hidden_dims: [] }, 831, []],
    ["attention_small", { embed_dim: 12, num_heads: 3, num_layers: 2 }, 12 + 16, [
      "features_extractor.attention_layers.1.output_proj.weight",
      "features_extractor.layer_norms.1.bias",
    ]],
    ["lightweight_cnn", { num_filters: [8, 8, 4], kernel_sizes: [3, 3, 3] }, 4 * 34 + 16, [
      "features_extractor.ray_extractor.11.running_var",
    ]],
  ];
  for (const [preset, overrides, width, names] of cases) {
    const store = newStore();
    const p = buildPolicyNetwork(new Graph({ parameters: store }), {
      preset,
      parameters: overrides,
    });
    const label = `${preset} ${JSON.stringify(overrides)}`;
    assert.equal(p.featuresDim, width, label);
    assert.deepEqual(p.features.shape, ["batch", width], label);
    for (const name of names) assert.ok(store.get(name), `${label}: ${name}`);
    if (width === 831) assert.equal(store.count("features_extractor."), 0, label);
  }
});

Deno.test("invalid overrides are refused with the scenario validator's reason text", () => {
  const cases: [PresetName, Record<string, unknown>, RegExp][] = [
    ["mlp_small", { ray_hiden_dims: [8] }, /Unknown parameter "ray_hiden_dims".*ray_hidden_dims/],
    ["mlp_small", { dropout_rate: "0.1" }, /parameters\.dropout_rate: must be a number/],
    ["dynamics_original", { kernel_sizes: [3, 4, 3, 3] }, /must be odd.*item 1 is 4/],
    ["attention_small", { embed_dim: 30, num_heads: 4 }, /embed_dim \(30\) must be divisible/],
    ["lightweight_cnn", { features_dim: 12 }, /features_dim is computed/],
  ];
  for (const [preset, overrides, pattern] of cases) {
    const [issue] = checkExtractorParameters(preset, overrides);
    assert.throws(
      () =>
        buildPolicyNetwork(new Graph({ parameters: newStore() }), {
          preset,
          parameters: overrides,
        }),
      (error: unknown) => {
        assert.ok(error instanceof RangeError);
        assert.match(error.message, pattern);
        assert.ok(error.message.includes(issue.message), "same words as the config validator");
        assert.ok(error.message.startsWith(`Invalid parameters for preset ${preset}`));
        return true;
      },
    );
  }
});

Deno.test("an architecture that does not fit the observation throws a RangeError naming it", () => {
  // Eight pooling blocks are valid for 272 rays (272 / 2^8 -> 1) but not for 64.
  const parameters = { num_filters: [2, 2, 2, 2, 2, 2, 2], kernel_sizes: [1, 1, 1, 1, 1, 1, 1] };
  const ok = buildPolicyNetwork(new Graph({ parameters: newStore() }), {
    preset: "lightweight_cnn",
    parameters,
  });
  assert.equal(ok.featuresDim, 2 * 2 + 16);
  assert.throws(
    () =>
      buildPolicyNetwork(new Graph({ parameters: newStore() }), {
        preset: "lightweight_cnn",
        parameters,
        observation: { stackSteps: 3, numRays: 64, driveStateSize: 5 },
      }),
    /Lightweight CNN extractor: block 6 cannot halve 1 position\(s\) \(64 rays through 7/,
  );
  assert.throws(
    () =>
      buildFeatureExtractor(
        (() => {
          const g = new Graph({ parameters: newStore() });
          return {
            rays: g.input("rays", ["batch", 816]),
            driveState: g.input("d", ["batch", 3, 5]),
          };
        })(),
        { preset: "mlp_small" },
      ),
    /input rays must be \[batch, stack, size\], got rank 2/,
  );
  assert.throws(
    () =>
      buildFeatureExtractor(
        (() => {
          const g = new Graph();
          return {
            rays: g.input("r", ["batch", 3, 272]),
            driveState: g.input("d", ["batch", 3, 5]),
          };
        })(),
        { preset: "mlp_tiny" as PresetName },
      ),
    /Unknown feature-extractor preset "mlp_tiny"/,
  );
});

Deno.test("the extractor works on other observation sizes", () => {
  const g = new Graph({ parameters: newStore() });
  const rays = g.input("rays", ["batch", 2, 64]);
  const driveState = g.input("drive_state", ["batch", 2, 5]);
  const built = buildFeatureExtractor({ rays, driveState }, { preset: "dynamics_original" });
  // 64 -> 32 -> 16 -> 8 -> 4 positions, 16 channels; drive 2 x 5.
  assert.equal(built.featuresDim, 16 * 4 + 10);
  assert.deepEqual(built.features.shape, ["batch", 74]);
});
