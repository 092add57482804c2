/** Shared helpers of the lib/rl tests. */
import { stringify } from "yaml";
import { parseScenario, type Scenario } from "../../../lib/config/mod.ts";
import type { TrainingVecEnv } from "../../../lib/rl/mod.ts";
import type { BoxSpace, VecEnv, VecEnvBuffers, VecEnvSnapshot } from "../../../lib/sim/mod.ts";

/**
 * A scenario with tiny settings (test mode): open_field map, short episodes, small
 * rollouts; `run`, `ppo` and `env` entries override them.
 */
export async function tinyScenario(
  options: {
    preset?: string;
    run?: Record<string, unknown>;
    ppo?: Record<string, unknown>;
    env?: Record<string, unknown>;
  } = {},
): Promise<Scenario> {
  const preset = options.preset ?? "mlp_small";
  const doc = {
    run: {
      run_id: "test",
      total_timesteps: 256,
      eval_freq: 128,
      save_freq: 128,
      n_eval_episodes: 2,
      seed: 7,
      ...options.run,
      ppo: { n_steps: 32, batch_size: 16, n_epochs: 2, ...options.ppo },
    },
    env: { map: "open_field", episode_seconds: 2, ...options.env },
    evaluation: { final_episodes: 2 },
    extractors: [{ name: preset, preset }],
  };
  return await parseScenario(stringify(doc));
}

/** The error a promise rejects with; fails when it resolves or rejects with another class. */
export async function rejection<T extends Error>(
  promise: Promise<unknown>,
  type: new (...args: never[]) => T,
): Promise<T> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof type) return error;
    throw error;
  }
  throw new Error(`Expected a ${type.name}, but the promise resolved`);
}

/** Delegates to a vector env (snapshots included); hooks run around each step. */
export class HookedVecEnv implements TrainingVecEnv {
  readonly before: ((env: HookedVecEnv) => void)[] = [];
  readonly after: ((env: HookedVecEnv) => void)[] = [];
  /** Steps taken through this object. */
  steps = 0;
  readonly inner: VecEnv;

  /** @param inner The env to wrap. */
  constructor(inner: VecEnv) {
    this.inner = inner;
  }
  get numEnvs(): number {
    return this.inner.numEnvs;
  }
  get buffers(): VecEnvBuffers {
    return this.inner.buffers;
  }
  get actionSpace(): BoxSpace {
    return this.inner.actionSpace;
  }
  reset(seed?: number): void {
    this.inner.reset(seed);
  }
  step(): number {
    for (const f of this.before) f(this);
    const ended = this.inner.step();
    this.steps++;
    for (const f of this.after) f(this);
    return ended;
  }
  snapshot(): VecEnvSnapshot {
    return this.inner.snapshot();
  }
  restore(snapshot: VecEnvSnapshot): void {
    this.inner.restore(snapshot);
  }
}
