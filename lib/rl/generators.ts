/**
 * The trainer's seeded random generators of a run (initial weights, dropout masks,
 * action noise, minibatch order), derived from `run.seed` so that they never share a
 * stream with the training envs.
 *
 * @module
 */
import { SeededRng } from "../rng/mod.ts";

/**
 * Env streams a run may use (training env i uses stream i of `run.seed`); the
 * trainer's generators start past them, so `run.num_envs` is at most this.
 */
export const TRAINER_ENV_STREAMS = 1024;

/** The trainer's random generators of a run. */
export interface TrainingGenerators {
  /** Initial weights. */
  init: SeededRng;
  /** Dropout masks. */
  dropout: SeededRng;
  /** Action noise during rollouts. */
  actions: SeededRng;
  /** Minibatch permutations. */
  shuffle: SeededRng;
}

/**
 * The trainer's generators of a run, derived from `run.seed`: training env i uses
 * stream i of the seed (lib/sim's VecEnv), these use streams 1025 to 1028, so none
 * overlap (streams are 2^64 draws apart).
 * @param seed Run seed.
 */
export function trainingGenerators(seed: number): TrainingGenerators {
  const root = new SeededRng(seed).fork(TRAINER_ENV_STREAMS);
  return {
    init: root.fork(1),
    dropout: root.fork(2),
    actions: root.fork(3),
    shuffle: root.fork(4),
  };
}
