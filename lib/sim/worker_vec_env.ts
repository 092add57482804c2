/**
 * A vector env whose envs run in Deno Workers: the same buffers and interface
 * as {@linkcode VecEnv}, with N envs spread over W workers. Observations,
 * actions, rewards and flags live in SharedArrayBuffers; a step is handed off
 * through Atomics (no messages, no structured cloning, no buffers allocated).
 * Env i keeps random stream i of the seed, so results are bitwise the same for
 * any W.
 *
 * @module
 */
import type { BoxSpace } from "./robot_env.ts";
import type { EnvSettings } from "./settings.ts";
import type { MapDefinition } from "./map_definition.ts";
import {
  checkSnapshotHeader,
  mergeVecEnvSnapshots,
  SnapshotError,
  splitVecEnvSnapshot,
  VEC_ENV_SNAPSHOT_FORMAT,
  type VecEnvSnapshot,
} from "./snapshot.ts";
import {
  createVecEnvBuffers,
  EnvStepError,
  type VecEnvBuffers,
  type VectorEnv,
} from "./vec_env.ts";
import { envWorkerPermissions, spawnWorker } from "../workers/permissions.ts";
import {
  _CMD_CLOSE,
  _CMD_MESSAGE,
  _CMD_RESET,
  _CMD_STEP,
  _cmdSlot,
  _endedSlot,
  type _FromWorker,
  _HEADER,
  _PER_WORKER,
  _REMAINING,
  _SEED_GIVEN,
  _STATUS_ERROR,
  _statusSlot,
  type _ToWorker,
  type _WireError,
} from "./_worker_protocol.ts";

const _WORKER_MODULE = new URL("./_env_worker.ts", import.meta.url);
const _CLOSE_TIMEOUT_MS = 5000;

/** Options of {@linkcode WorkerVecEnv.create}. */
export interface WorkerVecEnvOptions {
  /** Number of environments, N. @default 1 */
  numEnvs?: number;
  /** Seed; env i uses stream i of it. @default 0 */
  seed?: number;
  /** Number of workers, W, in [1, N]. @default min(N, navigator.hardwareConcurrency) */
  envWorkers?: number;
  /**
   * A loaded map to send to the workers; without it each worker loads
   * `settings.map` itself (a built-in name, or a path it is allowed to read).
   */
  map?: MapDefinition;
  /** Buffers on SharedArrayBuffers (e.g. from `createVecEnvBuffers(n, shape, { shared: true })`). */
  buffers?: VecEnvBuffers;
  /** Environment variables the workers may read (none by default). @default [] */
  env?: string[];
}

type _State = "starting" | "serving" | "gone";

interface _Inbox {
  queue: _FromWorker[];
  waiter: ((m: _FromWorker) => void) | null;
}

const _ERROR_CLASSES: Record<string, new (message: string) => Error> = {
  Error,
  RangeError,
  TypeError,
  SyntaxError,
  SnapshotError,
};

/** Rebuild an error that crossed the worker boundary, keeping its class where we know it. */
function _revive(wire: _WireError, context: string): Error {
  const denoErrors = Deno.errors as unknown as Record<string, new (message: string) => Error>;
  const Class = _ERROR_CLASSES[wire.name] ?? denoErrors[wire.name] ?? Error;
  const err = new Class(`${context}${wire.message}`);
  if (err.name !== wire.name) err.name = wire.name;
  if (wire.stack) err.stack = `${err.name}: ${err.message}\n    [in worker] ${wire.stack}`;
  return err;
}

function _isMapPath(map: string): boolean {
  return /[\\/]/.test(map) || /\.(svg|json)$/i.test(map);
}

const _TOKEN = Symbol("WorkerVecEnv");

/**
 * N envs stepped in W Deno Workers started with env-worker permissions (read
 * of code, configs and the map; nothing else). Build it with
 * {@linkcode WorkerVecEnv.create}; always {@linkcode WorkerVecEnv.close} it.
 * `reset`, `step`, `snapshot` and `restore` return promises and must not
 * overlap. Snapshots have the same format as {@linkcode VecEnv}'s and move
 * freely between the two.
 *
 * @example Step 4 envs in 2 workers
 * ```ts
 * const vec = await WorkerVecEnv.create(makeEnvSettings({ map: "default" }), {
 *   numEnvs: 4,
 *   envWorkers: 2,
 *   seed: 7,
 * });
 * try {
 *   await vec.reset();
 *   vec.buffers.actions.fill(0.1); // [N, 2]
 *   const ended = await vec.step(); // rewards, flags, observations in vec.buffers
 * } finally {
 *   await vec.close();
 * }
 * ```
 */
export class WorkerVecEnv implements VectorEnv {
  /** Number of envs, N. */
  readonly numEnvs: number;
  /** Number of workers, W. */
  readonly envWorkers: number;
  /** The flat buffers, on SharedArrayBuffers, shared with the workers. */
  readonly buffers: VecEnvBuffers;
  /** Observation spaces of one env. */
  readonly observationSpace: { rays: BoxSpace; drive_state: BoxSpace };
  /** Action space of one env. */
  readonly actionSpace: BoxSpace;
  /** `[first env, env count]` of each worker, contiguous ranges in worker order. */
  readonly envRanges: readonly (readonly [number, number])[];

  #workers: Worker[];
  #states: _State[];
  #inboxes: _Inbox[];
  #control: Int32Array;
  #seedSlot: Float64Array;
  #episodesFinished = 0;
  #busy = false;
  #pending: Promise<unknown> | null = null;
  #closed = false;
  #crash: Error | null = null;
  #failure: Error | null = null;

  /** Use {@linkcode WorkerVecEnv.create}. */
  constructor(
    token: symbol,
    parts: {
      numEnvs: number;
      buffers: VecEnvBuffers;
      ranges: [number, number][];
      control: Int32Array;
      seedSlot: Float64Array;
    },
  ) {
    if (token !== _TOKEN) throw new TypeError("Build a WorkerVecEnv with WorkerVecEnv.create()");
    this.numEnvs = parts.numEnvs;
    this.envWorkers = parts.ranges.length;
    this.buffers = parts.buffers;
    this.envRanges = parts.ranges;
    this.#control = parts.control;
    this.#seedSlot = parts.seedSlot;
    this.#workers = [];
    this.#states = [];
    this.#inboxes = [];
    this.observationSpace = undefined as unknown as WorkerVecEnv["observationSpace"];
    this.actionSpace = undefined as unknown as BoxSpace;
  }

  /**
   * Start W workers, each building its share of the N envs, and wait until all are ready.
   *
   * @param settings Env settings; workers load `settings.map` unless `options.map` is given.
   * @param options Env count, seed, worker count, map, buffers, env variable names.
   * @returns The ready vector env (call `reset` before the first step).
   * @throws {RangeError} When numEnvs or envWorkers is out of range.
   * @throws {TypeError} When given buffers are not on SharedArrayBuffers or have the wrong size.
   * @throws {Error} When a worker fails to start (e.g. the map cannot be loaded); the
   * error keeps the worker's class (`MapError` by name, `Deno.errors.NotFound`, ...).
   */
  static async create(
    settings: EnvSettings,
    options: WorkerVecEnvOptions = {},
  ): Promise<WorkerVecEnv> {
    const n = options.numEnvs ?? 1;
    if (!Number.isInteger(n) || n < 1) {
      throw new RangeError(`numEnvs must be a positive integer, got ${n}`);
    }
    const w = options.envWorkers ?? Math.min(n, Math.max(1, navigator.hardwareConcurrency || 1));
    if (!Number.isInteger(w) || w < 1 || w > n) {
      throw new RangeError(`envWorkers must be an integer in [1, numEnvs = ${n}], got ${w}`);
    }
    const shape = { stackSteps: settings.stackSteps, rays: settings.lidar.rays };
    const expected = createVecEnvBuffers(n, shape);
    const buffers = options.buffers ?? createVecEnvBuffers(n, shape, { shared: true });
    for (const [key, want] of Object.entries(expected)) {
      const got = buffers[key as keyof VecEnvBuffers];
      if (
        got === undefined || got.constructor !== want.constructor || got.length !== want.length ||
        !(got.buffer instanceof SharedArrayBuffer)
      ) {
        throw new TypeError(
          `Buffer '${key}' must be a ${want.constructor.name} of length ${want.length} on a SharedArrayBuffer`,
        );
      }
    }
    const ranges: [number, number][] = [];
    for (let k = 0, start = 0; k < w; k++) {
      const count = Math.floor(n / w) + (k < n % w ? 1 : 0);
      ranges.push([start, count]);
      start += count;
    }
    const control = new Int32Array(
      new SharedArrayBuffer((_HEADER + _PER_WORKER * w) * Int32Array.BYTES_PER_ELEMENT),
    );
    const seedSlot = new Float64Array(new SharedArrayBuffer(Float64Array.BYTES_PER_ELEMENT));
    const vec = new WorkerVecEnv(_TOKEN, { numEnvs: n, buffers, ranges, control, seedSlot });
    const mapPaths = options.map === undefined && _isMapPath(settings.map) ? [settings.map] : [];
    const permissions = envWorkerPermissions({ mapPaths, env: options.env });
    try {
      await vec.#start(permissions, settings, options.map ?? null, options.seed ?? 0);
    } catch (err) {
      await vec.close();
      throw err;
    }
    return vec;
  }

  async #start(
    permissions: ReturnType<typeof envWorkerPermissions>,
    settings: EnvSettings,
    map: MapDefinition | null,
    seed: number,
  ): Promise<void> {
    for (let k = 0; k < this.envWorkers; k++) {
      const worker = spawnWorker(_WORKER_MODULE, permissions, { name: `env-worker-${k}` });
      this.#workers.push(worker);
      this.#states.push("starting");
      this.#inboxes.push({ queue: [], waiter: null });
      worker.onmessage = (e: MessageEvent<_FromWorker>) => this.#deliver(k, e.data);
      worker.onerror = (e: ErrorEvent) => {
        e.preventDefault();
        this.#lost(k, e.message);
      };
      worker.onmessageerror = () => this.#lost(k, "a message could not be deserialised");
      const [first, count] = this.envRanges[k];
      const init: _ToWorker = {
        type: "init",
        worker: k,
        first,
        count,
        seed,
        settings,
        map,
        buffers: this.buffers,
        control: this.#control,
        seedSlot: this.#seedSlot,
      };
      worker.postMessage(init);
    }
    const replies = await Promise.allSettled(
      this.#workers.map(async (_, k) => {
        const m = await this.#expect(k, "ready", `Env worker ${k} failed to start: `);
        this.#states[k] = "serving";
        return m;
      }),
    );
    const failed = replies.find((r) => r.status === "rejected");
    if (failed) throw (failed as PromiseRejectedResult).reason;
    const ready = (replies[0] as PromiseFulfilledResult<_FromWorker & { type: "ready" }>).value;
    (this as { observationSpace: unknown }).observationSpace = ready.observationSpace;
    (this as { actionSpace: unknown }).actionSpace = ready.actionSpace;
  }

  #deliver(k: number, m: _FromWorker): void {
    const inbox = this.#inboxes[k];
    if (inbox.waiter !== null) {
      const waiter = inbox.waiter;
      inbox.waiter = null;
      waiter(m);
    } else {
      inbox.queue.push(m);
    }
  }

  /** A worker died (uncaught error, failed message): fail everything that waits on it. */
  #lost(k: number, message: string): void {
    this.#states[k] = "gone";
    this.#crash ??= new Error(`Env worker ${k} crashed: ${message}`);
    this.#deliver(k, { type: "crash", error: { name: "Error", message }, envIndex: null });
    Atomics.notify(this.#control, _REMAINING); // wake a waiting step
  }

  #receive(k: number): Promise<_FromWorker> {
    const inbox = this.#inboxes[k];
    if (inbox.queue.length > 0) return Promise.resolve(inbox.queue.shift()!);
    return new Promise((resolve) => inbox.waiter = resolve);
  }

  async #expect<T extends _FromWorker["type"]>(
    k: number,
    type: T,
    context: string,
  ): Promise<_FromWorker & { type: T }> {
    const m = await this.#receive(k);
    if (m.type === type) return m as _FromWorker & { type: T };
    if (m.type === "error" || m.type === "crash") throw _revive(m.error, context);
    throw new Error(`${context}unexpected '${m.type}' reply`);
  }

  /** Episodes finished so far, all envs together. */
  get episodesFinished(): number {
    return this.#episodesFinished;
  }

  #usable(operation: string, allowFailure = false): void {
    if (this.#closed) throw new Error(`Cannot ${operation}: the WorkerVecEnv is closed`);
    if (this.#crash) throw new Error(`Cannot ${operation}: ${this.#crash.message}`);
    if (this.#busy) {
      throw new Error(
        `Cannot ${operation}: the previous reset, step, snapshot or restore has not finished`,
      );
    }
    if (this.#failure && !allowFailure) {
      throw new Error(
        `Cannot ${operation} after a failure (${this.#failure.message}); reset, restore or close it`,
      );
    }
  }

  /** Run `operation` as the one operation in flight (`close` waits for it). */
  #exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const run = async () => {
      this.#busy = true;
      try {
        return await operation();
      } finally {
        this.#busy = false;
        this.#pending = null;
      }
    };
    const promise = run();
    this.#pending = promise;
    return promise;
  }

  /** Hand a step or reset to every worker and wait for all; returns episodes ended. */
  async #command(command: number): Promise<number> {
    const control = this.#control;
    Atomics.store(control, _REMAINING, this.envWorkers);
    for (let k = 0; k < this.envWorkers; k++) {
      Atomics.store(control, _cmdSlot(k), command);
      Atomics.notify(control, _cmdSlot(k), 1);
    }
    for (;;) {
      const left = Atomics.load(control, _REMAINING);
      if (left === 0) break;
      if (this.#crash) throw this.#crash;
      const wait = Atomics.waitAsync(control, _REMAINING, left);
      if (wait.async) await wait.value;
    }
    let ended = 0;
    let failure: Error | null = null, failingEnv = Infinity;
    for (let k = 0; k < this.envWorkers; k++) {
      if (control[_statusSlot(k)] !== _STATUS_ERROR) {
        ended += control[_endedSlot(k)];
        continue;
      }
      // Read every failing worker's report, so that none is left in an inbox.
      const m = await this.#receive(k);
      const cause = m.type === "error" || m.type === "crash"
        ? _revive(m.error, "")
        : new Error(`Env worker ${k}: unexpected '${m.type}' reply`);
      const envIndex = m.type === "error" && m.envIndex !== null ? m.envIndex : Infinity;
      if (failure === null || envIndex < failingEnv) {
        failingEnv = envIndex;
        failure = envIndex === Infinity
          ? new Error(`Env worker ${k} failed: ${cause.message}`, { cause })
          : new EnvStepError(envIndex, cause, { worker: k });
      }
    }
    if (failure !== null) {
      this.#failure = failure;
      throw failure;
    }
    return ended;
  }

  /**
   * Reset every env (observations land in `buffers.rays` / `drive_state`) and
   * clear a failure left by an env error.
   * @param seed Reseed: env i gets stream i of this seed, pedestrians respawn.
   * @throws {Error} When closed, busy, or a worker crashed or fails.
   */
  reset(seed?: number): Promise<void> {
    try {
      this.#usable("reset", true);
      if (seed !== undefined && !Number.isInteger(seed)) {
        throw new TypeError(`Seed must be an integer, got ${seed}`);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    this.#control[_SEED_GIVEN] = seed === undefined ? 0 : 1;
    this.#seedSlot[0] = seed ?? 0;
    this.#failure = null;
    return this.#exclusive(() => this.#resetting());
  }

  async #resetting(): Promise<void> {
    await this.#command(_CMD_RESET);
    this.buffers.terminated.fill(0);
    this.buffers.truncated.fill(0);
  }

  /**
   * Step every env with its row of `buffers.actions` (or of `actions`, copied
   * in first). Ended envs reset at once; their final observation is in the
   * terminal buffers and their episode statistics in `episode_*`.
   * @param actions Optional `[N, 2]` actions.
   * @returns How many episodes ended in this step.
   * @throws {RangeError} When `actions` has the wrong length.
   * @throws {EnvStepError} When an env fails; `envIndex` names it (the vector env
   * then refuses to step until `reset` or `restore`).
   * @throws {Error} When closed, busy, or a worker crashed.
   */
  step(actions?: ArrayLike<number>): Promise<number> {
    try {
      this.#usable("step");
      if (actions !== undefined) {
        if (actions.length !== 2 * this.numEnvs) {
          throw new RangeError(
            `Actions must have ${2 * this.numEnvs} elements, got ${actions.length}`,
          );
        }
        this.buffers.actions.set(actions);
      }
    } catch (err) {
      return Promise.reject(err);
    }
    const promise = this.#stepped();
    this.#pending = promise;
    return promise;
  }

  /** The step itself, without the closure of `#exclusive` (hot path). */
  async #stepped(): Promise<number> {
    this.#busy = true;
    try {
      const ended = await this.#command(_CMD_STEP);
      this.#episodesFinished += ended;
      return ended;
    } finally {
      this.#busy = false;
      this.#pending = null;
    }
  }

  /** Post a message to worker k and pull it out of its wait loop to read it. */
  #message(k: number, message: _ToWorker): void {
    this.#workers[k].postMessage(message);
    Atomics.store(this.#control, _cmdSlot(k), _CMD_MESSAGE);
    Atomics.notify(this.#control, _cmdSlot(k), 1);
  }

  /**
   * The complete dynamic state of all envs, assembled from the workers; the
   * same format as {@linkcode VecEnv.snapshot}.
   * @throws {Error} When closed, busy, failed, or a worker crashed.
   */
  snapshot(): Promise<VecEnvSnapshot> {
    try {
      this.#usable("take a snapshot");
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#exclusive(async () => {
      for (let k = 0; k < this.envWorkers; k++) this.#message(k, { type: "snapshot" });
      const parts = await Promise.all(
        this.#workers.map((_, k) => this.#expect(k, "snapshot", `Env worker ${k}: `)),
      );
      const merged = mergeVecEnvSnapshots(parts.map((p) => p.snapshot));
      merged.episodesFinished = this.#episodesFinished;
      return merged;
    });
  }

  /**
   * Continue from a snapshot of N envs (from this class or {@linkcode VecEnv});
   * each worker restores its range. Clears a failure left by an env error.
   * @throws {SnapshotError} When the snapshot does not fit (format, version,
   * env count, map or settings); if a worker refused after others restored,
   * the vector env stays failed until a successful reset or restore.
   * @throws {Error} When closed, busy, or a worker crashed.
   */
  restore(snapshot: VecEnvSnapshot): Promise<void> {
    try {
      this.#usable("restore", true);
      checkSnapshotHeader(snapshot, VEC_ENV_SNAPSHOT_FORMAT);
      if (snapshot.numEnvs !== this.numEnvs || snapshot.envs?.length !== this.numEnvs) {
        throw new SnapshotError(
          `Vector env snapshot holds ${snapshot.envs?.length} envs, this vector env ${this.numEnvs}`,
        );
      }
    } catch (err) {
      return Promise.reject(err);
    }
    return this.#exclusive(async () => {
      const parts = splitVecEnvSnapshot(snapshot, this.envRanges.map(([, c]) => c));
      for (let k = 0; k < this.envWorkers; k++) {
        this.#message(k, { type: "restore", snapshot: parts[k] });
      }
      const results = await Promise.allSettled(
        this.#workers.map((_, k) => this.#expect(k, "restored", `Env worker ${k}: `)),
      );
      const failed = results.find((r) => r.status === "rejected");
      if (failed) {
        this.#failure = (failed as PromiseRejectedResult).reason;
        throw this.#failure;
      }
      this.#episodesFinished = snapshot.episodesFinished;
      this.#failure = null;
    });
  }

  /**
   * Stop the workers (waits for an operation in flight first). Safe to call
   * more than once; every later operation fails.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#pending) await this.#pending.catch(() => {});
    const closing: Promise<unknown>[] = [];
    for (let k = 0; k < this.#workers.length; k++) {
      if (this.#states[k] !== "serving") continue;
      closing.push(this.#expect(k, "closed", "").catch(() => {}));
      Atomics.store(this.#control, _cmdSlot(k), _CMD_CLOSE);
      Atomics.notify(this.#control, _cmdSlot(k), 1);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([
      Promise.all(closing),
      new Promise((resolve) => timer = setTimeout(resolve, _CLOSE_TIMEOUT_MS)),
    ]);
    clearTimeout(timer);
    for (let k = 0; k < this.#workers.length; k++) {
      this.#workers[k].terminate();
      this.#states[k] = "gone";
    }
  }
}
