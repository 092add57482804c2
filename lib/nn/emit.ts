/**
 * Writes part of an IR {@linkcode Graph} as an ONNX ModelProto (IR 8, opset 17).
 *
 * Parameters and buffers are either sliced in-graph from flat inputs `params [P]`
 * and `buffers [B]` (one Split, then a Reshape per tensor), or baked in as
 * initializers (export).
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import { attribute, IR_VERSION, onnx, OPSET_VERSION, tensorProto, valueInfo } from "./_onnx.ts";
import type {
  Attr,
  DType,
  Emitter,
  FloatType,
  Graph,
  Node,
  SubgraphValue,
  Tensor,
} from "./graph.ts";
import type { ParameterInfo } from "./parameters.ts";
import type { Shape } from "./shape.ts";

/** Elementwise activations written before a preceding Reshape (see emitModel). */
const SINKABLE = new Set(["Relu", "Tanh", "Sigmoid"]);

/** How parameters and buffers enter the model. */
export type StateMode = "inputs" | "initializers";

/** Options of {@linkcode emitModel}. */
export interface EmitOptions {
  /**
   * `inputs`: flat graph inputs `params [P]` and `buffers [B]`; `initializers`:
   * current store values baked in (export).
   * @default "inputs"
   */
  state?: StateMode;
  /** Graph input names of the flat vectors. @default {params: "params", buffers: "buffers"} */
  stateInputNames?: { params: string; buffers: string };
  /** ONNX graph name. @default "multi_extractor" */
  graphName?: string;
  /** Model doc string. @default "" */
  docString?: string;
  /** Model metadata properties. @default {} */
  metadata?: Readonly<Record<string, string>>;
}

/** Name, element type and shape of a model input or output. */
export interface ValueSpec {
  /** ONNX name. */
  name: string;
  /** Element type. */
  dtype: DType;
  /** Shape with symbolic dims. */
  shape: Shape;
}

/** Result of {@linkcode emitModel}. */
export interface EmittedModel {
  /** Serialized ModelProto, ready for `InferenceSession.create(bytes)`. */
  bytes: Uint8Array;
  /** Graph inputs in order. */
  inputs: ValueSpec[];
  /** Graph outputs in order. */
  outputs: ValueSpec[];
  /** Number of ONNX nodes. */
  nodeCount: number;
  /** The written nodes (op type, inputs, outputs, attributes) for inspection and FLOP counts. */
  nodes: onnxProto.onnx.INodeProto[];
  /** IR nodes that were written, in order. */
  irNodes: Node[];
}

class OnnxEmitter implements Emitter {
  readonly dtype: FloatType;
  readonly nodes: onnxProto.onnx.INodeProto[] = [];
  /** Where {@linkcode OnnxEmitter.add} appends: the main graph's nodes or a subgraph's. */
  #target: onnxProto.onnx.INodeProto[] = this.nodes;
  /** Nodes written so far in the main graph and its subgraphs (suffix of node names). */
  #nodeCount = 0;
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  readonly inputs: ValueSpec[] = [];
  #names = new Map<number, string>();
  #used = new Set<string>();
  #ints = new Map<string, string>();
  #scalars = new Map<string, string>();
  #counter = 0;
  /** Name of the IR node being written (prefix of ONNX node names). */
  current = "";

  constructor(dtype: FloatType) {
    this.dtype = dtype;
  }

  claim(name: string): string {
    if (this.#used.has(name)) throw new RangeError(`ONNX value name '${name}' is used twice`);
    this.#used.add(name);
    return name;
  }

  bind(t: Tensor, name: string): void {
    this.#names.set(t.id, this.claim(name));
  }

  /** Bind to `name`, or to a suffixed variant when it is taken; returns the name used. */
  bindFresh(t: Tensor, name: string): string {
    const n = this.fresh(name);
    this.#names.set(t.id, n);
    return n;
  }

  has(t: Tensor): boolean {
    return this.#names.has(t.id);
  }

  name(t: Tensor): string {
    let n = this.#names.get(t.id);
    if (n === undefined) {
      n = this.fresh(`t${t.id}`);
      this.#names.set(t.id, n);
    }
    return n;
  }

  fresh(hint: string): string {
    let n = hint;
    while (this.#used.has(n)) n = `${hint}_${++this.#counter}`;
    this.#used.add(n);
    return n;
  }

  add(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs: Readonly<Record<string, Attr>> = {},
  ): void {
    const count = this.#nodeCount++;
    this.#target.push({
      opType,
      input: [...inputs],
      output: [...outputs],
      name: this.current ? `${this.current}:${opType}_${count}` : `${opType}_${count}`,
      attribute: Object.entries(attrs).map(([k, v]) => attribute(k, v)),
    });
  }

  subgraph(
    name: string,
    inputs: readonly SubgraphValue[],
    outputs: readonly SubgraphValue[],
    build: () => void,
  ): Attr {
    const outer = this.#target;
    const body: onnxProto.onnx.INodeProto[] = [];
    this.#target = body;
    try {
      build();
    } finally {
      this.#target = outer;
    }
    return {
      g: {
        name,
        node: body,
        input: inputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
        output: outputs.map((v) => valueInfo(v.name, v.dtype, v.shape)),
      },
    };
  }

  ints(values: readonly number[]): string {
    const key = values.join(",");
    let n = this.#ints.get(key);
    if (!n) {
      n = this.fresh(`ints_${values.length}`);
      this.initializers.push(
        tensorProto(n, "int64", [values.length], BigInt64Array.from(values.map(BigInt))),
      );
      this.#ints.set(key, n);
    }
    return n;
  }

  zeros(dims: readonly number[]): string {
    const key = `zeros:${dims.join("x")}`;
    let n = this.#scalars.get(key);
    if (!n) {
      n = this.fresh("zeros");
      const size = dims.reduce((a, b) => a * b, 1);
      const data = this.dtype === "float32" ? new Float32Array(size) : new Float64Array(size);
      this.initializers.push(tensorProto(n, this.dtype, dims, data));
      this.#scalars.set(key, n);
    }
    return n;
  }

  scalar(value: number): string {
    const key = Object.is(value, -0) ? "-0" : String(value);
    let n = this.#scalars.get(key);
    if (!n) {
      n = this.fresh("scalar");
      const data = this.dtype === "float32" ? Float32Array.of(value) : Float64Array.of(value);
      this.initializers.push(tensorProto(n, this.dtype, [], data));
      this.#scalars.set(key, n);
    }
    return n;
  }
}

/**
 * Write the nodes needed for `outputs` as an ONNX model.
 * @param graph Graph holding the outputs.
 * @param outputs Model outputs by ONNX name, in order.
 * @returns Serialized model plus input/output specs.
 * @throws {RangeError} When outputs are empty, belong to another graph, or names clash.
 */
export function emitModel(
  graph: Graph,
  outputs: Readonly<Record<string, Tensor>>,
  options: EmitOptions = {},
): EmittedModel {
  const entries = Object.entries(outputs);
  if (entries.length === 0) throw new RangeError("A model needs at least one output");
  for (const [name, t] of entries) {
    if (t.graph !== graph) throw new RangeError(`Output '${name}' belongs to another graph`);
  }
  const mode = options.state ?? "inputs";
  const stateNames = options.stateInputNames ?? { params: "params", buffers: "buffers" };
  const e = new OnnxEmitter(graph.dtype);

  // Needed nodes: everything the outputs depend on.
  const needed = new Set<number>();
  const stack = entries.map(([, t]) => t.node);
  const byId = new Map<number, Node>();
  while (stack.length) {
    const n = stack.pop()!;
    if (needed.has(n.id)) continue;
    needed.add(n.id);
    byId.set(n.id, n);
    for (const i of n.inputs) stack.push(i.node);
  }
  const order = [...byId.values()].sort((a, b) => a.id - b.id);

  // Reserve names of graph inputs and outputs first.
  for (const n of order) {
    if (n.leaf?.kind === "input") e.bind(n.outputs[0], n.leaf.name);
  }
  const outputSpecs: ValueSpec[] = [];
  const aliases: [string, string][] = [];
  for (const [name, t] of entries) {
    outputSpecs.push({ name, dtype: t.dtype, shape: t.shape });
    if (!t.node.leaf && !e.has(t)) e.bind(t, name);
    else aliases.push([name, ""]);
  }
  for (const a of aliases) e.claim(a[0]);

  // Leaves.
  const store = graph.parameters;
  const neededState = { params: [] as Node[], buffers: [] as Node[] };
  for (const n of order) {
    const leaf = n.leaf;
    if (!leaf) continue;
    const t = n.outputs[0];
    if (leaf.kind === "input") {
      e.inputs.push({ name: leaf.name, dtype: t.dtype, shape: t.shape });
    } else if (leaf.kind === "constant") {
      const name = e.name(t);
      e.initializers.push(tensorProto(name, t.dtype, t.shape as number[], leaf.values!));
    } else if (mode === "initializers") {
      const name = e.bindFresh(t, leaf.name);
      const values = store.values(leaf.name);
      const data = graph.dtype === "float32" ? Float32Array.from(values) : values;
      e.initializers.push(tensorProto(name, graph.dtype, t.shape as number[], data));
    } else {
      neededState[leaf.kind === "parameter" ? "params" : "buffers"].push(n);
    }
  }
  if (mode === "inputs") {
    emitFlatState(e, neededState.params, store.parameters, stateNames.params, store.parameterCount);
    emitFlatState(e, neededState.buffers, store.buffers, stateNames.buffers, store.bufferCount);
  }

  // Peephole: an activation applied to a Reshape whose only consumer it is is
  // written before the reshape, so ONNX Runtime can fuse it into a preceding Gemm
  // (Conv1d channels-last and Linear on rank-3 inputs end in Gemm -> Reshape).
  const consumers = new Map<number, number>();
  for (const n of order) {
    const unread = n.op.gradientOnlyInputs ?? [];
    n.inputs.forEach((t, i) => {
      if (!unread.includes(i)) consumers.set(t.id, (consumers.get(t.id) ?? 0) + 1);
    });
  }
  const outputIds = new Set(entries.map(([, t]) => t.id));
  const deferred = new Set<number>();
  const sinkFrom = new Map<number, Node>();
  for (const n of order) {
    if (!SINKABLE.has(n.op.type)) continue;
    const r = n.inputs[0];
    if (r.node.op.type !== "Reshape" || consumers.get(r.id) !== 1 || outputIds.has(r.id)) continue;
    deferred.add(r.node.id);
    sinkFrom.set(n.id, r.node);
  }

  // Op nodes.
  const irNodes: Node[] = [];
  for (const n of order) {
    if (n.leaf || deferred.has(n.id)) continue;
    e.current = n.name;
    const reshapeNode = sinkFrom.get(n.id);
    if (reshapeNode) {
      const pre = e.fresh(`${n.name}.pre_reshape`);
      e.add(n.op.type, [e.name(reshapeNode.inputs[0])], [pre]);
      e.add("Reshape", [pre, e.ints(reshapeNode.attrs.target as number[])], [e.name(n.outputs[0])]);
      irNodes.push(reshapeNode);
    } else {
      n.op.emit(n, e);
    }
    irNodes.push(n);
  }
  e.current = "";
  for (const [name, t] of entries) {
    if (aliases.some((a) => a[0] === name)) e.add("Identity", [e.name(t)], [name]);
  }

  const model: onnxProto.onnx.IModelProto = {
    irVersion: IR_VERSION,
    opsetImport: [{ domain: "", version: OPSET_VERSION }],
    producerName: "multi-extractor lib/nn",
    producerVersion: "0.1.0",
    docString: options.docString ?? "",
    metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({ key, value })),
    graph: {
      name: options.graphName ?? "multi_extractor",
      node: e.nodes,
      initializer: e.initializers,
      input: e.inputs.map((i) => valueInfo(i.name, i.dtype, i.shape)),
      output: outputSpecs.map((o) => valueInfo(o.name, o.dtype, o.shape)),
    },
  };
  const bytes = onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
  return {
    bytes,
    inputs: e.inputs,
    outputs: outputSpecs,
    nodeCount: e.nodes.length,
    nodes: e.nodes,
    irNodes,
  };
}

/** Declare the flat input and slice the needed tensors out of it with one Split. */
function emitFlatState(
  e: OnnxEmitter,
  leaves: Node[],
  layout: readonly ParameterInfo[],
  inputName: string,
  total: number,
): void {
  if (leaves.length === 0) return;
  const flat = e.inputs.find((i) => i.name === inputName) ? inputName : (() => {
    e.claim(inputName);
    e.inputs.push({ name: inputName, dtype: e.dtype, shape: [total] });
    return inputName;
  })();
  const wanted = new Map(leaves.map((n) => [n.leaf!.name, n]));
  const pieces = layout.map((info) =>
    wanted.has(info.name) && info.shape.length === 1
      ? e.bindFresh(wanted.get(info.name)!.outputs[0], info.name)
      : e.fresh(`${info.name}.flat`)
  );
  if (layout.length === 1) e.add("Identity", [flat], pieces);
  else e.add("Split", [flat, e.ints(layout.map((p) => p.size))], pieces, { axis: { i: 0 } });
  layout.forEach((info, k) => {
    const n = wanted.get(info.name);
    if (!n || info.shape.length === 1) return;
    const name = e.bindFresh(n.outputs[0], info.name);
    e.add("Reshape", [pieces[k], e.ints(info.shape)], [name]);
  });
}
