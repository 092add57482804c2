/**
 * One training step as ONE ONNX Runtime call: forward (train mode), loss,
 * backward, global gradient-norm clipping and Adam, returning updated
 * parameters, optimizer state, batch-norm running statistics and metrics.
 *
 * Parameters, Adam moments and buffers travel as flat vectors (`[P]`, `[B]`), so
 * clipping and Adam are a dozen elementwise nodes on `[P]`. The learning rate is
 * fed every step (schedules work): with PyTorch's bias-corrected step size
 * `a = lr / (1 - beta1^t)` and `c = sqrt(1 - beta2^t)`, the update
 * `a * m / (sqrt(v) / c + eps)` is computed as `(a c) * m / (sqrt(v) + eps c)` (one
 * pass over `[P]` fewer); the wrapper computes `a c` and `eps c` in double precision
 * and feeds them as scalars. An optional in-graph gate (a bool scalar computed by the
 * loss graph, e.g. `approx_kl <= 1.5 * target_kl`) keeps parameters and moments
 * unchanged when false; the wrapper then does not advance the Adam step count.
 *
 * Sources: PyTorch `torch.optim.Adam` (single-tensor path, no weight decay),
 * `torch.nn.utils.clip_grad_norm_` (total 2-norm, coefficient
 * max_norm / (norm + 1e-6) clamped to 1).
 *
 * @module
 */
import type { SeededRng, SeededRngState } from "../rng/mod.ts";
import { gradients } from "./autodiff.ts";
import { DropoutMaskGenerator, fillMask } from "./dropout_masks.ts";
import { _MaskPrefetcher } from "./_mask_prefetch.ts";
import { emitModel, type EmittedModel } from "./emit.ts";
import { type FloatType, Graph, type Tensor } from "./graph.ts";
import { zeros } from "./init.ts";
import { add, cast, div, minimum, mul, sqrt, sub, where } from "./ops/elementwise.ts";
import { reduceSum } from "./ops/reduce.ts";
import { concat, reshape } from "./ops/shape_ops.ts";
import type { FloatArray, ParameterStore } from "./parameters.ts";
import { ort, Session, type SessionOptions } from "./session.ts";
import { bindShape, formatShape, type Shape } from "./shape.ts";

/** Adam hyperparameters (PyTorch names and defaults; SB3 PPO uses eps 1e-5). */
export interface AdamOptions {
  /** First-moment decay. @default 0.9 */
  beta1?: number;
  /** Second-moment decay. @default 0.999 */
  beta2?: number;
  /** Denominator epsilon. @default 1e-8 */
  eps?: number;
}

/** What the loss graph returns to {@linkcode buildTrainingGraph}. */
export interface TrainingGraphSpec {
  /** Scalar loss to minimise. */
  loss: Tensor;
  /** Scalar metrics returned every step (any op allowed, no gradient needed). */
  metrics?: Record<string, Tensor>;
  /** Bool scalar: apply the update only when true. @default always apply */
  gate?: Tensor;
}

/** Options of {@linkcode buildTrainingGraph}. */
export interface TrainingGraphOptions {
  /** Adam hyperparameters. @default PyTorch defaults */
  adam?: AdamOptions;
  /** Clip the global gradient 2-norm to this value. @default no clipping */
  maxGradNorm?: number;
}

/** Names of the flat state inputs and outputs of a training-step model. */
export const TRAINING_IO = {
  params: "params",
  buffers: "buffers",
  adamM: "adam_m",
  adamV: "adam_v",
  stepSize: "adam_step_size",
  epsHat: "adam_eps_hat",
  paramsOut: "params_out",
  buffersOut: "buffers_out",
  adamMOut: "adam_m_out",
  adamVOut: "adam_v_out",
  loss: "loss",
  gradNorm: "grad_norm",
  applied: "update_applied",
} as const;

const RESERVED = new Set<string>(Object.values(TRAINING_IO));

/**
 * Append gradients, clipping and Adam to a train-mode graph holding a loss, and
 * return the model outputs by name (see {@linkcode TRAINING_IO}).
 * @throws {RangeError} When the loss is not a scalar, a metric is not a scalar or
 * uses a reserved name, the gate is not a bool scalar, or there are no parameters.
 * @throws {NonDifferentiableError} When the loss depends on parameters through an op without a gradient rule.
 */
export function buildTrainingGraph(
  g: Graph,
  spec: TrainingGraphSpec,
  options: TrainingGraphOptions = {},
): Record<string, Tensor> {
  const store = g.parameters;
  const P = store.parameterCount;
  if (P === 0) throw new RangeError("A training step needs at least one parameter");
  if (spec.loss.rank !== 0) {
    throw new RangeError(`Loss must be a scalar, got shape ${formatShape(spec.loss.shape)}`);
  }
  for (const [name, t] of Object.entries(spec.metrics ?? {})) {
    if (RESERVED.has(name)) throw new RangeError(`Metric name '${name}' is reserved`);
    if (t.rank !== 0) {
      throw new RangeError(`Metric '${name}' must be a scalar, got ${formatShape(t.shape)}`);
    }
  }
  if (spec.gate && (spec.gate.dtype !== "bool" || spec.gate.rank !== 0)) {
    throw new RangeError("Update gate must be a bool scalar");
  }
  const beta1 = options.adam?.beta1 ?? 0.9;
  const beta2 = options.adam?.beta2 ?? 0.999;

  // Flat gradient [P] in store order (zeros for parameters the loss does not use).
  const leaves = store.parameters.map((info) => g.stateTensors.get(info.name));
  const used = leaves.filter((t): t is Tensor => t !== undefined);
  const grads = gradients(spec.loss, used);
  const byName = new Map(used.map((t, i) => [t.node.leaf!.name, grads[i]]));
  const pieces = store.parameters.map((info) => {
    const gr = byName.get(info.name);
    return gr ? reshape(gr, [info.size]) : g.constant(new Float64Array(info.size), [info.size]);
  });
  const grad = concat(pieces, { axis: 0 });

  const params = g.input(TRAINING_IO.params, [P]);
  const m = g.input(TRAINING_IO.adamM, [P]);
  const v = g.input(TRAINING_IO.adamV, [P]);
  const stepSize = g.input(TRAINING_IO.stepSize, []);
  const epsHat = g.input(TRAINING_IO.epsHat, []);

  // Global 2-norm of the unclipped gradient; g*g is reused for the second moment.
  const gradSq = mul(grad, grad);
  const gradNorm = sqrt(reduceSum(gradSq));
  // Clipping coefficient folded into the (scalar) moment weights:
  // m' = b1 m + (1 - b1) c g,  v' = b2 v + (1 - b2) c^2 g^2.
  let mWeight: Tensor | number = 1 - beta1;
  let vWeight: Tensor | number = 1 - beta2;
  if (options.maxGradNorm !== undefined) {
    if (!(options.maxGradNorm > 0)) {
      throw new RangeError(`maxGradNorm must be positive, got ${options.maxGradNorm}`);
    }
    const coef = minimum(div(options.maxGradNorm, add(gradNorm, 1e-6)), 1);
    mWeight = mul(coef, 1 - beta1);
    vWeight = mul(mul(coef, coef), 1 - beta2);
  }
  let m2 = add(mul(m, beta1), mul(grad, mWeight));
  let v2 = add(mul(v, beta2), mul(gradSq, vWeight));
  // stepSize = lr sqrt(1 - b2^t) / (1 - b1^t), epsHat = eps sqrt(1 - b2^t): PyTorch's
  // step (lr / (1 - b1^t)) m / (sqrt(v) / sqrt(1 - b2^t) + eps), one division fewer.
  const denom = add(sqrt(v2), epsHat);
  let p2 = sub(params, mul(stepSize, div(m2, denom)));
  if (spec.gate) {
    p2 = where(spec.gate, p2, params);
    m2 = where(spec.gate, m2, m);
    v2 = where(spec.gate, v2, v);
  }
  const outputs: Record<string, Tensor> = {
    [TRAINING_IO.paramsOut]: p2,
    [TRAINING_IO.adamMOut]: m2,
    [TRAINING_IO.adamVOut]: v2,
    [TRAINING_IO.loss]: spec.loss,
    [TRAINING_IO.gradNorm]: gradNorm,
  };
  if (spec.gate) outputs[TRAINING_IO.applied] = cast(spec.gate, g.dtype);
  if (store.bufferCount > 0) {
    const parts = store.buffers.map((info) => {
      const updated = g.bufferUpdates.get(info.name);
      const current = updated ?? g.buffer(info.name, info.shape, { init: zeros() });
      return reshape(current, [info.size]);
    });
    outputs[TRAINING_IO.buffersOut] = concat(parts, { axis: 0 });
  }
  for (const [name, t] of Object.entries(spec.metrics ?? {})) outputs[name] = t;
  return outputs;
}

/** A graph input value: data plus concrete dims. */
export interface TensorFeed {
  /** Row-major values of the input's element type. */
  data: Float32Array | Float64Array | BigInt64Array | Uint8Array;
  /** Concrete shape. */
  dims: readonly number[];
}

/**
 * Dropout-mask elements per sample (all masks together) from which
 * `prefetchMasks` uses its worker (dynamics_original has 10,600; mlp_small 120).
 */
export const PREFETCH_MIN_MASK_ELEMENTS = 2048;

/** Options of {@linkcode createTrainingStep}. */
export interface TrainingStepOptions extends TrainingGraphOptions {
  /** Store with the network's parameters (its current values are the starting point). */
  parameters: ParameterStore;
  /** Float type of the graph. @default "float32" */
  dtype?: FloatType;
  /** Session options. @default one thread, CPU, optimisation level all */
  session?: SessionOptions;
  /** Generator for dropout masks. @default a fork of the store's generator */
  dropoutRng?: SeededRng;
  /**
   * Fill the next step's dropout masks in a worker thread while ONNX Runtime runs
   * this one (same masks as without; see docs/nn.md). Only used when the masks hold
   * at least {@linkcode PREFETCH_MIN_MASK_ELEMENTS} elements per sample. @default false
   */
  prefetchMasks?: boolean;
}

/** Per-step options of {@linkcode TrainingStep.run}. */
export interface TrainingRunOptions {
  /** Learning rate of this step (schedules: pass the scheduled value). */
  learningRate: number;
}

/** Result of one training step. */
export interface TrainingStepResult {
  /** Loss before the update. */
  loss: number;
  /** Global gradient 2-norm before clipping. */
  gradNorm: number;
  /** False when the gate kept the parameters unchanged. */
  applied: boolean;
  /** Metric values by name. */
  metrics: Record<string, number>;
}

/** Full state of a training step, for checkpoints. */
export interface TrainingState {
  /** Flat parameters `[P]`. */
  parameters: Float32Array | Float64Array;
  /** Flat buffers `[B]`. */
  buffers: Float32Array | Float64Array;
  /** Adam first moments `[P]`. */
  adamM: Float32Array | Float64Array;
  /** Adam second moments `[P]`. */
  adamV: Float32Array | Float64Array;
  /** Number of applied Adam steps. */
  step: number;
  /** Dropout mask generator state. */
  dropoutRng: SeededRngState;
}

function newArray(dtype: FloatType, n: number): FloatArray {
  return dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
}

/**
 * A compiled training step: one ONNX Runtime session reused for every call.
 * Create with {@linkcode createTrainingStep}.
 */
export class TrainingStep {
  /** The emitted model (inputs, outputs, node count). */
  readonly model: EmittedModel;
  /** The IR graph it was built from. */
  readonly graph: Graph;
  /** Number of trainable elements P. */
  readonly parameterCount: number;
  /** Number of buffer elements B. */
  readonly bufferCount: number;
  readonly #session: Session;
  readonly #dtype: FloatType;
  readonly #beta1: number;
  readonly #beta2: number;
  readonly #eps: number;
  readonly #metricNames: string[];
  readonly #hasGate: boolean;
  #masks: DropoutMaskGenerator;
  #prefetcher: _MaskPrefetcher | null = null;
  #prefetchSizes: number[] = [];
  #step = 0;
  // ping-pong state buffers: [current, next]
  #params: FloatArray[];
  #m: FloatArray[];
  #v: FloatArray[];
  #buffers: FloatArray[];
  #maskBuffers = new Map<string, { data: FloatArray; tensor: ort.Tensor }>();
  #scalars: { stepSize: FloatArray; epsHat: FloatArray };
  // ONNX Runtime tensor wrappers of the state buffers, [current, next] like the arrays.
  #stateTensors: { params: ort.Tensor[]; m: ort.Tensor[]; v: ort.Tensor[]; buffers: ort.Tensor[] };
  #scalarTensors: { stepSize: ort.Tensor; epsHat: ort.Tensor };
  // Preallocated scalar outputs (loss, grad_norm, update_applied, metrics).
  #scalarOutputs = new Map<string, { data: FloatArray; tensor: ort.Tensor }>();

  /** @internal Use {@linkcode createTrainingStep}. */
  constructor(
    session: Session,
    graph: Graph,
    model: EmittedModel,
    options: TrainingStepOptions,
    metricNames: string[],
    hasGate: boolean,
  ) {
    this.#session = session;
    this.graph = graph;
    this.model = model;
    this.#dtype = graph.dtype;
    const store = options.parameters;
    this.parameterCount = store.parameterCount;
    this.bufferCount = store.bufferCount;
    this.#beta1 = options.adam?.beta1 ?? 0.9;
    this.#beta2 = options.adam?.beta2 ?? 0.999;
    this.#eps = options.adam?.eps ?? 1e-8;
    this.#metricNames = metricNames;
    this.#hasGate = hasGate;
    this.#masks = new DropoutMaskGenerator(options.dropoutRng ?? store.rng.fork());
    // The worker pays off when masks are large: a message round trip costs about as
    // much as filling a few thousand elements inline.
    const perSample = graph.dropoutMasks.reduce(
      (n, m) => n + m.shape.reduce<number>((a, d) => a * (typeof d === "number" ? d : 1), 1),
      0,
    );
    if (options.prefetchMasks && perSample >= PREFETCH_MIN_MASK_ELEMENTS) {
      this.#prefetcher = new _MaskPrefetcher(this.#dtype);
    }
    const P = this.parameterCount;
    const B = this.bufferCount;
    this.#params = [store.flatParameters(this.#dtype), newArray(this.#dtype, P)];
    this.#m = [newArray(this.#dtype, P), newArray(this.#dtype, P)];
    this.#v = [newArray(this.#dtype, P), newArray(this.#dtype, P)];
    this.#buffers = [store.flatBuffers(this.#dtype), newArray(this.#dtype, B)];
    this.#scalars = { stepSize: newArray(this.#dtype, 1), epsHat: newArray(this.#dtype, 1) };
    const wrap = (a: FloatArray) => new ort.Tensor(this.#dtype, a, [a.length]);
    this.#stateTensors = {
      params: this.#params.map(wrap),
      m: this.#m.map(wrap),
      v: this.#v.map(wrap),
      buffers: this.#buffers.map(wrap),
    };
    this.#scalarTensors = {
      stepSize: new ort.Tensor(this.#dtype, this.#scalars.stepSize, []),
      epsHat: new ort.Tensor(this.#dtype, this.#scalars.epsHat, []),
    };
    const scalarNames: string[] = [TRAINING_IO.loss, TRAINING_IO.gradNorm, ...metricNames];
    if (hasGate) scalarNames.push(TRAINING_IO.applied);
    for (const name of scalarNames) {
      const data = newArray(this.#dtype, 1);
      this.#scalarOutputs.set(name, { data, tensor: new ort.Tensor(this.#dtype, data, []) });
    }
  }

  /** Number of applied Adam steps so far. */
  get step(): number {
    return this.#step;
  }

  /** Current flat parameters `[P]` (a live view: copy it if you keep it past the next run). */
  get parameters(): FloatArray {
    return this.#params[0];
  }

  /** Current flat buffers `[B]` (live view). */
  get buffers(): FloatArray {
    return this.#buffers[0];
  }

  /**
   * Run one step on a batch.
   * @param feeds Values of the loss graph's inputs by name (batch dims concrete).
   * @throws {RangeError} When a feed is missing or its dims contradict the graph.
   */
  async run(
    feeds: Readonly<Record<string, TensorFeed>>,
    options: TrainingRunOptions,
  ): Promise<TrainingStepResult> {
    const dtype = this.#dtype;
    const t = this.#step + 1;
    const bias2Sqrt = Math.sqrt(1 - Math.pow(this.#beta2, t));
    this.#scalars.stepSize[0] = options.learningRate / (1 - Math.pow(this.#beta1, t)) * bias2Sqrt;
    this.#scalars.epsHat[0] = this.#eps * bias2Sqrt;
    const ortFeeds: Record<string, ort.Tensor> = {};
    const bindings: Record<string, number> = {};
    for (const input of this.graph.inputs) {
      const name = input.node.leaf!.name;
      if (RESERVED.has(name)) continue;
      const f = feeds[name];
      if (!f) throw new RangeError(`Missing feed '${name}'`);
      bindDims(name, input.shape, f.dims, bindings);
      ortFeeds[name] = new ort.Tensor(input.dtype, f.data as Float32Array, f.dims as number[]);
    }
    const masks = this.graph.dropoutMasks;
    const maskDims = masks.map((mask) => bindShape(mask.shape, bindings));
    const maskSizes = maskDims.map((dims) => dims.reduce((a, b) => a * b, 1));
    const inline = (i: number, key: number | null) => {
      const mask = masks[i];
      let buf = this.#maskBuffers.get(mask.name);
      if (!buf || buf.data.length !== maskSizes[i]) {
        const data = newArray(dtype, maskSizes[i]);
        buf = { data, tensor: new ort.Tensor(dtype, data, maskDims[i]) };
        this.#maskBuffers.set(mask.name, buf);
      }
      if (key === null) this.#masks.fill(buf.data, mask.p);
      else fillMask(buf.data, key, mask.p);
      ortFeeds[mask.name] = buf.tensor;
    };
    let prefetched: ArrayBuffer[] | null = null;
    if (this.#prefetcher === null) {
      for (let i = 0; i < masks.length; i++) inline(i, null);
    } else {
      // Masks filled by the worker during the previous call, when they were made for
      // these keys; a smaller batch uses their prefix.
      const keys = masks.map(() => this.#masks.nextKey());
      prefetched = await this.#prefetcher.take(keys, maskSizes);
      for (let i = 0; i < masks.length; i++) {
        if (prefetched === null) inline(i, keys[i]);
        else {
          const data = dtype === "float32"
            ? new Float32Array(prefetched[i], 0, maskSizes[i])
            : new Float64Array(prefetched[i], 0, maskSizes[i]);
          ortFeeds[masks[i].name] = new ort.Tensor(dtype, data, maskDims[i]);
        }
      }
      // Start the next step's masks (keys from a look-ahead copy of the generator).
      this.#prefetchSizes = maskSizes.map((n, i) => Math.max(n, this.#prefetchSizes[i] ?? 0));
      this.#prefetcher.request({
        keys: _MaskPrefetcher.lookahead(this.#masks.state(), masks.length),
        sizes: this.#prefetchSizes,
        ps: masks.map((m) => m.p),
      });
    }
    const st = this.#stateTensors;
    ortFeeds[TRAINING_IO.params] = st.params[0];
    ortFeeds[TRAINING_IO.adamM] = st.m[0];
    ortFeeds[TRAINING_IO.adamV] = st.v[0];
    ortFeeds[TRAINING_IO.stepSize] = this.#scalarTensors.stepSize;
    ortFeeds[TRAINING_IO.epsHat] = this.#scalarTensors.epsHat;
    const fetches: Record<string, ort.Tensor> = {
      [TRAINING_IO.paramsOut]: st.params[1],
      [TRAINING_IO.adamMOut]: st.m[1],
      [TRAINING_IO.adamVOut]: st.v[1],
    };
    for (const [name, out] of this.#scalarOutputs) fetches[name] = out.tensor;
    const hasBuffers = this.bufferCount > 0;
    if (hasBuffers) {
      ortFeeds[TRAINING_IO.buffers] = st.buffers[0];
      fetches[TRAINING_IO.buffersOut] = st.buffers[1];
    }
    await this.#session.run(ortFeeds, fetches);
    if (prefetched !== null) this.#prefetcher!.recycle(prefetched);
    // ONNX Runtime wrote into the "next" buffers; make them current.
    for (const pair of [this.#params, this.#m, this.#v, st.params, st.m, st.v]) pair.reverse();
    if (hasBuffers) {
      this.#buffers.reverse();
      st.buffers.reverse();
    }
    const scalar = (name: string) => this.#scalarOutputs.get(name)!.data[0];
    const applied = this.#hasGate ? scalar(TRAINING_IO.applied) !== 0 : true;
    if (applied) this.#step = t;
    const metrics: Record<string, number> = {};
    for (const name of this.#metricNames) metrics[name] = scalar(name);
    return {
      loss: scalar(TRAINING_IO.loss),
      gradNorm: scalar(TRAINING_IO.gradNorm),
      applied,
      metrics,
    };
  }

  /** Copy of the full state (parameters, buffers, Adam moments and step, dropout generator). */
  state(): TrainingState {
    return {
      parameters: this.#params[0].slice(),
      buffers: this.#buffers[0].slice(),
      adamM: this.#m[0].slice(),
      adamV: this.#v[0].slice(),
      step: this.#step,
      dropoutRng: this.#masks.state(),
    };
  }

  /**
   * Restore a state from {@linkcode TrainingStep.state} (or a checkpoint).
   * @throws {RangeError} When vector lengths differ from this model's.
   */
  setState(state: TrainingState): void {
    const check = (what: string, a: ArrayLike<number>, n: number) => {
      if (a.length !== n) throw new RangeError(`${what} has ${a.length} elements, expected ${n}`);
    };
    check("Parameters", state.parameters, this.parameterCount);
    check("Buffers", state.buffers, this.bufferCount);
    check("Adam first moments", state.adamM, this.parameterCount);
    check("Adam second moments", state.adamV, this.parameterCount);
    if (!Number.isInteger(state.step) || state.step < 0) {
      throw new RangeError(`Adam step must be a non-negative integer, got ${state.step}`);
    }
    this.#params[0].set(state.parameters);
    this.#buffers[0].set(state.buffers);
    this.#m[0].set(state.adamM);
    this.#v[0].set(state.adamV);
    this.#step = state.step;
    this.#masks = DropoutMaskGenerator.fromState(state.dropoutRng);
  }

  /** Write current parameters and buffers back into a store (e.g. before export). */
  copyTo(store: ParameterStore): void {
    store.setFlatParameters(this.#params[0]);
    if (this.bufferCount > 0) store.setFlatBuffers(this.#buffers[0]);
  }

  /** Release the native session (and the mask worker). */
  release(): Promise<void> {
    this.#prefetcher?.terminate();
    this.#prefetcher = null;
    return this.#session.release();
  }
}

function bindDims(
  name: string,
  shape: Shape,
  dims: readonly number[],
  bindings: Record<string, number>,
): void {
  if (dims.length !== shape.length) {
    throw new RangeError(
      `Feed '${name}' has dims [${dims.join(", ")}], expected ${formatShape(shape)}`,
    );
  }
  shape.forEach((d, i) => {
    if (typeof d === "number") {
      if (dims[i] !== d) {
        throw new RangeError(
          `Feed '${name}' has dims [${dims.join(", ")}], expected ${formatShape(shape)}`,
        );
      }
    } else if (!d.includes("*")) {
      const prev = bindings[d];
      if (prev !== undefined && prev !== dims[i]) {
        throw new RangeError(`Feed '${name}' binds '${d}' to ${dims[i]}, another feed to ${prev}`);
      }
      bindings[d] = dims[i];
    }
  });
}

/**
 * Build and compile a training step.
 * @param build Builds the loss (and metrics, gate) on a train-mode graph that shares `options.parameters`.
 * @example One SGD-like step on a linear model
 * ```ts
 * const step = await createTrainingStep((g) => {
 *   const x = g.input("x", ["batch", 3]);
 *   const y = g.input("y", ["batch", 1]);
 *   const pred = linear(x, { name: "fc", outFeatures: 1 });
 *   return { loss: mean(square(sub(pred, y))) };
 * }, { parameters: store, maxGradNorm: 0.5, adam: { eps: 1e-5 } });
 * const r = await step.run({ x: { data: xs, dims: [64, 3] }, y: { data: ys, dims: [64, 1] } }, { learningRate: 3e-4 });
 * ```
 * @throws {RangeError} See {@linkcode buildTrainingGraph}.
 * @throws {ExecutionProviderError} When the requested execution provider is unusable.
 */
export async function createTrainingStep(
  build: (g: Graph) => TrainingGraphSpec,
  options: TrainingStepOptions,
): Promise<TrainingStep> {
  const g = new Graph({
    dtype: options.dtype ?? "float32",
    training: true,
    parameters: options.parameters,
  });
  const spec = build(g);
  const outputs = buildTrainingGraph(g, spec, options);
  const model = emitModel(g, outputs, { graphName: "training_step" });
  const session = await Session.create(model, options.session);
  return new TrainingStep(session, g, model, options, Object.keys(spec.metrics ?? {}), !!spec.gate);
}
