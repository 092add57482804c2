/**
 * Between two extractors, collect the garbage the previous one (and the summary
 * drawn after it) left, so that the next one starts from a small heap: ONNX
 * Runtime's output tensors are external buffers that V8 otherwise keeps until its
 * next major collection. Needs `gc` exposed (`--v8-flags=--expose-gc`, as the train
 * task runs); a no-op without it.
 *
 * @module
 */

/**
 * Run a full garbage collection when `gc` is exposed.
 *
 * @returns Whether a collection ran.
 */
export function collectGarbage(): boolean {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== "function") return false;
  gc();
  return true;
}
