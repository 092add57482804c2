/**
 * Inference models for rollouts: eval-mode graph (dropout off, batch norm with
 * running statistics), one reused ONNX Runtime session, preallocated outputs per
 * batch size so a call allocates no large arrays.
 *
 * Parameters enter either as the flat input `params [P]` (default: updating them
 * is a copy, no session rebuild) or baked in as initializers (ONNX Runtime can
 * then pre-pack weights; updating them rebuilds the session).
 *
 * @module
 */
import { emitModel, type EmittedModel, type StateMode } from "./emit.ts";
import { type FloatType, Graph, type Tensor } from "./graph.ts";
import type { FloatArray, ParameterStore } from "./parameters.ts";
import { ort, Session, type SessionOptions } from "./session.ts";
import { bindShape, formatShape } from "./shape.ts";
import type { TensorFeed } from "./training.ts";

/** Options of {@linkcode createInferenceModel}. */
export interface InferenceModelOptions {
  /** Store holding the network's parameters (current values are used). */
  parameters: ParameterStore;
  /** Float type. @default "float32" */
  dtype?: FloatType;
  /** How parameters enter the model. @default "inputs" */
  state?: StateMode;
  /** Session options. @default one thread, CPU, optimisation level all */
  session?: SessionOptions;
}

function newArray(dtype: FloatType, n: number): FloatArray {
  return dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
}

/**
 * A compiled eval-mode model. Create with {@linkcode createInferenceModel}.
 */
export class InferenceModel {
  /** The emitted model. */
  model: EmittedModel;
  /** The eval-mode IR graph. */
  readonly graph: Graph;
  readonly #outputs: Record<string, Tensor>;
  readonly #options: InferenceModelOptions;
  readonly #dtype: FloatType;
  #session: Session;
  #params: FloatArray;
  #buffers: FloatArray;
  #outBuffers = new Map<
    string,
    { fetches: Record<string, ort.Tensor>; result: Record<string, FloatArray> }
  >();
  #paramTensor: ort.Tensor;
  #bufferTensor: ort.Tensor | null;

  /** @internal Use {@linkcode createInferenceModel}. */
  constructor(
    graph: Graph,
    outputs: Record<string, Tensor>,
    model: EmittedModel,
    session: Session,
    options: InferenceModelOptions,
  ) {
    this.graph = graph;
    this.#outputs = outputs;
    this.model = model;
    this.#session = session;
    this.#options = options;
    this.#dtype = graph.dtype;
    const store = options.parameters;
    this.#params = store.flatParameters(this.#dtype);
    this.#buffers = store.flatBuffers(this.#dtype);
    this.#paramTensor = new ort.Tensor(this.#dtype, this.#params, [this.#params.length]);
    this.#bufferTensor = this.#buffers.length
      ? new ort.Tensor(this.#dtype, this.#buffers, [this.#buffers.length])
      : null;
  }

  /** Output names in order. */
  get outputNames(): string[] {
    return Object.keys(this.#outputs);
  }

  /**
   * Replace the parameters (and optionally buffers), e.g. after a PPO update.
   * In `initializers` mode this rebuilds the session.
   * @throws {RangeError} When a length differs from the store's.
   */
  async setParameters(params: ArrayLike<number>, buffers?: ArrayLike<number>): Promise<void> {
    if (params.length !== this.#params.length) {
      throw new RangeError(
        `Parameters have ${params.length} elements, expected ${this.#params.length}`,
      );
    }
    if (buffers && buffers.length !== this.#buffers.length) {
      throw new RangeError(
        `Buffers have ${buffers.length} elements, expected ${this.#buffers.length}`,
      );
    }
    this.#params.set(params);
    if (buffers) this.#buffers.set(buffers);
    if ((this.#options.state ?? "inputs") === "initializers") {
      const store = this.#options.parameters;
      store.setFlatParameters(this.#params);
      if (buffers) store.setFlatBuffers(this.#buffers);
      const model = emitModel(this.graph, this.#outputs, { state: "initializers" });
      const session = await Session.create(model, this.#options.session);
      await this.#session.release();
      this.#session = session;
      this.model = model;
    }
  }

  /**
   * Run on a batch. Returned arrays are reused by the next call with the same
   * batch size: copy them if you keep them.
   * @param feeds Values of the graph inputs by name.
   * @throws {RangeError} When a feed is missing or its dims contradict the graph.
   */
  async run(feeds: Readonly<Record<string, TensorFeed>>): Promise<Record<string, FloatArray>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    const bindings: Record<string, number> = {};
    for (const input of this.graph.inputs) {
      const name = input.node.leaf!.name;
      const f = feeds[name];
      if (!f) throw new RangeError(`Missing feed '${name}'`);
      if (f.dims.length !== input.rank) {
        throw new RangeError(
          `Feed '${name}' has dims [${f.dims.join(", ")}], expected ${formatShape(input.shape)}`,
        );
      }
      input.shape.forEach((d, i) => {
        if (typeof d === "string" && !d.includes("*")) bindings[d] = f.dims[i];
        else if (typeof d === "number" && d !== f.dims[i]) {
          throw new RangeError(
            `Feed '${name}' has dims [${f.dims.join(", ")}], expected ${formatShape(input.shape)}`,
          );
        }
      });
      ortFeeds[name] = new ort.Tensor(input.dtype, f.data as Float32Array, f.dims as number[]);
    }
    if ((this.#options.state ?? "inputs") === "inputs") {
      if (this.model.inputs.some((i) => i.name === "params")) ortFeeds.params = this.#paramTensor;
      if (this.#bufferTensor && this.model.inputs.some((i) => i.name === "buffers")) {
        ortFeeds.buffers = this.#bufferTensor;
      }
    }
    // Output arrays and their tensor wrappers, cached per binding of the symbolic dims.
    const key = Object.entries(bindings).map(([k, v]) => `${k}=${v}`).join(",");
    let out = this.#outBuffers.get(key);
    if (!out) {
      out = { fetches: {}, result: {} };
      for (const [name, t] of Object.entries(this.#outputs)) {
        const dims = bindShape(t.shape, bindings);
        const buf = newArray(this.#dtype, dims.reduce((a, b) => a * b, 1));
        out.fetches[name] = new ort.Tensor(this.#dtype, buf, dims);
        out.result[name] = buf;
      }
      this.#outBuffers.set(key, out);
    }
    await this.#session.run(ortFeeds, out.fetches);
    return out.result;
  }

  /** Release the native session. */
  release(): Promise<void> {
    return this.#session.release();
  }
}

/**
 * Build an eval-mode graph with `build` and compile it.
 * @param build Declares inputs and returns the outputs by name (e.g. `action_mean`, `value`).
 * @example Rollout model
 * ```ts
 * const policy = await createInferenceModel((g) => {
 *   const p = buildPolicy(g);
 *   return { action_mean: p.actionMean, value: p.value };
 * }, { parameters: store });
 * const out = await policy.run({ rays: { data, dims: [1, 3, 272] }, drive_state: { data: d, dims: [1, 3, 5] } });
 * ```
 * @throws {ExecutionProviderError} When the requested execution provider is unusable.
 */
export async function createInferenceModel(
  build: (g: Graph) => Record<string, Tensor>,
  options: InferenceModelOptions,
): Promise<InferenceModel> {
  const g = new Graph({
    dtype: options.dtype ?? "float32",
    training: false,
    parameters: options.parameters,
  });
  const outputs = build(g);
  const model = emitModel(g, outputs, { state: options.state ?? "inputs", graphName: "inference" });
  const session = await Session.create(model, options.session);
  return new InferenceModel(g, outputs, model, session, options);
}
