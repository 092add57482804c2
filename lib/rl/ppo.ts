/**
 * Proximal Policy Optimization with Stable-Baselines3's semantics and order of
 * operations (stable_baselines3/common/on_policy_algorithm.py `collect_rollouts`,
 * `learn`; stable_baselines3/ppo/ppo.py `train`; Schulman et al. 2017,
 * arXiv:1707.06347). It reads top to bottom like the paper:
 *
 * 1. collect a rollout of `n_steps` per env with the eval-mode policy: sample a
 *    Gaussian action, store it unclipped, send it clipped; bootstrap episodes cut by
 *    the time limit with `gamma * V(terminal observation)`;
 * 2. compute GAE(lambda) advantages and returns;
 * 3. for each of `n_epochs` epochs, for each shuffled minibatch: one train-mode
 *    training step (ratio, clipped surrogate, value loss, entropy, gradient
 *    clipping, Adam); stop early when approx_kl > 1.5 target_kl;
 * 4. log, and repeat until `total_timesteps` env steps are collected.
 *
 * Every loop keeps its position in fields, so a checkpoint taken after any env
 * step or minibatch resumes exactly (see {@linkcode PpoTrainer.saveCheckpoint}).
 *
 * @module
 */
import type { PpoSettings } from "../config/mod.ts";
import { SeededRng } from "../rng/mod.ts";
import type { BoxSpace, VecEnvBuffers, VecEnvSnapshot } from "../sim/mod.ts";
import type { CallbackContext, TrainingCallback, UpdateRecord } from "./callbacks.ts";
import {
  type EpisodeWindow,
  saveTrainerCheckpoint,
  type TrainerCheckpoint,
  type TrainerState,
  type TrainerUpdateState,
} from "./checkpoint.ts";
import { DIVERGENCE_HINT, ExtractorRunError } from "./errors.ts";
import type { ActOutputs, PpoPolicy } from "./policy.ts";
import { RolloutBuffer } from "./rollout_buffer.ts";
import { scheduleValue } from "./schedules.ts";
import { mean } from "../internal/stats.ts";
import { explainedVariance } from "./statistics.ts";
import { sha256Hex } from "../run/mod.ts";

/**
 * What the trainer needs from a batch of envs stepped together: a subset of
 * lib/sim's `VectorEnv`, so `VecEnv` (in this thread) and lib/workers'
 * `WorkerVecEnv` both fit. `snapshot`/`restore` make checkpoints resume the envs
 * exactly; without them a resumed run restarts the envs' episodes.
 */
export interface TrainingVecEnv {
  /** Number of envs N. */
  readonly numEnvs: number;
  /** Flat buffers: actions in; observations, rewards, flags, terminal observations, episode stats out. */
  readonly buffers: VecEnvBuffers;
  /** Action space of one env. */
  readonly actionSpace: BoxSpace;
  /** Reset every env. */
  reset(seed?: number): void | Promise<void>;
  /** Step every env with `buffers.actions`; ended envs reset themselves. */
  step(): number | Promise<number>;
  /** Complete dynamic state, JSON-serialisable. */
  snapshot?(): VecEnvSnapshot | Promise<VecEnvSnapshot>;
  /** Continue from a snapshot. */
  restore?(snapshot: VecEnvSnapshot): void | Promise<void>;
}

/** Options of the {@linkcode PpoTrainer} constructor. */
export interface PpoTrainerOptions {
  /** The policy to train. */
  policy: PpoPolicy;
  /** Training envs. */
  env: TrainingVecEnv;
  /** PPO hyperparameters (SB3 names). */
  ppo: PpoSettings;
  /** Env steps to collect (SB3 `total_timesteps`); rollouts are never cut short. */
  totalTimesteps: number;
  /** Generator of the action noise (normal samples). */
  actionRng: SeededRng;
  /** Generator of the minibatch permutations. */
  shuffleRng: SeededRng;
  /** Callbacks, called in order. @default [] */
  callbacks?: TrainingCallback[];
  /** Stop at the next safe point (after an env step or a minibatch). @default never */
  signal?: AbortSignal;
  /** JSON metadata stored in every checkpoint (e.g. preset and settings). @default {} */
  checkpointMetadata?: Record<string, unknown>;
}

/** Result of {@linkcode PpoTrainer.learn}. */
export interface LearnResult {
  /** True when stopped by the signal before `totalTimesteps`. */
  interrupted: boolean;
  /** Env steps collected. */
  numTimesteps: number;
  /** Completed rollouts. */
  iteration: number;
  /** Epochs of updates run (SB3 `_n_updates`). */
  nUpdates: number;
}

/** Statistics of the last (up to 100) training episodes. */
export interface EpisodeWindowStats {
  /** Episodes in the window. */
  count: number;
  /** Mean return, or null when empty. */
  meanReward: number | null;
  /** Mean length, or null. */
  meanLength: number | null;
  /** Success fraction, or null. */
  successRate: number | null;
  /** Collision fraction, or null. */
  collisionRate: number | null;
}

/** Window of SB3's `ep_info_buffer` / `ep_success_buffer` (`stats_window_size`). */
const EPISODE_WINDOW = 100;

/**
 * The PPO trainer. Build it with a policy, training envs and settings, optionally
 * {@linkcode PpoTrainer.restore} a checkpoint, then {@linkcode PpoTrainer.learn}.
 *
 * @example Train for 4096 steps
 * ```ts
 * const trainer = new PpoTrainer({ policy, env, ppo: PPO_DEFAULTS, totalTimesteps: 4096,
 *   actionRng: new SeededRng(1), shuffleRng: new SeededRng(2) });
 * const result = await trainer.learn();
 * ```
 */
export class PpoTrainer {
  readonly #policy: PpoPolicy;
  readonly #env: TrainingVecEnv;
  readonly #ppo: PpoSettings;
  readonly #total: number;
  readonly #callbacks: TrainingCallback[];
  readonly #signal: AbortSignal | undefined;
  readonly #metadata: Record<string, unknown>;
  readonly #rollout: RolloutBuffer;
  readonly #bounds: { low: Float32Array; high: Float32Array };
  #actionRng: SeededRng;
  #shuffleRng: SeededRng;

  // Counters (SB3 num_timesteps, iteration, _n_updates, _current_progress_remaining).
  #numTimesteps = 0;
  #iteration = 0;
  #nUpdates = 0;
  #progressRemaining = 1;
  #started = false;
  #phase: "rollout" | "update" = "rollout";
  #update: TrainerUpdateState | null = null;
  #lastEpisodeStarts: Float32Array;
  #episodes: EpisodeWindow = { returns: [], lengths: [], successes: [], collisions: [] };
  #wallBefore = 0;
  #sessionStart = 0;
  #stepsAtStart = 0;

  // Per-step scratch, allocated once.
  #act: ActOutputs;
  #obsRays: Float32Array;
  #obsDrive: Float32Array;
  #terminalRays: Float32Array;
  #terminalDrive: Float32Array;
  #rewards: Float32Array;
  #terminalValues: Float32Array;
  #lastValues: Float32Array;

  /**
   * Create a trainer (allocates the rollout buffer and per-step scratch arrays).
   * @param options Policy, envs, settings, generators, callbacks.
   * @throws {RangeError} When settings cannot be trained (batch_size < 2, a buffer of
   * one sample with advantage normalisation, total_timesteps < 1).
   */
  constructor(options: PpoTrainerOptions) {
    const { ppo, env, policy } = options;
    const n = env.numEnvs;
    if (!Number.isInteger(ppo.batch_size) || ppo.batch_size < 2) {
      throw new RangeError(
        `run.ppo.batch_size must be at least 2 (SB3 issue #440), got ${ppo.batch_size}`,
      );
    }
    if (ppo.normalize_advantage && ppo.n_steps * n < 2) {
      throw new RangeError(
        `run.ppo.n_steps * num_envs must be greater than 1 with advantage normalisation, got ${
          ppo.n_steps * n
        }`,
      );
    }
    if (!Number.isInteger(options.totalTimesteps) || options.totalTimesteps < 1) {
      throw new RangeError(
        `total_timesteps must be a positive integer, got ${options.totalTimesteps}`,
      );
    }
    this.#policy = policy;
    this.#env = env;
    this.#ppo = ppo;
    this.#total = options.totalTimesteps;
    this.#callbacks = options.callbacks ?? [];
    this.#signal = options.signal;
    this.#metadata = options.checkpointMetadata ?? {};
    this.#actionRng = options.actionRng;
    this.#shuffleRng = options.shuffleRng;
    const obs = policy.observation;
    const raysSize = obs.stackSteps * obs.rays, driveSize = obs.stackSteps * obs.driveState;
    if (env.buffers.rays.length !== n * raysSize) {
      throw new RangeError(
        `Env observations have ${
          env.buffers.rays.length / n
        } ray values per env, the policy expects ${raysSize}`,
      );
    }
    this.#rollout = new RolloutBuffer(ppo.n_steps, n, {
      raysSize,
      driveStateSize: driveSize,
      actionDim: policy.actionDim,
    }, { gamma: ppo.gamma, gaeLambda: ppo.gae_lambda });
    this.#bounds = { low: env.actionSpace.low, high: env.actionSpace.high };
    this.#act = {
      actions: new Float32Array(n * policy.actionDim),
      clippedActions: new Float32Array(n * policy.actionDim),
      values: new Float32Array(n),
      logProbs: new Float32Array(n),
    };
    this.#obsRays = new Float32Array(n * raysSize);
    this.#obsDrive = new Float32Array(n * driveSize);
    this.#terminalRays = new Float32Array(n * raysSize);
    this.#terminalDrive = new Float32Array(n * driveSize);
    this.#rewards = new Float32Array(n);
    this.#terminalValues = new Float32Array(n);
    this.#lastValues = new Float32Array(n);
    this.#lastEpisodeStarts = new Float32Array(n).fill(1);
  }

  /** Env steps collected so far. */
  get numTimesteps(): number {
    return this.#numTimesteps;
  }

  /** Completed rollouts. */
  get iteration(): number {
    return this.#iteration;
  }

  /** Epochs of updates run (SB3 `_n_updates`). */
  get nUpdates(): number {
    return this.#nUpdates;
  }

  /** The rollout buffer (read it from callbacks; the trainer owns its contents). */
  get rolloutBuffer(): RolloutBuffer {
    return this.#rollout;
  }

  /** Wall-clock seconds of training, including earlier sessions of a resumed run. */
  get wallTimeSeconds(): number {
    const session = this.#sessionStart > 0 ? (performance.now() - this.#sessionStart) / 1000 : 0;
    return this.#wallBefore + session;
  }

  /** Statistics of the last (up to 100) training episodes. */
  episodeStats(): EpisodeWindowStats {
    const e = this.#episodes;
    const count = e.returns.length;
    return {
      count,
      meanReward: count ? mean(e.returns) : null,
      meanLength: count ? mean(e.lengths) : null,
      successRate: count ? mean(e.successes) : null,
      collisionRate: count ? mean(e.collisions) : null,
    };
  }

  /**
   * Train until `totalTimesteps` env steps are collected (SB3 `learn`), or until
   * the signal fires; then the state is at a safe point and
   * {@linkcode PpoTrainer.saveCheckpoint} captures it.
   * @throws {ExtractorRunError} When the loss, a parameter, an output or a reward is not finite.
   */
  async learn(): Promise<LearnResult> {
    this.#sessionStart = performance.now();
    this.#stepsAtStart = this.#numTimesteps;
    if (!this.#started) {
      await this.#env.reset();
      this.#lastEpisodeStarts.fill(1);
      this.#started = true;
    }
    for (const cb of this.#callbacks) await cb.onTrainingStart?.(this.context());
    for (;;) {
      if (this.#phase === "rollout") {
        if (this.#rollout.pos === 0 && this.#numTimesteps >= this.#total) break;
        if (!(await this.#collectRollouts())) return this.#result(true);
        this.#iteration++;
        this.#progressRemaining = 1 - this.#numTimesteps / this.#total;
        this.#phase = "update";
        this.#update = null;
      }
      if (!(await this.#train())) return this.#result(true);
      this.#phase = "rollout";
      this.#rollout.reset();
      const record = this.#record();
      this.#update = null;
      for (const cb of this.#callbacks) await cb.onUpdateEnd?.(this.context(), record);
      if (this.#signal?.aborted && this.#numTimesteps < this.#total) return this.#result(true);
    }
    for (const cb of this.#callbacks) await cb.onTrainingEnd?.(this.context());
    return this.#result(false);
  }

  /**
   * 1. Collect experience with the current policy until the rollout buffer is full
   * (SB3 `collect_rollouts`), then compute GAE. Returns false when interrupted.
   */
  async #collectRollouts(): Promise<boolean> {
    const env = this.#env, b = env.buffers, n = env.numEnvs;
    const policy = this.#policy, rollout = this.#rollout, act = this.#act;
    const gamma = this.#ppo.gamma;
    // The policy reads copies in trainer-owned arrays: the env's buffers may live on
    // SharedArrayBuffers (workers), which ONNX Runtime does not accept.
    const obs = { rays: this.#obsRays, driveState: this.#obsDrive, n };
    const terminal = { rays: this.#terminalRays, driveState: this.#terminalDrive, n };
    while (!rollout.full) {
      this.#obsRays.set(b.rays);
      this.#obsDrive.set(b.drive_state);
      // Eval-mode policy (dropout off, as SB3's set_training_mode(False)): sample a ~ N(mu, sigma).
      await policy.act(obs, { rng: this.#actionRng, bounds: this.#bounds, out: act });
      // The env receives the clipped action; the buffer keeps the unclipped sample.
      b.actions.set(act.clippedActions);
      await env.step();
      this.#numTimesteps += n;

      let truncated = false;
      for (let i = 0; i < n; i++) {
        const r = b.rewards[i];
        if (!Number.isFinite(r)) {
          throw new ExtractorRunError(
            `Env ${i} returned a non-finite reward (${r}) at step ${this.#numTimesteps}`,
            "check the env settings (map, reward weights); this is a simulator problem, not a learning one",
            { step: this.#numTimesteps },
          );
        }
        this.#rewards[i] = r;
        if (b.terminated[i] || b.truncated[i]) this.#recordEpisode(i);
        if (b.truncated[i] && !b.terminated[i]) truncated = true;
      }
      // Time-limit truncation: bootstrap with the value of the terminal observation
      // (SB3 GitHub issue #633): r <- r + gamma * V(s_terminal).
      if (truncated) {
        this.#terminalRays.set(b.terminal_rays);
        this.#terminalDrive.set(b.terminal_drive_state);
        await policy.predictValues(terminal, this.#terminalValues);
        for (let i = 0; i < n; i++) {
          if (b.truncated[i] && !b.terminated[i]) {
            this.#rewards[i] += gamma * this.#terminalValues[i];
          }
        }
      }
      rollout.add({
        rays: this.#obsRays,
        driveState: this.#obsDrive,
        actions: act.actions,
        rewards: this.#rewards,
        episodeStarts: this.#lastEpisodeStarts,
        values: act.values,
        logProbs: act.logProbs,
      });
      for (let i = 0; i < n; i++) this.#lastEpisodeStarts[i] = b.terminated[i] | b.truncated[i];

      for (const cb of this.#callbacks) await cb.onStep?.(this.context());
      if (this.#signal?.aborted && !rollout.full) return false;
    }
    // 2. GAE(lambda) from V of the observation after the last step.
    this.#obsRays.set(b.rays);
    this.#obsDrive.set(b.drive_state);
    await policy.predictValues(obs, this.#lastValues);
    rollout.computeReturnsAndAdvantage(this.#lastValues, this.#lastEpisodeStarts);
    for (const cb of this.#callbacks) await cb.onRolloutEnd?.(this.context());
    return true;
  }

  /**
   * 3. Update the policy on the rollout (SB3 `PPO.train`): n_epochs passes over
   * shuffled minibatches, one train-mode training step each, early stop on
   * target_kl. Returns false when interrupted between minibatches, except in the
   * last update: once every env step is collected, the update is finished (a few
   * minibatches), so an extractor with all its steps is never left interrupted.
   */
  async #train(): Promise<boolean> {
    const ppo = this.#ppo;
    const stop = () => this.#signal?.aborted === true && this.#numTimesteps < this.#total;
    const u = this.#update ??= {
      epoch: 0,
      minibatch: 0,
      epochShuffle: null,
      continueTraining: true,
      learningRate: scheduleValue(ppo.lr_schedule, ppo.learning_rate, this.#progressRemaining),
      pgLosses: [],
      valueLosses: [],
      entropyLosses: [],
      clipFractions: [],
      approxKls: [],
      lastLoss: NaN,
    };
    const total = this.#rollout.nSteps * this.#rollout.numEnvs;
    const minibatches = Math.ceil(total / ppo.batch_size);
    while (u.epoch < ppo.n_epochs) {
      if (u.minibatch === 0) {
        u.epochShuffle = this.#shuffleRng.state();
        u.approxKls = [];
      } else {
        // Resumed inside an epoch: replay its permutation, skip the minibatches done.
        this.#shuffleRng = SeededRng.fromState(u.epochShuffle!);
      }
      let index = 0;
      for (const batch of this.#rollout.minibatches(ppo.batch_size, this.#shuffleRng)) {
        if (index++ < u.minibatch) continue;
        const r = await this.#policy.train(batch, u.learningRate);
        if (!Number.isFinite(r.loss)) {
          throw new ExtractorRunError(
            `PPO loss became ${r.loss} at step ${this.#numTimesteps} (epoch ${u.epoch}, minibatch ${u.minibatch})`,
            DIVERGENCE_HINT,
            { step: this.#numTimesteps },
          );
        }
        u.pgLosses.push(r.metrics.policy_gradient_loss);
        u.valueLosses.push(r.metrics.value_loss);
        u.entropyLosses.push(r.metrics.entropy_loss);
        u.clipFractions.push(r.metrics.clip_fraction);
        u.approxKls.push(r.metrics.approx_kl);
        u.lastLoss = r.loss;
        u.minibatch++;
        // Early stop: the gate (approx_kl <= 1.5 target_kl) was false, nothing was applied.
        if (!r.applied) {
          u.continueTraining = false;
          break;
        }
        if (stop() && u.minibatch < minibatches) return false;
      }
      this.#nUpdates++;
      u.epoch++;
      u.minibatch = 0;
      if (!u.continueTraining) break;
      if (stop() && u.epoch < ppo.n_epochs) return false;
    }
    const bad = this.#policy.firstNonFiniteParameter();
    if (bad >= 0) {
      throw new ExtractorRunError(
        `Parameter ${
          this.#policy.parameterName(bad)
        } became non-finite at step ${this.#numTimesteps}`,
        DIVERGENCE_HINT,
        { step: this.#numTimesteps },
      );
    }
    await this.#policy.syncInference();
    return true;
  }

  /** 4. The update's log record with SB3's logger keys. */
  #record(): UpdateRecord {
    const u = this.#update!;
    const ep = this.episodeStats();
    const elapsed = Math.max((performance.now() - this.#sessionStart) / 1000, Number.EPSILON);
    const finite = (x: number) => Number.isFinite(x) ? x : null;
    const record: UpdateRecord = {};
    if (ep.count > 0) {
      record["rollout/ep_rew_mean"] = ep.meanReward;
      record["rollout/ep_len_mean"] = ep.meanLength;
      record["rollout/success_rate"] = ep.successRate;
      record["rollout/collision_rate"] = ep.collisionRate;
    }
    Object.assign(record, {
      "time/fps": Math.floor((this.#numTimesteps - this.#stepsAtStart) / elapsed),
      "time/iterations": this.#iteration,
      "time/time_elapsed": Math.floor(elapsed),
      "time/total_timesteps": this.#numTimesteps,
      "train/approx_kl": finite(mean(u.approxKls)),
      "train/clip_fraction": finite(mean(u.clipFractions)),
      "train/clip_range": this.#ppo.clip_range,
      "train/entropy_loss": finite(mean(u.entropyLosses)),
      "train/explained_variance": finite(
        explainedVariance(this.#rollout.values, this.#rollout.returns),
      ),
      "train/learning_rate": u.learningRate,
      "train/loss": finite(u.lastLoss),
      "train/n_updates": this.#nUpdates,
      "train/policy_gradient_loss": finite(mean(u.pgLosses)),
      "train/std": finite(mean(Array.from(this.#policy.logStd(), Math.exp))),
      "train/value_loss": finite(mean(u.valueLosses)),
    });
    return record;
  }

  #recordEpisode(i: number): void {
    const b = this.#env.buffers, e = this.#episodes;
    e.returns.push(b.episode_return[i]);
    e.lengths.push(b.episode_length[i]);
    e.successes.push(b.episode_success[i]);
    e.collisions.push(b.episode_collision[i]);
    if (e.returns.length > EPISODE_WINDOW) {
      e.returns.shift();
      e.lengths.shift();
      e.successes.shift();
      e.collisions.shift();
    }
  }

  #result(interrupted: boolean): LearnResult {
    return {
      interrupted,
      numTimesteps: this.#numTimesteps,
      iteration: this.#iteration,
      nUpdates: this.#nUpdates,
    };
  }

  /**
   * The view of the trainer callbacks get: one object whose fields read the
   * trainer's current state (no allocation per step).
   */
  context(): CallbackContext {
    return this.#context;
  }

  readonly #context: CallbackContext = (() => {
    // deno-lint-ignore no-this-alias
    const t = this;
    return {
      get numTimesteps() {
        return t.#numTimesteps;
      },
      get totalTimesteps() {
        return t.#total;
      },
      get plannedTimesteps() {
        const rollout = t.#rollout.nSteps * t.#rollout.numEnvs;
        return Math.ceil(t.#total / rollout) * rollout;
      },
      get iteration() {
        return t.#iteration;
      },
      get numEnvs() {
        return t.#env.numEnvs;
      },
      get rolloutFull() {
        return t.#phase === "rollout" && t.#rollout.full;
      },
      get episodeRewardMean() {
        return t.episodeStats().meanReward;
      },
      get elapsedSeconds() {
        return t.#sessionStart > 0 ? (performance.now() - t.#sessionStart) / 1000 : 0;
      },
      get stepsThisSession() {
        return t.#numTimesteps - t.#stepsAtStart;
      },
      saveCheckpoint: (path: string) => t.saveCheckpoint(path),
    };
  })();

  /**
   * Write the complete training state: network (parameters, Adam, dropout
   * generator), counters, action and shuffle generators, the rollout rows collected
   * so far (with advantages and returns inside an update), the update's position
   * and accumulators, the episode window, the envs' snapshot and every callback's
   * state. Call it at a safe point: from a callback, or after `learn` returns.
   * @param path Destination (written atomically).
   * @returns File size and SHA-256 (hex).
   * @throws {ExtractorRunError} When a parameter is not finite (nothing is written).
   */
  async saveCheckpoint(path: string): Promise<{ bytes: number; sha256: string }> {
    const bad = this.#policy.firstNonFiniteParameter();
    if (bad >= 0) {
      throw new ExtractorRunError(
        `Parameter ${this.#policy.parameterName(bad)} is not finite; no checkpoint written`,
        DIVERGENCE_HINT,
        { step: this.#numTimesteps },
      );
    }
    const inUpdate = this.#phase === "update";
    const rollout = this.#rollout.state({ targets: inUpdate });
    const callbacks: Record<string, unknown> = {};
    for (const cb of this.#callbacks) if (cb.state) callbacks[cb.name] = cb.state();
    const state: TrainerState = {
      metadata: this.#metadata,
      counters: {
        numTimesteps: this.#numTimesteps,
        iteration: this.#iteration,
        nUpdates: this.#nUpdates,
        progressRemaining: this.#progressRemaining,
        totalTimesteps: this.#total,
      },
      started: this.#started,
      phase: this.#phase,
      rolloutPos: rollout.pos,
      update: this.#update,
      lastEpisodeStarts: Array.from(this.#lastEpisodeStarts),
      rng: { actions: this.#actionRng.state(), shuffle: this.#shuffleRng.state() },
      episodes: this.#episodes,
      env: this.#env.snapshot ? await this.#env.snapshot() : null,
      callbacks,
      wallTimeSeconds: this.wallTimeSeconds,
    };
    const ckpt: TrainerCheckpoint = {
      state,
      network: this.#policy.checkpoint({ numTimesteps: this.#numTimesteps }),
      arrays: rollout.arrays,
    };
    const bytes = await saveTrainerCheckpoint(path, ckpt);
    return { bytes: bytes.length, sha256: await sha256Hex(bytes) };
  }

  /**
   * Continue from a checkpoint written by {@linkcode PpoTrainer.saveCheckpoint} of a
   * trainer with the same policy network, settings and env count. Restores the
   * network, counters, generators, rollout rows, update position, episode window,
   * callbacks and, when both the checkpoint and the env support it, the envs.
   * @returns Whether the envs were restored exactly (false: they restart their episodes).
   * @throws {CheckpointError} When the network layout differs.
   * @throws {RangeError} When the rollout rows do not fit this trainer.
   */
  async restore(ckpt: TrainerCheckpoint): Promise<{ envRestored: boolean }> {
    const s = ckpt.state;
    if (s.lastEpisodeStarts.length !== this.#env.numEnvs) {
      throw new RangeError(
        `Checkpoint was taken with ${s.lastEpisodeStarts.length} envs, this trainer has ${this.#env.numEnvs}`,
      );
    }
    await this.#policy.restoreCheckpoint(ckpt.network);
    this.#numTimesteps = s.counters.numTimesteps;
    this.#iteration = s.counters.iteration;
    this.#nUpdates = s.counters.nUpdates;
    this.#progressRemaining = s.counters.progressRemaining;
    this.#phase = s.phase;
    this.#rollout.restore({ pos: s.rolloutPos, arrays: ckpt.arrays });
    this.#update = s.update === null ? null : { ...s.update, lastLoss: s.update.lastLoss ?? NaN };
    this.#actionRng = SeededRng.fromState(s.rng.actions);
    this.#shuffleRng = SeededRng.fromState(s.rng.shuffle);
    this.#episodes = structuredClone(s.episodes);
    this.#wallBefore = s.wallTimeSeconds;
    for (const cb of this.#callbacks) {
      if (cb.restore && s.callbacks[cb.name] !== undefined) await cb.restore(s.callbacks[cb.name]);
    }
    let envRestored = false;
    if (s.env !== null && this.#env.restore) {
      await this.#env.restore(s.env as VecEnvSnapshot);
      this.#lastEpisodeStarts.set(s.lastEpisodeStarts);
      envRestored = true;
    } else if (s.started) {
      // No env snapshot: start fresh episodes (the rollout rows so far stay valid;
      // the episode start flag cuts GAE at the seam).
      await this.#env.reset();
      this.#lastEpisodeStarts.fill(1);
    }
    this.#started = s.started || envRestored;
    return { envRestored };
  }
}
