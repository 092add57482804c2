/**
 * Training on envs stepped in Deno Workers (lib/workers' WorkerVecEnv): the same
 * training as with the in-thread VecEnv (env i draws from stream i wherever it
 * runs), and exact resume through the workers' snapshots.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { trainExtractor, type VecEnvFactory } from "../../../lib/train/mod.ts";
import { WorkerVecEnv } from "../../../lib/sim/mod.ts";
import { tinyScenario } from "../../unit/rl/_helpers.ts";

const scenario = await tinyScenario({
  run: {
    worker_mode: "vectorized",
    num_envs: 2,
    total_timesteps: 256,
    eval_freq: 64,
    save_freq: 1_000_000,
  },
});

function workers(abort?: { at: number; controller: AbortController }): VecEnvFactory {
  return async ({ map, settings, numEnvs, seed }) => {
    const env = await WorkerVecEnv.create(settings, { numEnvs, seed, envWorkers: 2, map });
    if (!abort) return env;
    let steps = 0;
    const step = env.step.bind(env);
    env.step = async (actions?: ArrayLike<number>) => {
      const ended = await step(actions);
      if (++steps === abort.at) abort.controller.abort();
      return ended;
    };
    return env;
  };
}

async function run(dir: string, options: Partial<Parameters<typeof trainExtractor>[0]> = {}) {
  return await trainExtractor({
    profile: scenario.extractors[0],
    settings: scenario.settings,
    extractorDir: nodePath.join(dir, "extractors", "x"),
    runDir: dir,
    ...options,
  });
}

async function finalModel(dir: string): Promise<Uint8Array> {
  return await Deno.readFile(nodePath.join(dir, "extractors", "x", "final_model.onnx"));
}

Deno.test("training with envs in workers equals training with the in-thread VecEnv, and resumes exactly", async () => {
  const inThread = await Deno.makeTempDir({ prefix: "rl_workers_" });
  await run(inThread);
  const inWorkers = await Deno.makeTempDir({ prefix: "rl_workers_" });
  const straight = await run(inWorkers, { vecEnvFactory: workers() });
  assert.equal(straight.trainingSteps, 256);
  assert.deepEqual(await finalModel(inWorkers), await finalModel(inThread));

  // 40 vector steps = 80 env steps, inside the second rollout (64 env steps each).
  const resumed = await Deno.makeTempDir({ prefix: "rl_workers_" });
  const controller = new AbortController();
  const first = await run(resumed, {
    signal: controller.signal,
    vecEnvFactory: workers({ at: 40, controller }),
  });
  assert.equal(first.interrupted, true);
  assert.equal(first.trainingSteps, 80);
  const second = await run(resumed, {
    resumeFrom: nodePath.join(resumed, first.lastCheckpoint!),
    vecEnvFactory: workers(),
  });
  assert.equal(second.envRestored, true);
  assert.deepEqual(await finalModel(resumed), await finalModel(inThread));
  for (const dir of [inThread, inWorkers, resumed]) await Deno.remove(dir, { recursive: true });
});
