/**
 * Dropout: in train mode `x * mask`, where the mask is a graph input of 0
 * (dropped) and 1/(1-p) (kept) values filled per run from a seeded generator
 * ({@linkcode DropoutMaskGenerator}); identity in eval mode.
 *
 * @module
 */
import type { Emitter, Node, OpDef, Tensor } from "../graph.ts";
import { apply1 } from "./_define.ts";
import { cast, greater, mul } from "./elementwise.ts";

/**
 * Dropout of a ReLU's output, `y = relu(h) * mask` (inputs: the ReLU output r, the
 * mask, and h). The ONNX graph is the same as unfused (`Mul(r, mask)`, the ReLU
 * fused into a preceding Gemm by ONNX Runtime); the difference is the gradient,
 * written straight to h: `dh = g * (Cast(y > 0) * keep)`, because `mask * [r > 0]`
 * is `keep` exactly where y > 0 (r >= 0, mask in {0, keep}). That reads the
 * activation-sized tensors four times (`Greater`, `Cast`, two `Mul`, one of them by a
 * scalar) where the unfused rules read them five times and the mask a second time,
 * with the same values, zeros' signs included: `g * keep` rounded once, or g times
 * +0. The ReLU node gets no gradient from this node (inputs 0 and 1 are not
 * differentiated), so another use of its output still differentiates through it.
 */
const RELU_DROPOUT: OpDef = {
  type: "ReluDropout",
  nondiffInputs: [0, 1],
  gradientOnlyInputs: [2],
  emit(n: Node, e: Emitter) {
    e.add("Mul", [e.name(n.inputs[0]), e.name(n.inputs[1])], [e.name(n.outputs[0])]);
  },
  vjp: (n, [g]) => {
    const y = n.outputs[0];
    const keep = n.attrs.keep as number;
    return [null, null, mul(g!, mul(cast(greater(y, 0), y.dtype), keep))];
  },
};

/**
 * Inverted dropout with drop probability `p` (PyTorch `nn.Dropout`). In a
 * train-mode graph this declares a mask input `dropout_mask.<n>` of x's shape.
 * Dropout of a ReLU output differentiates both at once (see `RELU_DROPOUT`).
 * @throws {RangeError} When p is outside [0, 1).
 */
export function dropout(x: Tensor, p: number): Tensor {
  if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout probability must be in [0, 1), got ${p}`);
  if (!x.graph.training || p === 0) return x;
  const mask = x.graph.dropoutMask(x.shape, p);
  if (x.node.op.type !== "Relu") return mul(x, mask);
  // The kept value as the mask holds it (float32 masks store fround(1 / (1 - p))).
  const keep = x.dtype === "float32" ? Math.fround(1 / (1 - p)) : 1 / (1 - p);
  return apply1(x.graph, RELU_DROPOUT, [x, mask, x.node.inputs[0]], x.shape, x.dtype, { keep });
}
