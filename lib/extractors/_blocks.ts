/**
 * Pieces shared by several extractor families.
 *
 * @module
 */
import {
  dropout,
  flatten,
  type Graph,
  type LayerInit,
  linear,
  relu,
  type Tensor,
} from "../nn/mod.ts";
import type { ConvFormulation } from "./types.ts";

/**
 * `nn.Sequential(Flatten, [Linear, ReLU, Dropout] per width)`: x `[batch, ...]` ->
 * `[batch, widths.at(-1)]` (or the flattened input when `widths` is empty). The
 * Linears are modules `<name>.1`, `<name>.4`, ... (every Dropout is a module, also
 * with p = 0, so indices do not depend on the rate).
 */
export function _mlpBranch(
  x: Tensor,
  options: { name: string; widths: readonly number[]; dropoutRate: number; init: LayerInit },
): Tensor {
  const { name, widths, dropoutRate, init } = options;
  let h = flatten(x);
  widths.forEach((width, i) => {
    h = linear(h, { name: `${name}.${1 + 3 * i}`, outFeatures: width, init });
    h = dropout(relu(h), dropoutRate);
  });
  return h;
}

/** Whether convolutions of `g` are built channels last under `conv`. */
export function _channelsLast(conv: ConvFormulation, g: Graph): boolean {
  return conv === "nlc" || (conv === "auto" && g.training);
}

/** A static dimension of `t`, or a RangeError naming the extractor. */
export function _staticDim(t: Tensor, axis: number, what: string): number {
  const d = t.shape[axis];
  if (typeof d !== "number") {
    throw new RangeError(`${what} must have a static size, got ${String(d)}`);
  }
  return d;
}
