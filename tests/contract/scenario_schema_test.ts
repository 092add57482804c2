// Contract: contracts/scenario.schema.json puts the PPO hyperparameters in run.ppo, the
// resolved config recorded in the manifest has that shape, and the YAML examples in
// docs/configuration.md are valid scenarios. The schema is compiled here with a fresh
// ajv instance, independent of the library's validator.
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import { parse as parseYaml } from "yaml";
import schema from "../../contracts/scenario.schema.json" with { type: "json" };
import { ConfigError, parseScenario, resolvedConfig } from "../../lib/config/mod.ts";

const ajv = new Ajv({ allErrors: true, useDefaults: true, allowUnionTypes: true });
const validate = ajv.compile(schema);
const EXTRACTORS = [{ name: "a", preset: "mlp_small" }];

// Stable-Baselines3 PPO defaults (REFERENCE.md, "PPO (Stable-Baselines3 defaults)"), typed
// out here rather than read from the schema.
const SB3_PPO = {
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
};

Deno.test("the schema fills run.ppo with the SB3 defaults when run is absent", () => {
  const data: Record<string, unknown> = { extractors: structuredClone(EXTRACTORS) };
  assert.ok(validate(data), JSON.stringify(validate.errors));
  assert.deepEqual((data.run as Record<string, unknown>).ppo, SB3_PPO);
  assert.equal("ppo" in data, false);
});

Deno.test("the schema keeps given run.ppo values and fills the rest", () => {
  const data = { run: { ppo: { n_steps: 512 } }, extractors: structuredClone(EXTRACTORS) };
  assert.ok(validate(data), JSON.stringify(validate.errors));
  assert.deepEqual(data.run.ppo, { ...SB3_PPO, n_steps: 512 });
});

Deno.test("the schema rejects a top-level ppo key and unknown run.ppo keys", () => {
  assert.equal(validate({ ppo: { n_steps: 512 }, extractors: structuredClone(EXTRACTORS) }), false);
  assert.deepEqual(
    validate.errors?.map((e) => [e.instancePath, e.keyword, e.params.additionalProperty]),
    [["", "additionalProperties", "ppo"]],
  );
  const misspelt = { run: { ppo: { n_step: 512 } }, extractors: structuredClone(EXTRACTORS) };
  assert.equal(validate(misspelt), false);
  assert.deepEqual(
    validate.errors?.map((e) => [e.instancePath, e.keyword, e.params.additionalProperty]),
    [["/run/ppo", "additionalProperties", "n_step"]],
  );
});

Deno.test("the resolved config in the manifest validates as the scenario's run and env", async () => {
  const scenario = await parseScenario(
    "run:\n  seed: 7\n  ppo:\n    gamma: 0.9\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  const config = resolvedConfig(scenario);
  assert.equal("ppo" in config, false);
  const { map_path: _, ...env } = config.env as Record<string, unknown>;
  const asFile = { run: config.run, env, extractors: structuredClone(EXTRACTORS) };
  const before = structuredClone({ run: asFile.run, env: asFile.env });
  assert.ok(validate(asFile), JSON.stringify(validate.errors));
  assert.deepEqual(
    { run: asFile.run, env: asFile.env },
    before,
    "nothing was missing from run and env, so ajv filled no default there",
  );
  assert.equal((config.run as { seed: number }).seed, 7);
  assert.deepEqual((config.run as { ppo: unknown }).ppo, { ...SB3_PPO, gamma: 0.9 });
});

Deno.test("every YAML example in docs/configuration.md is a valid scenario", async () => {
  const text = await Deno.readTextFile("docs/configuration.md");
  const examples = [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]);
  assert.ok(examples.length >= 1, "docs/configuration.md has a yaml example");
  for (const example of examples) {
    const scenario = await parseScenario(example, { file: "docs/configuration.md" }).catch(
      (error: unknown) => assert.fail(error instanceof ConfigError ? error.message : `${error}`),
    );
    const written = parseYaml(example) as { run?: { ppo?: Record<string, unknown> } };
    for (const [key, value] of Object.entries(written.run?.ppo ?? {})) {
      assert.deepEqual(scenario.settings.ppo[key as keyof typeof SB3_PPO], value, key);
    }
  }
});
