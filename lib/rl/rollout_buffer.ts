/**
 * On-policy rollout storage for PPO, laid out `[n_steps, num_envs, ...]` in flat typed
 * arrays allocated once.
 *
 * @module
 */
import type { SeededRng } from "../rng/mod.ts";
import { computeGae } from "./gae.ts";

/** Sizes of one observation and action, in float32 elements. */
export interface RolloutShapes {
  /** Elements of the stacked LiDAR observation (3 x 272 = 816 for the reference). */
  raysSize: number;
  /** Elements of the stacked drive state (3 x 5 = 15 for the reference). */
  driveStateSize: number;
  /** Action dimensions (2: linear m/s, angular rad/s). */
  actionDim: number;
}

/** Options for {@linkcode RolloutBuffer}. */
export interface RolloutBufferOptions {
  /** Discount factor. @default 0.99 */
  gamma?: number;
  /** GAE lambda. @default 0.95 */
  gaeLambda?: number;
}

/** Stored rows of a {@linkcode RolloutBuffer}, for checkpoints. */
export interface RolloutBufferState {
  /** Steps stored per environment. */
  pos: number;
  /**
   * Rows `[0, pos * num_envs)` of `rays`, `driveState`, `actions`, `rewards`,
   * `episodeStarts`, `values`, `logProbs`, and optionally `advantages`, `returns`.
   */
  arrays: Record<string, Float32Array>;
}

/**
 * One minibatch of rollout samples. Its arrays are views into buffers owned by the
 * rollout buffer and are overwritten by the next minibatch.
 */
export interface RolloutMinibatch {
  /** Samples in this minibatch (the last one of an epoch may be smaller). */
  size: number;
  /** `[size, 3, 272]` normalised ranges. */
  rays: Float32Array;
  /** `[size, 3, 5]` normalised drive state. */
  driveState: Float32Array;
  /** `[size, actionDim]` unclipped sampled actions. */
  actions: Float32Array;
  /** `[size]` value estimates at collection time. */
  oldValues: Float32Array;
  /** `[size]` log-probabilities of the actions at collection time. */
  oldLogProbs: Float32Array;
  /** `[size]` GAE advantages (not normalised). */
  advantages: Float32Array;
  /** `[size]` TD(lambda) returns, the value-function targets. */
  returns: Float32Array;
}

/**
 * PPO rollout buffer with Stable-Baselines3 semantics
 * (stable_baselines3/common/buffers.py `RolloutBuffer`): stores n_steps transitions
 * for each of num_envs environments, computes GAE advantages and returns, and yields
 * shuffled minibatches.
 */
export class RolloutBuffer {
  /** Steps stored per environment. */
  readonly nSteps: number;
  /** Environments stepped side by side. */
  readonly numEnvs: number;
  /** Observation and action sizes. */
  readonly shapes: RolloutShapes;
  /** `[n_steps, num_envs, raysSize]`. */
  readonly rays: Float32Array;
  /** `[n_steps, num_envs, driveStateSize]`. */
  readonly driveState: Float32Array;
  /** `[n_steps, num_envs, actionDim]` unclipped actions. */
  readonly actions: Float32Array;
  /** `[n_steps, num_envs]`. */
  readonly rewards: Float32Array;
  /** `[n_steps, num_envs]`, 1 at the first observation of an episode. */
  readonly episodeStarts: Float32Array;
  /** `[n_steps, num_envs]`. */
  readonly values: Float32Array;
  /** `[n_steps, num_envs]`. */
  readonly logProbs: Float32Array;
  /** `[n_steps, num_envs]`, filled by {@linkcode RolloutBuffer.computeReturnsAndAdvantage}. */
  readonly advantages: Float32Array;
  /** `[n_steps, num_envs]`, filled by {@linkcode RolloutBuffer.computeReturnsAndAdvantage}. */
  readonly returns: Float32Array;
  #gamma: number;
  #gaeLambda: number;
  #pos = 0;
  #indices: Uint32Array;
  #minibatch: RolloutMinibatch | null = null;

  /**
   * Allocate the buffer's arrays once.
   * @param nSteps Steps per environment per rollout (SB3 `n_steps`).
   * @param numEnvs Number of environments.
   * @param shapes Observation and action sizes.
   * @param options Discount and GAE lambda.
   * @throws {RangeError} When a size is not a positive integer.
   */
  constructor(
    nSteps: number,
    numEnvs: number,
    shapes: RolloutShapes,
    options: RolloutBufferOptions = {},
  ) {
    for (const [name, value] of Object.entries({ nSteps, numEnvs, ...shapes })) {
      if (!Number.isInteger(value) || value < 1) {
        throw new RangeError(`Rollout buffer ${name} must be a positive integer, got ${value}`);
      }
    }
    this.nSteps = nSteps;
    this.numEnvs = numEnvs;
    this.shapes = { ...shapes };
    const total = nSteps * numEnvs;
    this.rays = new Float32Array(total * shapes.raysSize);
    this.driveState = new Float32Array(total * shapes.driveStateSize);
    this.actions = new Float32Array(total * shapes.actionDim);
    this.rewards = new Float32Array(total);
    this.episodeStarts = new Float32Array(total);
    this.values = new Float32Array(total);
    this.logProbs = new Float32Array(total);
    this.advantages = new Float32Array(total);
    this.returns = new Float32Array(total);
    this.#indices = new Uint32Array(total);
    this.#gamma = options.gamma ?? 0.99;
    this.#gaeLambda = options.gaeLambda ?? 0.95;
  }

  /** Transitions stored per environment so far. */
  get pos(): number {
    return this.#pos;
  }

  /** True when n_steps transitions per environment are stored. */
  get full(): boolean {
    return this.#pos === this.nSteps;
  }

  /** Forget stored transitions (arrays are kept and overwritten). */
  reset(): void {
    this.#pos = 0;
  }

  /**
   * The stored rows `[0, pos)` of every array, as copies, for checkpoints.
   * @param options `targets`: include advantages and returns (after GAE). @default false
   * @returns Position and arrays by name.
   */
  state(options: { targets?: boolean } = {}): RolloutBufferState {
    const rows = this.#pos * this.numEnvs;
    const { raysSize, driveStateSize, actionDim } = this.shapes;
    const arrays: Record<string, Float32Array> = {
      rays: this.rays.slice(0, rows * raysSize),
      driveState: this.driveState.slice(0, rows * driveStateSize),
      actions: this.actions.slice(0, rows * actionDim),
      rewards: this.rewards.slice(0, rows),
      episodeStarts: this.episodeStarts.slice(0, rows),
      values: this.values.slice(0, rows),
      logProbs: this.logProbs.slice(0, rows),
    };
    if (options.targets) {
      arrays.advantages = this.advantages.slice(0, rows);
      arrays.returns = this.returns.slice(0, rows);
    }
    return { pos: this.#pos, arrays };
  }

  /**
   * Restore rows and position from {@linkcode RolloutBuffer.state}.
   * @throws {RangeError} When the position or an array length does not fit this buffer.
   */
  restore(state: RolloutBufferState): void {
    if (!Number.isInteger(state.pos) || state.pos < 0 || state.pos > this.nSteps) {
      throw new RangeError(`Rollout buffer position ${state.pos} is outside [0, ${this.nSteps}]`);
    }
    const rows = state.pos * this.numEnvs;
    const { raysSize, driveStateSize, actionDim } = this.shapes;
    const sizes: Record<string, [Float32Array, number]> = {
      rays: [this.rays, raysSize],
      driveState: [this.driveState, driveStateSize],
      actions: [this.actions, actionDim],
      rewards: [this.rewards, 1],
      episodeStarts: [this.episodeStarts, 1],
      values: [this.values, 1],
      logProbs: [this.logProbs, 1],
      advantages: [this.advantages, 1],
      returns: [this.returns, 1],
    };
    for (const [name, values] of Object.entries(state.arrays)) {
      const target = sizes[name];
      if (!target) throw new RangeError(`Unknown rollout buffer array '${name}'`);
      if (values.length !== rows * target[1]) {
        throw new RangeError(
          `Rollout buffer array '${name}' has ${values.length} values, expected ${
            rows * target[1]
          }`,
        );
      }
      target[0].set(values);
    }
    this.#pos = state.pos;
  }

  /**
   * Store one step of every environment.
   *
   * @param step The observations the actions were taken from, the unclipped actions,
   *   the rewards received (bootstrapped on truncation), the episode-start flags of the
   *   observations, and the policy's values and log-probabilities, each `[num_envs, ...]`.
   * @throws {RangeError} When the buffer is full.
   */
  add(step: {
    rays: Float32Array;
    driveState: Float32Array;
    actions: Float32Array;
    rewards: ArrayLike<number>;
    episodeStarts: ArrayLike<number>;
    values: ArrayLike<number>;
    logProbs: ArrayLike<number>;
  }): void {
    if (this.#pos >= this.nSteps) {
      throw new RangeError(`Rollout buffer is full (${this.nSteps} steps)`);
    }
    const { raysSize, driveStateSize, actionDim } = this.shapes;
    const n = this.numEnvs;
    const row = this.#pos * n;
    this.rays.set(step.rays.subarray(0, n * raysSize), row * raysSize);
    this.driveState.set(step.driveState.subarray(0, n * driveStateSize), row * driveStateSize);
    this.actions.set(step.actions.subarray(0, n * actionDim), row * actionDim);
    for (let env = 0; env < n; env++) {
      this.rewards[row + env] = step.rewards[env];
      this.episodeStarts[row + env] = step.episodeStarts[env];
      this.values[row + env] = step.values[env];
      this.logProbs[row + env] = step.logProbs[env];
    }
    this.#pos++;
  }

  /**
   * Fill {@linkcode RolloutBuffer.advantages} and {@linkcode RolloutBuffer.returns} with
   * GAE(lambda) (see {@linkcode computeGae}).
   *
   * @param lastValues `[num_envs]` V of the observation after the last step.
   * @param lastDones `[num_envs]` 1 where the last step ended an episode.
   * @throws {RangeError} When the buffer is not full.
   */
  computeReturnsAndAdvantage(lastValues: Float32Array, lastDones: Float32Array | Uint8Array): void {
    if (!this.full) {
      throw new RangeError(
        `Rollout buffer holds ${this.#pos} of ${this.nSteps} steps; fill it before computing GAE`,
      );
    }
    computeGae(
      {
        numEnvs: this.numEnvs,
        rewards: this.rewards,
        values: this.values,
        episodeStarts: this.episodeStarts,
        lastValues,
        lastDones,
      },
      { advantages: this.advantages, returns: this.returns },
      { gamma: this.#gamma, gaeLambda: this.#gaeLambda },
    );
  }

  /**
   * Yield the stored transitions once each, in an order shuffled by `rng`, as
   * minibatches of `batchSize` (the last may be smaller, as in SB3).
   * The yielded object and its arrays are reused: copy what must outlive the next one.
   *
   * @param batchSize Samples per minibatch.
   * @param rng Generator for the permutation.
   * @throws {RangeError} When the buffer is not full or batchSize is not positive.
   */
  *minibatches(batchSize: number, rng: SeededRng): Generator<RolloutMinibatch> {
    if (!this.full) {
      throw new RangeError(`Rollout buffer holds ${this.#pos} of ${this.nSteps} steps`);
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new RangeError(`Batch size must be a positive integer, got ${batchSize}`);
    }
    const total = this.nSteps * this.numEnvs;
    const indices = this.#indices;
    for (let i = 0; i < total; i++) indices[i] = i;
    rng.shuffle(indices);
    const full = this.#minibatchBuffers(batchSize);
    for (let start = 0; start < total; start += batchSize) {
      const size = Math.min(batchSize, total - start);
      const batch = size === batchSize ? full : this.#view(full, size);
      this.#gather(indices.subarray(start, start + size), batch);
      yield batch;
    }
  }

  #minibatchBuffers(batchSize: number): RolloutMinibatch {
    if (this.#minibatch && this.#minibatch.size === batchSize) return this.#minibatch;
    const { raysSize, driveStateSize, actionDim } = this.shapes;
    this.#minibatch = {
      size: batchSize,
      rays: new Float32Array(batchSize * raysSize),
      driveState: new Float32Array(batchSize * driveStateSize),
      actions: new Float32Array(batchSize * actionDim),
      oldValues: new Float32Array(batchSize),
      oldLogProbs: new Float32Array(batchSize),
      advantages: new Float32Array(batchSize),
      returns: new Float32Array(batchSize),
    };
    return this.#minibatch;
  }

  #view(full: RolloutMinibatch, size: number): RolloutMinibatch {
    const { raysSize, driveStateSize, actionDim } = this.shapes;
    return {
      size,
      rays: full.rays.subarray(0, size * raysSize),
      driveState: full.driveState.subarray(0, size * driveStateSize),
      actions: full.actions.subarray(0, size * actionDim),
      oldValues: full.oldValues.subarray(0, size),
      oldLogProbs: full.oldLogProbs.subarray(0, size),
      advantages: full.advantages.subarray(0, size),
      returns: full.returns.subarray(0, size),
    };
  }

  #gather(indices: Uint32Array, out: RolloutMinibatch): void {
    const { raysSize, driveStateSize, actionDim } = this.shapes;
    for (let i = 0; i < indices.length; i++) {
      const j = indices[i];
      out.rays.set(this.rays.subarray(j * raysSize, (j + 1) * raysSize), i * raysSize);
      out.driveState.set(
        this.driveState.subarray(j * driveStateSize, (j + 1) * driveStateSize),
        i * driveStateSize,
      );
      for (let a = 0; a < actionDim; a++) {
        out.actions[i * actionDim + a] = this.actions[j * actionDim + a];
      }
      out.oldValues[i] = this.values[j];
      out.oldLogProbs[i] = this.logProbs[j];
      out.advantages[i] = this.advantages[j];
      out.returns[i] = this.returns[j];
    }
  }
}
