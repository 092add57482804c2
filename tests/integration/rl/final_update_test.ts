// An interruption that arrives once every env step is collected lets the last PPO
// update finish: the trained state (and its checkpoint) has all its steps and updates.
// (The held-out evaluation after training still stops on the signal; resume finishes it.)
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
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
