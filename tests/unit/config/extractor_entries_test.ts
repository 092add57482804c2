import assert from "node:assert/strict";
import { parseScenario, type SkippedExtractor } from "../../../lib/config/mod.ts";

async function skippedOf(entries: string): Promise<SkippedExtractor[]> {
  const scenario = await parseScenario(
    `extractors:\n  - {name: good, preset: mlp_small}\n${entries}`,
    { file: "e.yaml" },
  );
  assert.deepEqual(scenario.extractors.map((p) => p.name), ["good"], "the valid entry still runs");
  return scenario.skipped;
}

Deno.test("an entry without a name is skipped under a placeholder name", async () => {
  const [skipped] = await skippedOf("  - preset: mlp_small\n");
  assert.equal(skipped.name, "extractors[1]");
  assert.equal(skipped.path, "extractors[1].name");
  assert.equal(skipped.line, 3);
  assert.equal(skipped.reason, 'extractors[1].name: missing required key "name"');
});

Deno.test("an unknown preset is skipped with a suggestion", async () => {
  const [skipped] = await skippedOf("  - name: cnn\n    preset: lightweight-cnn\n");
  assert.equal(skipped.name, "cnn");
  assert.equal(skipped.path, "extractors[1].preset");
  assert.equal(skipped.line, 4);
  assert.ok(skipped.reason.includes('did you mean "lightweight_cnn"?'), skipped.reason);
});

Deno.test("a parameter of the wrong type is skipped, naming the parameter", async () => {
  const [skipped] = await skippedOf(
    "  - name: att\n    preset: attention_small\n    parameters:\n      embed_dim: big\n",
  );
  assert.equal(skipped.path, "extractors[1].parameters.embed_dim");
  assert.equal(skipped.line, 6);
  assert.equal(
    skipped.reason,
    'extractors[1].parameters.embed_dim: must be an integer, got the string "big"',
  );
});

Deno.test("an even conv kernel is skipped", async () => {
  const [skipped] = await skippedOf(
    "  - name: dyn\n    preset: dynamics_original\n    parameters:\n      kernel_sizes: [3, 3, 4, 3]\n",
  );
  assert.equal(skipped.path, "extractors[1].parameters.kernel_sizes");
  assert.ok(skipped.reason.includes("must be odd"), skipped.reason);
  assert.ok(skipped.reason.includes("item 2 is 4"), skipped.reason);
});

Deno.test("embed_dim not divisible by num_heads is skipped", async () => {
  const [skipped] = await skippedOf(
    "  - name: att\n    preset: attention_large\n    parameters: {embed_dim: 100}\n",
  );
  assert.ok(
    skipped.reason.endsWith("embed_dim (100) must be divisible by num_heads (8)"),
    skipped.reason,
  );
});

Deno.test("setting features_dim is refused: it is computed", async () => {
  const [skipped] = await skippedOf(
    "  - name: m\n    preset: mlp_large\n    parameters:\n      features_dim: 128\n",
  );
  assert.equal(skipped.path, "extractors[1].parameters.features_dim");
  assert.equal(skipped.line, 6);
  assert.equal(skipped.column, 7);
  assert.ok(skipped.reason.includes("features_dim is computed"), skipped.reason);
});

Deno.test("a parameter of another family is unknown for this preset", async () => {
  const [skipped] = await skippedOf(
    "  - name: m\n    preset: mlp_small\n    parameters: {num_heads: 4}\n",
  );
  assert.ok(skipped.reason.includes('Unknown parameter "num_heads" for preset mlp_small'));
  assert.ok(skipped.reason.includes("accepted: ray_hidden_dims, drive_hidden_dims, dropout_rate"));
});

Deno.test("an unknown entry key is skipped with a suggestion", async () => {
  const [skipped] = await skippedOf(
    "  - name: m\n    preset: mlp_small\n    paramters: {dropout_rate: 0.2}\n",
  );
  assert.equal(skipped.path, "extractors[1].paramters");
  assert.ok(skipped.reason.includes('did you mean "parameters"?'), skipped.reason);
});

Deno.test("a dynamics list of the wrong length is skipped", async () => {
  const [skipped] = await skippedOf(
    "  - name: d\n    preset: dynamics_original\n    parameters: {num_filters: [64, 16]}\n",
  );
  assert.ok(skipped.reason.includes("must have exactly 4 items, got 2"), skipped.reason);
});

Deno.test("lightweight_cnn kernel_sizes must match num_filters in length", async () => {
  const [skipped] = await skippedOf(
    "  - name: c\n    preset: lightweight_cnn\n    parameters: {num_filters: [32, 16, 8]}\n",
  );
  assert.ok(
    skipped.reason.includes("kernel_sizes must have one entry per num_filters entry (3), got 2"),
    skipped.reason,
  );
});

Deno.test("a dropout rate of 1 is out of range", async () => {
  const [skipped] = await skippedOf(
    "  - name: m\n    preset: mlp_small\n    parameters: {dropout_rate: 1}\n",
  );
  assert.ok(skipped.reason.includes("must be < 1"), skipped.reason);
});

Deno.test("an expected_resources typo is skipped", async () => {
  const [skipped] = await skippedOf(
    "  - name: m\n    preset: mlp_small\n    expected_resources: GPU\n",
  );
  assert.equal(skipped.path, "extractors[1].expected_resources");
  assert.ok(skipped.reason.includes('did you mean "gpu"?'), skipped.reason);
});

Deno.test("several bad entries are all skipped while the valid ones go on", async () => {
  const skipped = await skippedOf(
    "  - {name: x, preset: nope}\n  - {preset: mlp_small}\n  - {name: y, preset: mlp_small, parameters: {dropout_rate: -1}}\n",
  );
  assert.deepEqual(skipped.map((s) => [s.name, s.line]), [["x", 3], ["extractors[2]", 4], [
    "y",
    5,
  ]]);
});

Deno.test("an entry whose name is only whitespace is skipped, not run under a placeholder", async () => {
  const [skipped] = await skippedOf('  - name: "   "\n    preset: mlp_small\n');
  assert.equal(skipped.name, "extractors[1]");
  assert.equal(skipped.path, "extractors[1].name");
  assert.equal(skipped.line, 3);
  assert.equal(skipped.reason, "extractors[1].name: must not be blank");
});
