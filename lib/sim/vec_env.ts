/**
 * N environments stepped as one batch over flat typed buffers, with
 * auto-reset, terminal observations for bootstrapping, and per-env episode
 * statistics.
 *
 * @module
 */
import type { MapDefinition } from "./map_definition.ts";
import { loadMap } from "./load_map.ts";
import { type BoxSpace, RobotEnv } from "./robot_env.ts";
import type { EnvSettings } from "./settings.ts";
import { _decodeInto, _encode } from "./_codec.ts";
import {
  checkSnapshotHeader,
  SNAPSHOT_VERSION,
  SnapshotError,
  VEC_ENV_OUTPUT_BUFFERS,
  VEC_ENV_SNAPSHOT_FORMAT,
  type VecEnvOutputBuffer,
  type VecEnvSnapshot,
} from "./snapshot.ts";

/** The flat buffers of a {@linkcode VecEnv}. Any may be supplied (e.g. on SharedArrayBuffer). */
export interface VecEnvBuffers {
  /** Observations: LiDAR, `[N, stack=3, rays=272]`, normalised. */
  rays: Float32Array;
  /** Observations: drive state, `[N, stack=3, 5]`, normalised. */
  drive_state: Float32Array;
  /** Actions in, `[N, 2]`. */
  actions: Float32Array;
  /** Rewards of the last step, `[N]`. */
  rewards: Float32Array;
  /** 1 where the last step terminated the episode, `[N]`. */
  terminated: Uint8Array;
  /** 1 where the last step truncated the episode (time limit), `[N]`. */
  truncated: Uint8Array;
  /** Final observation of episodes that ended in the last step (LiDAR), `[N, 3, 272]`. */
  terminal_rays: Float32Array;
  /** Final observation of episodes that ended in the last step (drive), `[N, 3, 5]`. */
  terminal_drive_state: Float32Array;
  /** Return of the episode that ended in the last step, `[N]` (valid where ended). */
  episode_return: Float64Array;
  /** Length in steps of the episode that ended in the last step, `[N]`. */
  episode_length: Int32Array;
  /** 1 where the episode that ended reached its goal, `[N]`. */
  episode_success: Uint8Array;
  /** 1 where the episode that ended in a collision (pedestrian or obstacle), `[N]`. */
  episode_collision: Uint8Array;
}

/** Options of the {@linkcode VecEnv} constructor. */
export interface VecEnvOptions {
  /** Number of environments. @default 1 */
  numEnvs?: number;
  /** Seed; env i uses stream i of it (see {@linkcode RobotEnvOptions.streamIndex}). @default 0 */
  seed?: number;
  /** Index of the first env's stream, for envs split over workers. @default 0 */
  firstStreamIndex?: number;
  /** Externally created buffers to use instead of new ones. */
  buffers?: Partial<VecEnvBuffers>;
}

/**
 * What a trainer needs from a batch of envs, whether stepped in this thread
 * ({@linkcode VecEnv}) or in workers (`WorkerVecEnv` in lib/workers). Methods
 * may return promises; `await` works for both.
 */
export interface VectorEnv {
  /** Number of envs, N. */
  readonly numEnvs: number;
  /** The flat buffers (actions in, observations, rewards and flags out). */
  readonly buffers: VecEnvBuffers;
  /** Observation spaces of one env. */
  readonly observationSpace: { rays: BoxSpace; drive_state: BoxSpace };
  /** Action space of one env. */
  readonly actionSpace: BoxSpace;
  /** Episodes finished so far, all envs together. */
  readonly episodesFinished: number;
  /** Reset every env; a seed reseeds env i's stream i. */
  reset(seed?: number): void | Promise<void>;
  /** Step every env with `buffers.actions` (or `actions`); returns episodes ended. */
  step(actions?: ArrayLike<number>): number | Promise<number>;
  /** The complete dynamic state, JSON-serialisable. */
  snapshot(): VecEnvSnapshot | Promise<VecEnvSnapshot>;
  /** Continue from a snapshot of a vector env with the same map, settings and N. */
  restore(snapshot: VecEnvSnapshot): void | Promise<void>;
  /** Release resources (workers); later calls fail. */
  close(): void | Promise<void>;
}

/** An env failed inside a vector env's step; `envIndex` names it, `cause` holds the error. */
export class EnvStepError extends Error {
  /** Index of the failing env in the vector env, 0-based. */
  readonly envIndex: number;

  /**
   * Create a EnvStepError.
   * @param envIndex Index of the env in the vector env.
   * @param cause The error the env raised.
   * @param options `worker`: index of the worker that ran the env, named in the message.
   */
  constructor(envIndex: number, cause: unknown, options: { worker?: number } = {}) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const where = options.worker === undefined ? "" : ` (worker ${options.worker})`;
    super(`Env ${envIndex}${where} failed in step: ${reason}`, { cause });
    this.name = "EnvStepError";
    this.envIndex = envIndex;
  }
}

/**
 * Allocate the buffers of a vector env (plain typed arrays, or on a
 * SharedArrayBuffer when `shared` is true).
 */
export function createVecEnvBuffers(
  numEnvs: number,
  shape: { stackSteps: number; rays: number },
  options: { shared?: boolean } = {},
): VecEnvBuffers {
  const alloc = <T>(
    Type: { new (b: ArrayBufferLike): T; BYTES_PER_ELEMENT: number },
    n: number,
  ): T =>
    new Type(
      options.shared
        ? new SharedArrayBuffer(n * Type.BYTES_PER_ELEMENT)
        : new ArrayBuffer(n * Type.BYTES_PER_ELEMENT),
    );
  const obsRays = numEnvs * shape.stackSteps * shape.rays,
    obsDrive = numEnvs * shape.stackSteps * 5;
  return {
    rays: alloc(Float32Array, obsRays),
    drive_state: alloc(Float32Array, obsDrive),
    actions: alloc(Float32Array, 2 * numEnvs),
    rewards: alloc(Float32Array, numEnvs),
    terminated: alloc(Uint8Array, numEnvs),
    truncated: alloc(Uint8Array, numEnvs),
    terminal_rays: alloc(Float32Array, obsRays),
    terminal_drive_state: alloc(Float32Array, obsDrive),
    episode_return: alloc(Float64Array, numEnvs),
    episode_length: alloc(Int32Array, numEnvs),
    episode_success: alloc(Uint8Array, numEnvs),
    episode_collision: alloc(Uint8Array, numEnvs),
  };
}

/**
 * A batch of {@linkcode RobotEnv}s sharing one map. `step` reads
 * `buffers.actions`, steps every env, writes rewards and flags, and resets
 * envs whose episode ended, keeping their final observation in
 * `terminal_rays` / `terminal_drive_state` and their episode statistics.
 *
 * @example Step a batch with random actions
 * ```ts
 * const vec = await VecEnv.create(makeEnvSettings(), { numEnvs: 4, seed: 7 });
 * vec.reset();
 * vec.buffers.actions.fill(0.1);
 * vec.step();
 * ```
 */
export class VecEnv implements VectorEnv {
  /** Number of envs. */
  readonly numEnvs: number;
  /** The envs (their observation buffers are views into `buffers`). */
  readonly envs: RobotEnv[];
  /** The flat buffers. */
  readonly buffers: VecEnvBuffers;
  /** Observation spaces of one env. */
  readonly observationSpace: { rays: BoxSpace; drive_state: BoxSpace };
  /** Action space of one env. */
  readonly actionSpace: BoxSpace;
  /** Episodes finished so far, all envs together. */
  episodesFinished = 0;
  #running: Float64Array;
  #actionViews: Float32Array[];
  #rowRays: number;
  #rowDrive: number;

  /**
   * Create a VecEnv.
   * @param map A loaded map.
   * @param settings Env settings.
   * @param options Count, seed, external buffers.
   * @throws {RangeError} When numEnvs is not a positive integer or a buffer has the wrong length.
   */
  constructor(map: MapDefinition, settings: EnvSettings, options: VecEnvOptions = {}) {
    const n = options.numEnvs ?? 1;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`numEnvs must be a positive integer, got ${n}`);
    }
    this.numEnvs = n;
    const own = createVecEnvBuffers(n, {
      stackSteps: settings.stackSteps,
      rays: settings.lidar.rays,
    });
    const given = options.buffers ?? {};
    for (const [key, value] of Object.entries(given)) {
      const expected = own[key as keyof VecEnvBuffers];
      if (expected === undefined) throw new RangeError(`Unknown vector env buffer '${key}'`);
      if (value.length !== expected.length || value.constructor !== expected.constructor) {
        throw new RangeError(
          `Buffer '${key}' must be a ${expected.constructor.name} of length ${expected.length}`,
        );
      }
    }
    this.buffers = { ...own, ...given } as VecEnvBuffers;
    this.#rowRays = settings.stackSteps * settings.lidar.rays;
    this.#rowDrive = settings.stackSteps * 5;
    const first = options.firstStreamIndex ?? 0;
    this.envs = [];
    for (let i = 0; i < n; i++) {
      this.envs.push(
        new RobotEnv(map, settings, {
          seed: options.seed ?? 0,
          streamIndex: first + i,
          buffers: {
            rays: this.buffers.rays.subarray(i * this.#rowRays, (i + 1) * this.#rowRays),
            drive_state: this.buffers.drive_state.subarray(
              i * this.#rowDrive,
              (i + 1) * this.#rowDrive,
            ),
          },
        }),
      );
    }
    this.observationSpace = this.envs[0].observationSpace;
    this.actionSpace = this.envs[0].actionSpace;
    this.#running = new Float64Array(n);
    this.#actionViews = this.envs.map((_, i) => this.buffers.actions.subarray(2 * i, 2 * i + 2));
  }

  /** Load the map named in the settings and build the vector env. */
  static async create(settings: EnvSettings, options: VecEnvOptions = {}): Promise<VecEnv> {
    return new VecEnv(await loadMap(settings.map), settings, options);
  }

  /**
   * Reset every env (observations land in `buffers.rays` / `drive_state`).
   * @param seed Reseed: env i gets stream i of this seed, pedestrians respawn.
   */
  reset(seed?: number): void {
    for (let i = 0; i < this.numEnvs; i++) {
      this.envs[i].reset(seed);
      this.#running[i] = 0;
    }
    this.buffers.terminated.fill(0);
    this.buffers.truncated.fill(0);
  }

  /**
   * Step every env with its row of `buffers.actions` (or of `actions`, copied in
   * first). Ended envs are reset at once; their final observation is in the
   * terminal buffers and their episode statistics in `episode_*`.
   * @param actions Optional `[N, 2]` actions.
   * @returns How many episodes ended in this step.
   * @throws {RangeError} When `actions` has the wrong length.
   * @throws {EnvStepError} When an env fails (e.g. a NaN action); names the env.
   */
  step(actions?: ArrayLike<number>): number {
    const b = this.buffers;
    if (actions !== undefined) {
      if (actions.length !== 2 * this.numEnvs) {
        throw new RangeError(
          `Actions must have ${2 * this.numEnvs} elements, got ${actions.length}`,
        );
      }
      b.actions.set(actions);
    }
    let ended = 0, i = 0;
    try {
      for (; i < this.numEnvs; i++) ended += this.#stepOne(i);
    } catch (err) {
      throw new EnvStepError(i, err);
    }
    this.episodesFinished += ended;
    return ended;
  }

  /** Step env i, record its outputs, auto-reset it; returns 1 when its episode ended. */
  #stepOne(i: number): number {
    const b = this.buffers;
    const env = this.envs[i];
    const r = env.step(this.#actionViews[i]);
    b.rewards[i] = r.reward;
    b.terminated[i] = r.terminated ? 1 : 0;
    b.truncated[i] = r.truncated ? 1 : 0;
    this.#running[i] += r.reward;
    if (!r.terminated && !r.truncated) return 0;
    b.terminal_rays.set(r.observation.rays, i * this.#rowRays);
    b.terminal_drive_state.set(r.observation.drive_state, i * this.#rowDrive);
    b.episode_return[i] = this.#running[i];
    b.episode_length[i] = r.info.step;
    b.episode_success[i] = r.info.is_success ? 1 : 0;
    b.episode_collision[i] = r.info.is_pedestrian_collision || r.info.is_obstacle_collision ? 1 : 0;
    this.#running[i] = 0;
    env.reset();
    return 1;
  }

  /**
   * The complete dynamic state: every env's snapshot, the running episode
   * returns, the episode counter and the output buffers of the last step
   * (`actions` are an input and not kept).
   */
  snapshot(): VecEnvSnapshot {
    const lastStep = {} as VecEnvSnapshot["lastStep"];
    for (const key of VEC_ENV_OUTPUT_BUFFERS) lastStep[key] = _encode(this.buffers[key]);
    return {
      format: VEC_ENV_SNAPSHOT_FORMAT,
      version: SNAPSHOT_VERSION,
      numEnvs: this.numEnvs,
      episodesFinished: this.episodesFinished,
      envs: this.envs.map((e) => e.snapshot()),
      runningReturn: _encode(this.#running),
      lastStep,
    };
  }

  /**
   * Continue from a {@linkcode VecEnv.snapshot} (or a worker-backed vector
   * env's): env i takes `envs[i]`, including its random stream index.
   * @param snapshot A snapshot of N envs with the same map and settings.
   * @throws {SnapshotError} When the format, version or env count does not fit,
   * or an env's snapshot does not (see {@linkcode RobotEnv.restore}).
   */
  restore(snapshot: VecEnvSnapshot): void {
    checkSnapshotHeader(snapshot, VEC_ENV_SNAPSHOT_FORMAT);
    if (snapshot.numEnvs !== this.numEnvs || snapshot.envs?.length !== this.numEnvs) {
      throw new SnapshotError(
        `Vector env snapshot holds ${snapshot.envs?.length} envs, this vector env ${this.numEnvs}`,
      );
    }
    if (!Number.isInteger(snapshot.episodesFinished) || snapshot.episodesFinished < 0) {
      throw new SnapshotError(
        "Vector env snapshot episodesFinished must be a non-negative integer",
      );
    }
    _decodeInto(snapshot.runningReturn, this.#running, "runningReturn");
    for (const key of VEC_ENV_OUTPUT_BUFFERS) {
      _decodeInto(
        snapshot.lastStep?.[key],
        this.buffers[key as VecEnvOutputBuffer],
        `lastStep.${key}`,
      );
    }
    for (let i = 0; i < this.numEnvs; i++) this.envs[i].restore(snapshot.envs[i]);
    this.episodesFinished = snapshot.episodesFinished;
  }

  /** Nothing to release in this thread; present for the {@linkcode VectorEnv} interface. */
  close(): void {}
}
