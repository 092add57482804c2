/**
 * The typed intermediate representation: a {@linkcode Graph} of {@linkcode Node}s
 * producing {@linkcode Tensor}s with static shapes (plus symbolic dimensions such
 * as `batch`). Ops are plain functions that append nodes; gradient rules append
 * more nodes to the same graph, so a training step is one graph.
 *
 * @module
 */
import type onnxProto from "onnx-proto";
import type { SeededRng } from "../rng/mod.ts";
import { ParameterStore } from "./parameters.ts";
import type { Initializer } from "./init.ts";
import { type Dim, formatShape, type Shape, ShapeError, shapeSize } from "./shape.ts";

/** Element type of a floating-point graph. */
export type FloatType = "float32" | "float64";

/** Element type of any tensor in a graph. */
export type DType = FloatType | "int64" | "bool";

/** ONNX attribute value, tagged with its ONNX type. */
export type Attr =
  | { i: number }
  | { f: number }
  | { ints: readonly number[] }
  | { floats: readonly number[] }
  | { s: string }
  | { g: onnxProto.onnx.IGraphProto };

/** Name, element type and shape of a subgraph input or output (see {@linkcode Emitter.subgraph}). */
export interface SubgraphValue {
  /** ONNX value name (from {@linkcode Emitter.fresh}). */
  name: string;
  /** Element type. */
  dtype: DType;
  /** Shape with symbolic dims. */
  shape: Shape;
}

/** What an op needs from the ONNX writer (implemented by the emitter). */
export interface Emitter {
  /** Element type of the graph's float tensors. */
  readonly dtype: FloatType;
  /** ONNX value name of an IR tensor. */
  name(t: Tensor): string;
  /** A new unique ONNX value name for an intermediate. */
  fresh(hint: string): string;
  /** Append one ONNX node. */
  add(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[],
    attrs?: Readonly<Record<string, Attr>>,
  ): void;
  /** Name of a cached 1-D int64 initializer. */
  ints(values: readonly number[]): string;
  /** Name of a cached float scalar initializer of the graph's float type. */
  scalar(value: number): string;
  /** Name of a cached all-zero float initializer of the given static shape. */
  zeros(dims: readonly number[]): string;
  /**
   * A graph-valued attribute (the `body` of ONNX `Scan`, `Loop`, `If`): the nodes that
   * `build` appends with {@linkcode Emitter.add} while it runs form the subgraph, whose
   * formal inputs and outputs are `inputs` and `outputs`. Its nodes may read any value of
   * the enclosing graph by name (ONNX outer-scope references); initializers it asks for
   * ({@linkcode Emitter.ints}, {@linkcode Emitter.scalar}) live in the main graph.
   * @throws {Error} What `build` throws (the main graph is left as before the call).
   */
  subgraph(
    name: string,
    inputs: readonly SubgraphValue[],
    outputs: readonly SubgraphValue[],
    build: () => void,
  ): Attr;
}

/** Gradient rule: output gradients (null = zero) to input gradients (null = none). */
export type VjpRule = (
  node: Node,
  grads: readonly (Tensor | null)[],
  needs: readonly boolean[],
) => (Tensor | null)[];

/** Definition of an op kind: how it is written as ONNX and how it is differentiated. */
export interface OpDef {
  /** Op name used in errors and node names, e.g. `"MatMul"`. */
  readonly type: string;
  /** Write the node as ONNX nodes. Leaves are written by the emitter itself. */
  emit(node: Node, e: Emitter): void;
  /** Vector-Jacobian product; absent for ops with no gradient (Greater, Cast, ...). */
  readonly vjp?: VjpRule;
  /** Input positions no gradient ever flows to (e.g. the condition of Where). */
  readonly nondiffInputs?: readonly number[];
  /** When true, outputs never depend on anything for autodiff (stopGradient). */
  readonly stopsGradient?: boolean;
  /**
   * Input positions the ONNX form does not read: they only route gradients (the
   * pre-activation input of a fused ReLU + dropout). The emitter does not count them as
   * consumers, so they do not block its Gemm-fusion peephole.
   */
  readonly gradientOnlyInputs?: readonly number[];
}

/** Kind of a leaf node. */
export type LeafKind = "input" | "parameter" | "buffer" | "constant";

/** Leaf payload of a node without inputs. */
export interface Leaf {
  /** Where its value comes from. */
  kind: LeafKind;
  /** Input, parameter or buffer name; for constants an internal name. */
  name: string;
  /** Values of a constant. */
  values?: Float64Array | Float32Array | BigInt64Array | Uint8Array;
}

/** A value in the graph: static shape (with symbolic dims) and element type. */
export class Tensor {
  /** Graph that owns this tensor. */
  readonly graph: Graph;
  /** Unique id within the graph; increases in creation (topological) order. */
  readonly id: number;
  /** Shape, e.g. `[batch, 3, 272]`. */
  readonly shape: Shape;
  /** Element type. */
  readonly dtype: DType;
  /** Node that produces this tensor. */
  readonly node: Node;
  /** Output position within `node`. */
  readonly index: number;

  /** @internal Use graph methods and ops to create tensors. */
  constructor(graph: Graph, id: number, shape: Shape, dtype: DType, node: Node, index: number) {
    this.graph = graph;
    this.id = id;
    this.shape = shape;
    this.dtype = dtype;
    this.node = node;
    this.index = index;
  }

  /** Number of dimensions. */
  get rank(): number {
    return this.shape.length;
  }

  /** Short description for error messages: `MatMul_12:0 [batch, 64]`. */
  describe(): string {
    return `${this.node.name}${this.node.outputs.length > 1 ? ":" + this.index : ""} ${
      formatShape(this.shape)
    }`;
  }
}

/** One op application. */
export class Node {
  /** Unique id within the graph, increasing in creation order. */
  readonly id: number;
  /** Op definition. */
  readonly op: OpDef;
  /** Input tensors (may be empty for leaves). */
  readonly inputs: readonly Tensor[];
  /** Output tensors. */
  outputs: Tensor[] = [];
  /** Op-specific settings (axes, strides, formulation choices). */
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Node name, unique within the graph: `<scope>/<Type>_<id>`. */
  readonly name: string;
  /** Leaf payload for inputs, parameters, buffers and constants. */
  readonly leaf?: Leaf;

  /** @internal Use {@linkcode Graph.apply}. */
  constructor(
    id: number,
    op: OpDef,
    inputs: readonly Tensor[],
    attrs: Readonly<Record<string, unknown>>,
    name: string,
    leaf?: Leaf,
  ) {
    this.id = id;
    this.op = op;
    this.inputs = inputs;
    this.attrs = attrs;
    this.name = name;
    this.leaf = leaf;
  }
}

/** A dropout mask the caller (or the session wrapper) must feed in train mode. */
export interface DropoutMaskSpec {
  /** Graph input name, e.g. `dropout_mask.0`. */
  name: string;
  /** Mask shape (same as the dropped tensor), symbolic batch allowed. */
  shape: Shape;
  /** Drop probability in [0, 1). */
  p: number;
}

/** Options of {@linkcode Graph}. */
export interface GraphOptions {
  /**
   * Element type of float tensors. Float64 graphs are for gradient checks.
   * @default "float32"
   */
  dtype?: FloatType;
  /**
   * Train mode (dropout masks, batch statistics) or eval mode.
   * @default false
   */
  training?: boolean;
  /**
   * Parameter store that declares and initialises parameters by name. Share one
   * store between the train-mode and eval-mode graphs of the same network.
   * @default a new store seeded with 0
   */
  parameters?: ParameterStore;
}

/** Options of {@linkcode Graph.parameter}. */
export interface ParameterOptions {
  /** Initial values drawn from the store's generator on first declaration. */
  init: Initializer;
}

const LEAF_OP: Record<LeafKind, OpDef> = {
  input: { type: "Input", emit: () => {} },
  parameter: { type: "Parameter", emit: () => {} },
  buffer: { type: "Buffer", emit: () => {} },
  constant: { type: "Constant", emit: () => {}, stopsGradient: true },
};

/**
 * A computation graph under construction.
 *
 * @example Build y = tanh(x W^T + b)
 * ```ts
 * const g = new Graph({ parameters: new ParameterStore(new SeededRng(1)) });
 * const x = g.input("obs", ["batch", 4]);
 * const y = tanh(linear(x, { name: "fc", outFeatures: 8 }));
 * ```
 */
export class Graph {
  /** Element type of float tensors. */
  readonly dtype: FloatType;
  /** Train mode (true) or eval mode. */
  readonly training: boolean;
  /** Store that owns parameter values and their flat layout. */
  readonly parameters: ParameterStore;
  /** All nodes in creation (topological) order. */
  readonly nodes: Node[] = [];
  /** Graph inputs declared with {@linkcode Graph.input}, in order. */
  readonly inputs: Tensor[] = [];
  /** Dropout masks declared in train mode, in order. */
  readonly dropoutMasks: DropoutMaskSpec[] = [];
  /** New values of buffers computed in train mode (batch-norm running stats). */
  readonly bufferUpdates: Map<string, Tensor> = new Map();
  #nextId = 0;
  #scopes: string[] = [];
  #params = new Map<string, Tensor>();
  #inputNames = new Set<string>();
  #scalars = new Map<string, Tensor>();

  /**
   * Create an empty graph.
   * @param options Element type, mode and parameter store.
   */
  constructor(options: GraphOptions = {}) {
    this.dtype = options.dtype ?? "float32";
    this.training = options.training ?? false;
    this.parameters = options.parameters ?? new ParameterStore();
  }

  /** Generator of the parameter store (for layers that need randomness at build time). */
  get rng(): SeededRng {
    return this.parameters.rng;
  }

  /** Current name scope joined with `/`, e.g. `features_extractor/ray_conv`. */
  get scopeName(): string {
    return this.#scopes.join("/");
  }

  /**
   * Run `fn` with `name` pushed on the node-name scope (shows in profiles).
   * @returns What `fn` returns.
   */
  scope<T>(name: string, fn: () => T): T {
    this.#scopes.push(name);
    try {
      return fn();
    } finally {
      this.#scopes.pop();
    }
  }

  #nodeName(type: string, id: number): string {
    return this.#scopes.length ? `${this.#scopes.join("/")}/${type}_${id}` : `${type}_${id}`;
  }

  /**
   * Append a node applying `op` to `inputs`, with outputs of the given shapes.
   * Op functions call this after checking shapes.
   * @throws {TypeError} When an input belongs to another graph.
   */
  apply(
    op: OpDef,
    inputs: readonly Tensor[],
    outputs: readonly { shape: Shape; dtype: DType }[],
    attrs: object = {},
  ): Tensor[] {
    for (const t of inputs) {
      if (t.graph !== this) {
        throw new TypeError(`${op.type}: input ${t.describe()} belongs to another graph`);
      }
    }
    const id = this.#nextId++;
    const node = new Node(
      id,
      op,
      inputs,
      attrs as Readonly<Record<string, unknown>>,
      this.#nodeName(op.type, id),
    );
    node.outputs = outputs.map((o, i) =>
      new Tensor(this, this.#nextId++, Object.freeze([...o.shape]), o.dtype, node, i)
    );
    this.nodes.push(node);
    return node.outputs;
  }

  #leaf(leaf: Leaf, shape: Shape, dtype: DType): Tensor {
    const id = this.#nextId++;
    const op = LEAF_OP[leaf.kind];
    const node = new Node(id, op, [], {}, leaf.name, leaf);
    node.outputs = [new Tensor(this, this.#nextId++, Object.freeze([...shape]), dtype, node, 0)];
    this.nodes.push(node);
    return node.outputs[0];
  }

  /**
   * Declare a graph input fed at run time.
   * @param name ONNX input name, e.g. `rays`.
   * @param shape Shape with symbolic dims, e.g. `["batch", 3, 272]`.
   * @param options.dtype Element type. @default the graph's float type
   * @throws {RangeError} When the name is taken or a dimension is not a positive integer or a name.
   */
  input(name: string, shape: Shape, options: { dtype?: DType } = {}): Tensor {
    this.#claimInputName(name);
    checkShape("Input", shape);
    const t = this.#leaf({ kind: "input", name }, shape, options.dtype ?? this.dtype);
    this.inputs.push(t);
    return t;
  }

  #claimInputName(name: string): void {
    if (!name) throw new RangeError("Graph input name must not be empty");
    if (this.#inputNames.has(name)) {
      throw new RangeError(`Graph input name '${name}' is already declared`);
    }
    this.#inputNames.add(name);
  }

  /**
   * Declare (or reuse) a trainable parameter. The first declaration of a name in
   * the store draws its initial values; later ones (also from other graphs sharing
   * the store) must give the same shape.
   * @param name Stable readable name, e.g. `mlp_extractor.policy_net.0.weight`.
   * @param shape Static shape, PyTorch layout (Linear weight `[out, in]`).
   * @throws {ShapeError} When the name exists with another shape.
   */
  parameter(name: string, shape: readonly number[], options: ParameterOptions): Tensor {
    return this.#stateLeaf("parameter", name, shape, options.init);
  }

  /**
   * Declare (or reuse) a non-trainable state tensor such as a batch-norm running mean.
   * @param name Stable readable name, e.g. `features_extractor.bn.0.running_mean`.
   * @throws {ShapeError} When the name exists with another shape or as a parameter.
   */
  buffer(name: string, shape: readonly number[], options: ParameterOptions): Tensor {
    return this.#stateLeaf("buffer", name, shape, options.init);
  }

  #stateLeaf(
    kind: "parameter" | "buffer",
    name: string,
    shape: readonly number[],
    init: Initializer,
  ): Tensor {
    const cached = this.#params.get(name);
    if (cached) {
      if (cached.node.leaf!.kind !== kind) {
        throw new ShapeError(kind, `'${name}' is already declared as a ${cached.node.leaf!.kind}`);
      }
      this.parameters.declare(name, shape, { init, trainable: kind === "parameter" });
      return cached;
    }
    checkShape(kind, shape, true);
    this.parameters.declare(name, shape, { init, trainable: kind === "parameter" });
    const t = this.#leaf({ kind, name }, shape, this.dtype);
    this.#params.set(name, t);
    return t;
  }

  /** Parameter and buffer tensors of this graph by name. */
  get stateTensors(): ReadonlyMap<string, Tensor> {
    return this.#params;
  }

  /**
   * A constant tensor.
   * @param values Values in row-major order.
   * @param shape Static shape. @default `[values.length]`
   * @param dtype Element type. @default the graph's float type
   * @throws {ShapeError} When the values do not fill the shape.
   */
  constant(
    values: ArrayLike<number>,
    shape: readonly number[] = [values.length],
    dtype: DType = this.dtype,
  ): Tensor {
    checkShape("Constant", shape, true);
    const n = shapeSize(shape);
    if (n !== values.length) {
      throw new ShapeError(
        "Constant",
        `${values.length} values do not fill shape ${formatShape(shape)}`,
        [shape],
      );
    }
    let data: Float64Array | Float32Array | BigInt64Array | Uint8Array;
    if (dtype === "float64") data = Float64Array.from(values);
    else if (dtype === "float32") data = Float32Array.from(values);
    else if (dtype === "int64") data = BigInt64Array.from(Array.from(values, (v) => BigInt(v)));
    else data = Uint8Array.from(values, (v) => (v ? 1 : 0));
    return this.#leaf(
      { kind: "constant", name: `const_${this.#nextId}`, values: data },
      shape,
      dtype,
    );
  }

  /** A cached float scalar constant (shape `[]`) of the graph's float type. */
  scalar(value: number): Tensor {
    const key = Object.is(value, -0) ? "-0" : String(value);
    let t = this.#scalars.get(key);
    if (!t) {
      t = this.constant([value], []);
      this.#scalars.set(key, t);
    }
    return t;
  }

  /**
   * Declare a dropout mask input of the given shape (train mode only). Its values
   * are 0 (dropped) or 1/(1-p) (kept); the session wrapper fills it from a seeded
   * generator.
   * @throws {RangeError} When p is outside [0, 1) or the graph is in eval mode.
   */
  dropoutMask(shape: Shape, p: number): Tensor {
    if (!this.training) throw new RangeError("Dropout masks exist only in train-mode graphs");
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout probability must be in [0, 1), got ${p}`);
    const name = `dropout_mask.${this.dropoutMasks.length}`;
    this.#claimInputName(name);
    const t = this.#leaf({ kind: "input", name }, shape, this.dtype);
    this.dropoutMasks.push({ name, shape: t.shape, p });
    return t;
  }

  /**
   * Record the new value of a buffer computed by a train-mode forward pass.
   * @throws {ShapeError} When the buffer is unknown or the shapes differ.
   */
  setBufferUpdate(name: string, value: Tensor): void {
    const b = this.#params.get(name);
    if (!b || b.node.leaf!.kind !== "buffer") {
      throw new ShapeError("BufferUpdate", `'${name}' is not a buffer of this graph`);
    }
    if (formatShape(b.shape) !== formatShape(value.shape)) {
      throw new ShapeError(
        "BufferUpdate",
        `new value of '${name}' has shape ${formatShape(value.shape)}, buffer has ${
          formatShape(b.shape)
        }`,
        [b.shape, value.shape],
      );
    }
    this.bufferUpdates.set(name, value);
  }
}

function checkShape(op: string, shape: Shape, staticOnly = false): void {
  for (const d of shape) {
    const ok = typeof d === "number" ? Number.isInteger(d) && d >= 0 : !staticOnly && d !== "";
    if (!ok) {
      throw new ShapeError(op, `invalid dimension ${String(d)} in shape ${formatShape(shape)}`, [
        shape,
      ]);
    }
  }
}

/** Dimension list helper used by ops: `dims(x)` returns a mutable copy of `x.shape`. */
export function dims(t: Tensor): Dim[] {
  return [...t.shape];
}
