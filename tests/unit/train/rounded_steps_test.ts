// A total_timesteps that is not a whole number of rollouts is noted for summary.md
// with the steps actually trained, and the eval_freq warning says that the one final
// evaluation still runs.
import assert from "node:assert/strict";
import { prepareComparison } from "../../../lib/train/mod.ts";
import { hostReport, scenarioFile } from "./_helpers.ts";

Deno.test("prepareComparison() notes a total_timesteps raised to whole rollouts", async () => {
  // 1 step asked, n_steps 2048 on one env: one rollout of 2048 steps is trained.
  const t = await scenarioFile(
    "run:\n  run_id: r\n  total_timesteps: 1\n  eval_freq: 100000\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  try {
    const prepared = await prepareComparison(t.file, {
      hardware: hostReport(),
      outputRoot: t.root,
      env: () => undefined,
    });
    assert.ok(
      prepared.notes.includes(
        "run.total_timesteps 1 is not a whole number of rollouts (n_steps 2048 x 1 " +
          "environments = 2048 steps): 2048 steps were trained per extractor",
      ),
      prepared.notes.join("\n"),
    );
    const warning = prepared.scenario.warnings.find((w) => w.path === "run.eval_freq");
    assert.ok(warning !== undefined);
    assert.match(warning.message, /no evaluation runs during training/);
    assert.match(warning.message, /evaluated once, after the last step/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("test mode drops the scenario's rollout warnings, which its 64-step rollouts make untrue", async () => {
  // 256 steps with n_steps 2048: the scenario alone trains one 2048-step rollout (a warning);
  // test mode trains 4 rollouts of 64 steps = 256 steps exactly.
  const t = await scenarioFile(
    "run:\n  run_id: r\n  total_timesteps: 256\n  eval_freq: 128\nextractors:\n  - {name: a, preset: mlp_small}\n",
  );
  try {
    const options = { hardware: hostReport(), outputRoot: t.root, env: () => undefined };
    const plain = await prepareComparison(t.file, options);
    assert.ok(plain.plan.warnings.some((w) => /so 2048 steps are trained/.test(w)));
    const short = await prepareComparison(t.file, { ...options, testMode: true });
    assert.equal(short.scenario.settings.ppo.n_steps, 64);
    assert.deepEqual(short.plan.warnings.filter((w) => /total_timesteps/.test(w)), []);
    assert.ok(!short.notes.some((n) => /whole number of rollouts/.test(n)), short.notes.join("\n"));
  } finally {
    await t.cleanup();
  }
});
