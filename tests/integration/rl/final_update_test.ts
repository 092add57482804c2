// An interruption that arrives once every env step is collected lets the last PPO
// update finish: the extractor keeps all its steps and its final model. The abort then
// stops the held-out evaluation that follows training, so the extractor is recorded as
// interrupted with a checkpoint after the last update; resuming only evaluates.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { trainExtractor } from "../../../lib/train/mod.ts";
import { VecEnv } from "../../../lib/sim/mod.ts";
import { HookedVecEnv, tinyScenario } from "../../unit/rl/_helpers.ts";

Deno.test("an abort during the last update lets that update finish", async () => {
  // 64 steps in two rollouts of 32 on one env; the abort comes with the 64th env step.
  const scenario = await tinyScenario({
    run: { total_timesteps: 64, eval_freq: 1_000_000, save_freq: 1_000_000 },
  });
  const dir = await Deno.makeTempDir({ prefix: "final-update-" });
  try {
    const controller = new AbortController();
    const result = await trainExtractor({
      profile: scenario.extractors[0],
      settings: scenario.settings,
      extractorDir: nodePath.join(dir, "extractors", "x"),
      runDir: dir,
      signal: controller.signal,
      vecEnvFactory: ({ map, settings, numEnvs, seed }) => {
        const env = new HookedVecEnv(new VecEnv(map, settings, { numEnvs, seed }));
        env.after.push((e) => {
          if (e.steps === 64) controller.abort();
        });
        return env;
      },
    });
    assert.equal(controller.signal.aborted, true);
    assert.equal(result.trainingSteps, 64);
    // Two updates of 2 epochs each ran: the last one was not cut short.
    assert.equal(result.metrics.n_updates, 4);
    // The final policy was exported: training itself ended normally.
    assert.ok((await Deno.stat(nodePath.join(dir, "extractors/x/final_model.onnx"))).isFile);
    // The held-out evaluation did not start; the checkpoint holds the trained state.
    assert.equal(result.interrupted, true);
    assert.match(result.lastCheckpoint ?? "", /checkpoint_64_steps\.ckpt$/);
    await assert.rejects(() => Deno.stat(nodePath.join(dir, "extractors/x/held_out.json")));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
