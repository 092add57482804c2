import assert from "node:assert/strict";
import {
  checkExtractorParameters,
  closestName,
  EXTRACTOR_FAMILIES,
  familyParameterSchema,
  featuresDim,
  PRESET_NAMES,
  PRESETS,
  resolvePresetParameters,
} from "../../../lib/config/mod.ts";
import scenarioSchema from "../../../contracts/scenario.schema.json" with { type: "json" };

Deno.test("featuresDim() gives the reference's features_dim for every preset", () => {
  // REFERENCE.md, "Feature extractors (presets at the spec date)".
  const expected: Record<string, number> = {
    dynamics_original: 287,
    dynamics_no_conv: 831,
    mlp_small: 40,
    mlp_large: 80,
    attention_small: 48,
    attention_large: 144,
    lightweight_cnn: 1104,
    lstm_small: 80,
  };
  for (const preset of PRESET_NAMES) {
    assert.equal(featuresDim(preset, resolvePresetParameters(preset)), expected[preset], preset);
  }
});

Deno.test("featuresDim() follows the conv arithmetic for overridden kernels", () => {
  // 272 rays, 4 x Conv1d(k=5, stride 2, padding 2): 272 -> 136 -> 68 -> 34 -> 17.
  const parameters = resolvePresetParameters("dynamics_original", {
    kernel_sizes: [5, 5, 5, 5],
    num_filters: [8, 8, 8, 32],
  });
  assert.equal(featuresDim("dynamics_original", parameters), 32 * 17 + 15);
  // Three lightweight blocks: floor(272 / 8) = 34 positions x 4 filters, plus drive 16.
  const cnn = resolvePresetParameters("lightweight_cnn", {
    num_filters: [8, 8, 4],
    kernel_sizes: [3, 3, 3],
  });
  assert.equal(featuresDim("lightweight_cnn", cnn), 4 * 34 + 16);
  // Empty hidden lists flatten: rays 3 x 272 + drive 3 x 5.
  const flat = resolvePresetParameters("mlp_small", { ray_hidden_dims: [], drive_hidden_dims: [] });
  assert.equal(featuresDim("mlp_small", flat), 816 + 15);
});

Deno.test("resolvePresetParameters() copies: changing the result leaves the table intact", () => {
  const parameters = resolvePresetParameters("mlp_small");
  (parameters.ray_hidden_dims as number[]).push(1);
  assert.deepEqual(PRESETS.mlp_small.defaults.ray_hidden_dims, [64, 32]);
});

Deno.test("checkExtractorParameters() accepts the defaults of every preset", () => {
  for (const preset of PRESET_NAMES) {
    assert.deepEqual(checkExtractorParameters(preset, PRESETS[preset].defaults), [], preset);
  }
});

Deno.test("checkExtractorParameters() checks each item of a list", () => {
  assert.deepEqual(checkExtractorParameters("mlp_large", { ray_hidden_dims: [64, 0] }), [
    { key: "ray_hidden_dims", message: "item 1 must be >= 1, got number 0" },
  ]);
  assert.deepEqual(checkExtractorParameters("dynamics_no_conv", { use_ray_conv: "yes" }), [
    { key: "use_ray_conv", message: 'must be true or false, got the string "yes"' },
  ]);
});

Deno.test("the scenario schema embeds the parameter table of every family", () => {
  const definitions = scenarioSchema.definitions as Record<string, unknown>;
  for (const family of EXTRACTOR_FAMILIES) {
    assert.deepEqual(
      definitions[`${family}_parameters`],
      familyParameterSchema(family),
      `contracts/scenario.schema.json definitions.${family}_parameters is out of date; ` +
        `expected ${JSON.stringify(familyParameterSchema(family))}`,
    );
  }
});

Deno.test("closestName() suggests near misses only", () => {
  assert.equal(closestName("num_env", ["num_envs", "seed"]), "num_envs");
  assert.equal(closestName("Seed", ["num_envs", "seed"]), "seed");
  assert.equal(closestName("batch", ["num_envs", "seed"]), null);
});
