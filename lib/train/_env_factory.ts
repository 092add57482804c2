/**
 * Vectorized mode's training envs: `num_envs` envs stepped in Deno Workers
 * (lib/workers' WorkerVecEnv, env-worker permissions), the same for an extractor
 * trained in the main thread and one trained in an extractor worker.
 *
 * @module
 */
import { WorkerVecEnv } from "../sim/worker_vec_env.ts";
import type { VecEnvFactory } from "./train_extractor.ts";

/**
 * A factory of WorkerVecEnvs with `envWorkers` workers (at most one per env), each
 * given the loaded map (so no env worker reads a map file).
 *
 * @param envWorkers Env workers, >= 1 (the plan's `workers`).
 * @returns The factory for trainExtractor's `vecEnvFactory`.
 */
export function _workerVecEnvFactory(envWorkers: number): VecEnvFactory {
  return async ({ map, settings, numEnvs, seed }) =>
    await WorkerVecEnv.create(settings, {
      numEnvs,
      seed,
      envWorkers: Math.max(1, Math.min(envWorkers, numEnvs)),
      map,
    });
}
