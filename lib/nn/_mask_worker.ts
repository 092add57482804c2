/**
 * Worker of {@linkcode _MaskPrefetcher}: fills dropout masks for given keys into
 * buffers it owns and transfers them back.
 *
 * @module
 */
import { fillMask } from "./dropout_masks.ts";

/** A request: one mask per key, `sizes[i]` elements with drop probability `ps[i]`. */
export interface _MaskRequest {
  id: number;
  dtype: "float32" | "float64";
  keys: number[];
  sizes: number[];
  ps: number[];
  /** Buffers given back for reuse. */
  recycled: ArrayBuffer[];
}

const pool: ArrayBuffer[] = [];

const scope = self as unknown as {
  onmessage: (event: MessageEvent<_MaskRequest>) => void;
  postMessage: (message: unknown, transfer: Transferable[]) => void;
};
scope.onmessage = (event: MessageEvent<_MaskRequest>) => {
  const { id, dtype, keys, sizes, ps, recycled } = event.data;
  pool.push(...recycled);
  const Arr = dtype === "float32" ? Float32Array : Float64Array;
  const masks = keys.map((key, i) => {
    const bytes = sizes[i] * Arr.BYTES_PER_ELEMENT;
    const index = pool.findIndex((b) => b.byteLength === bytes);
    const buffer = index >= 0 ? pool.splice(index, 1)[0] : new ArrayBuffer(bytes);
    const out = new Arr(buffer);
    fillMask(out, key, ps[i]);
    return buffer;
  });
  scope.postMessage({ id, masks }, masks);
};
