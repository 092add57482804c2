/**
 * Dropout: in train mode `x * mask`, where the mask is a graph input of 0
 * (dropped) and 1/(1-p) (kept) values filled per run from a seeded generator
 * ({@linkcode DropoutMaskGenerator}); identity in eval mode.
 *
 * @module
 */
import type { Tensor } from "../graph.ts";
import { mul } from "./elementwise.ts";

/**
 * Inverted dropout with drop probability `p` (PyTorch `nn.Dropout`). In a
 * train-mode graph this declares a mask input `dropout_mask.<n>` of x's shape.
 * @throws {RangeError} When p is outside [0, 1).
 */
export function dropout(x: Tensor, p: number): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout probability must be in [0, 1), got ${p}`);
  if (!x.graph.training || p === 0) return x;
  return mul(x, x.graph.dropoutMask(x.shape, p));
}
