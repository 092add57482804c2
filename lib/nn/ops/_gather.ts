/**
 * Gather of static indices along one axis, used inside gradient graphs (it has no
 * gradient rule of its own).
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { apply1 } from "./_define.ts";

const GATHER: OpDef = {
  type: "Gather",
  emit(n: Node, e: Emitter) {
    e.add("Gather", [e.name(n.inputs[0]), e.ints(n.attrs.indices as number[])], [
      e.name(n.outputs[0]),
    ], { axis: { i: n.attrs.axis as number } });
  },
};

/** Select static indices along an axis (no gradient rule; used inside gradient graphs). */
export function gatherStatic(x: Tensor, indices: number[], axis: number): Tensor {
  const shape = [...x.shape];
  shape[axis] = indices.length;
  return apply1(x.graph, GATHER, [x], shape, x.dtype, { indices, axis });
}
