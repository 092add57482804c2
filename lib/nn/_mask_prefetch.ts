/**
 * Dropout masks computed one training step ahead in a worker thread, so that
 * filling them overlaps the previous step's ONNX Runtime call (which blocks the
 * main thread). The masks are those the inline path would fill: the keys come
 * from a look-ahead copy of the step's generator, and a mask for a smaller batch
 * is the prefix of one for a larger batch (element i depends on key and i only).
 *
 * @module
 */
import type { SeededRngState } from "../rng/mod.ts";
import { DropoutMaskGenerator } from "./dropout_masks.ts";
import type { FloatType } from "./graph.ts";
import { computeWorkerPermissions, spawnWorker } from "../workers/permissions.ts";

interface _Pending {
  keys: number[];
  sizes: number[];
  result: Promise<ArrayBuffer[]>;
}

/** Keys, sizes and probabilities of one step's masks. */
export interface _MaskSet {
  keys: number[];
  sizes: number[];
  ps: number[];
}

/** Owns the worker and at most one request in flight. */
export class _MaskPrefetcher {
  #worker: Worker;
  #dtype: FloatType;
  #nextId = 0;
  #resolvers = new Map<number, (masks: ArrayBuffer[]) => void>();
  #pending: _Pending | null = null;
  #recycled: ArrayBuffer[] = [];

  /** @param dtype Element type of the masks. */
  constructor(dtype: FloatType) {
    this.#dtype = dtype;
    this.#worker = spawnWorker(
      new URL("./_mask_worker.ts", import.meta.url),
      computeWorkerPermissions(),
      { name: "dropout-mask-prefetch" },
    );
    this.#worker.onmessage = (event: MessageEvent<{ id: number; masks: ArrayBuffer[] }>) => {
      const resolve = this.#resolvers.get(event.data.id);
      this.#resolvers.delete(event.data.id);
      resolve?.(event.data.masks);
    };
  }

  /** The keys the next `count` masks of a generator in `state` will use. */
  static lookahead(state: SeededRngState, count: number): number[] {
    const gen = DropoutMaskGenerator.fromState(state);
    return Array.from({ length: count }, () => gen.nextKey());
  }

  /** Start filling a mask set (replaces nothing: call after {@linkcode take}). */
  request(set: _MaskSet): void {
    const id = this.#nextId++;
    const result = new Promise<ArrayBuffer[]>((resolve) => this.#resolvers.set(id, resolve));
    const recycled = this.#recycled;
    this.#recycled = [];
    this.#worker.postMessage(
      { id, dtype: this.#dtype, keys: set.keys, sizes: set.sizes, ps: set.ps, recycled },
      recycled,
    );
    this.#pending = { keys: set.keys, sizes: set.sizes, result };
  }

  /**
   * The prefetched buffers when they were filled for exactly these keys and for at
   * least these sizes, else null. Clears the pending request either way.
   */
  async take(keys: readonly number[], sizes: readonly number[]): Promise<ArrayBuffer[] | null> {
    const p = this.#pending;
    this.#pending = null;
    if (p === null) return null;
    const buffers = await p.result;
    const fits = p.keys.length === keys.length &&
      p.keys.every((k, i) => k === keys[i] && p.sizes[i] >= sizes[i]);
    if (!fits) {
      this.#recycled.push(...buffers);
      return null;
    }
    return buffers;
  }

  /** Give buffers back to the worker with the next request. */
  recycle(buffers: ArrayBuffer[]): void {
    this.#recycled.push(...buffers);
  }

  /** Stop the worker. */
  terminate(): void {
    this.#worker.terminate();
  }
}
