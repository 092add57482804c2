/**
 * Reverse-mode automatic differentiation at graph level: given a scalar loss,
 * append the gradient graph for chosen tensors (parameters, inputs) to the same
 * {@linkcode Graph}, using each op's vector-Jacobian rule.
 *
 * @module
 */
import type { Node, Tensor } from "./graph.ts";
import { addN } from "./ops/elementwise.ts";
import { zerosLike } from "./ops/shape_ops.ts";
import { formatShape, sameShape } from "./shape.ts";

/**
 * A gradient would have to flow through an op that has no gradient rule
 * (Greater, Cast, Sign, ArgMax, ...). Use such ops only on metric paths, or wrap
 * their result in `stopGradient` if it is meant as a constant.
 */
export class NonDifferentiableError extends Error {
  /** Node name of the offending op. */
  readonly node: string;

  /**
   * Create the error.
   * @param node Offending node name.
   * @param message Explanation.
   */
  constructor(node: string, message: string) {
    super(message);
    this.name = "NonDifferentiableError";
    this.node = node;
  }
}

/** Options of {@linkcode gradients}. */
export interface GradientOptions {
  /**
   * Gradient of the output to start from, same shape as `output`.
   * @default 1 (output must then be a scalar)
   */
  seed?: Tensor;
}

/**
 * Gradients of `output` with respect to each tensor in `wrt`, as new tensors in
 * the same graph. Nodes are visited in reverse creation (topological) order;
 * contributions to a tensor used several times are summed with one Sum node.
 * A tensor `output` does not depend on gets a zero gradient.
 * @param output Scalar loss (or any tensor with `options.seed`).
 * @param wrt Tensors to differentiate with respect to (parameters, inputs, ...).
 * @returns One gradient per `wrt` entry, same shape as that entry.
 * @throws {NonDifferentiableError} When a gradient would flow through an op without a rule.
 * @throws {RangeError} When output is not a scalar and no seed is given, or the seed's shape differs.
 */
export function gradients(
  output: Tensor,
  wrt: readonly Tensor[],
  options: GradientOptions = {},
): Tensor[] {
  const graph = output.graph;
  for (const t of wrt) {
    if (t.graph !== graph) throw new RangeError(`Tensor ${t.describe()} belongs to another graph`);
  }
  let seed = options.seed;
  if (!seed) {
    if (output.rank !== 0) {
      throw new RangeError(
        `Gradients need a scalar output or a seed, got shape ${formatShape(output.shape)}`,
      );
    }
    seed = graph.scalar(1);
  } else if (!sameShape(seed.shape, output.shape)) {
    throw new RangeError(
      `Seed shape ${formatShape(seed.shape)} differs from output shape ${
        formatShape(output.shape)
      }`,
    );
  }

  // Forward: which tensors depend on a wrt tensor (through differentiable inputs).
  const depends = new Set<number>(wrt.map((t) => t.id));
  const lastId = output.node.id;
  const nodes = graph.nodes.filter((n) => n.id <= lastId);
  for (const n of nodes) {
    if (n.leaf || n.op.stopsGradient) continue;
    const nondiff = n.op.nondiffInputs ?? [];
    if (n.inputs.some((t, i) => !nondiff.includes(i) && depends.has(t.id))) {
      for (const o of n.outputs) depends.add(o.id);
    }
  }

  const contributions = new Map<number, Tensor[]>();
  const push = (t: Tensor, g: Tensor) => {
    if (!sameShape(t.shape, g.shape)) {
      throw new RangeError(
        `Gradient rule of ${g.node.name} produced ${formatShape(g.shape)} for ${t.describe()}`,
      );
    }
    const list = contributions.get(t.id);
    if (list) list.push(g);
    else contributions.set(t.id, [g]);
  };
  const total = (t: Tensor): Tensor | null => {
    const list = contributions.get(t.id);
    if (!list) return null;
    if (list.length > 1) {
      const s = addN(list);
      contributions.set(t.id, [s]);
      return s;
    }
    return list[0];
  };

  if (depends.has(output.id)) push(output, seed);
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n: Node = nodes[k];
    if (n.leaf || n.op.stopsGradient) continue;
    if (!n.outputs.some((o) => contributions.has(o.id))) continue;
    const nondiff = n.op.nondiffInputs ?? [];
    const needs = n.inputs.map((t, i) => !nondiff.includes(i) && depends.has(t.id));
    if (!needs.some(Boolean)) continue;
    if (!n.op.vjp) {
      throw new NonDifferentiableError(
        n.name,
        `Cannot differentiate through ${n.op.type} (node ${n.name}): it has no gradient rule. ` +
          `Use it only for metrics, or wrap its result in stopGradient() to treat it as a constant`,
      );
    }
    const grads = n.outputs.map((o) => total(o));
    const vjp = n.op.vjp;
    const inGrads = graph.scope(`grad(${n.name})`, () => vjp(n, grads, needs));
    n.inputs.forEach((t, i) => {
      const g = inGrads[i];
      if (needs[i] && g) push(t, g);
    });
  }
  return wrt.map((t) => total(t) ?? zerosLike(t));
}
