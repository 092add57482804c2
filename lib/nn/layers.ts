/**
 * Layers: ops that declare their own named parameters, with PyTorch default
 * initialisation or Stable-Baselines3 orthogonal initialisation. Parameter names
 * follow PyTorch `state_dict` keys (`<name>.weight`, `<name>.bias`,
 * `<name>.running_mean`), so counts and checkpoints compare with the reference.
 *
 * @module
 */
import type { Tensor } from "./graph.ts";
import {
  biasUniform,
  fanIn,
  type Initializer,
  kaimingUniform,
  ones,
  orthogonal,
  zeros,
} from "./init.ts";
import type { ConvForward } from "./ops/conv.ts";
import { conv1dMap } from "./ops/conv.ts";
import { dropout } from "./ops/dropout.ts";
import { relu, tanh } from "./ops/elementwise.ts";
import { linearMap } from "./ops/linalg.ts";
import { batchNormMap, layerNormMap } from "./ops/norm.ts";
import { formatShape, ShapeError } from "./shape.ts";

/**
 * Initialisation of a Linear or Conv layer: `"pytorch"` (kaiming-uniform weight
 * with a = sqrt(5), bias U(-1/sqrt(fan_in), 1/sqrt(fan_in))) or
 * `{ orthogonal: gain }` (orthogonal weight times gain, zero bias; SB3 `init_weights`).
 */
export type LayerInit = "pytorch" | { orthogonal: number };

function weightAndBiasInit(init: LayerInit, shape: readonly number[]): [Initializer, Initializer] {
  if (init === "pytorch") return [kaimingUniform(), biasUniform(fanIn(shape))];
  return [orthogonal(init.orthogonal), zeros()];
}

/** Options of {@linkcode linear}. */
export interface LinearOptions {
  /** Parameter name prefix, e.g. `mlp_extractor.policy_net.0`. */
  name: string;
  /** Output features. */
  outFeatures: number;
  /** Add a bias. @default true */
  bias?: boolean;
  /** Initialisation. @default "pytorch" */
  init?: LayerInit;
}

/**
 * Linear layer `y = x W^T + b` (PyTorch `nn.Linear`): x `[..., in]` -> `[..., out]`,
 * parameters `<name>.weight [out, in]` and `<name>.bias [out]`.
 * @throws {ShapeError} When the last input dimension is symbolic.
 * @throws {RangeError} When outFeatures is not a positive integer.
 */
export function linear(x: Tensor, options: LinearOptions): Tensor {
  const inF = x.shape[x.rank - 1];
  if (typeof inF !== "number") {
    throw new ShapeError("Linear", `input features of ${formatShape(x.shape)} must be static`, [
      x.shape,
    ]);
  }
  positive("Linear", "outFeatures", options.outFeatures);
  const shape = [options.outFeatures, inF];
  const [wi, bi] = weightAndBiasInit(options.init ?? "pytorch", shape);
  const g = x.graph;
  const w = g.parameter(`${options.name}.weight`, shape, { init: wi });
  const b = options.bias === false
    ? undefined
    : g.parameter(`${options.name}.bias`, [options.outFeatures], { init: bi });
  return g.scope(options.name, () => linearMap(x, w, b));
}

/** Options of {@linkcode conv1d}. */
export interface Conv1dLayerOptions {
  /** Parameter name prefix, e.g. `features_extractor.ray_conv.0`. */
  name: string;
  /** Output channels. */
  outChannels: number;
  /** Kernel size. */
  kernel: number;
  /** Stride. @default 1 */
  stride?: number;
  /** Zero padding on both sides. @default 0 */
  padding?: number;
  /** Dilation. @default 1 */
  dilation?: number;
  /** Add a bias. @default true */
  bias?: boolean;
  /** Initialisation. @default "pytorch" */
  init?: LayerInit;
  /** Forward formulation. @default "native" for float32, "im2col" for float64 */
  forward?: ConvForward;
  /** Memory layout (see `Conv1dOptions.layout` of `conv1dMap`). @default "ncl" */
  layout?: "ncl" | "nlc";
  /** With `layout: "nlc"`, read a `[batch, C, L]` input. @default false */
  channelsFirstInput?: boolean;
}

/**
 * 1-D convolution layer (PyTorch `nn.Conv1d`, groups 1): x `[batch, C, L]` ->
 * `[batch, outChannels, L_out]`, parameters `<name>.weight [out, C, k]` and `<name>.bias [out]`.
 * @throws {ShapeError} When the channel dimension is symbolic or shapes do not fit.
 * @throws {RangeError} When a size is invalid.
 */
export function conv1d(x: Tensor, options: Conv1dLayerOptions): Tensor {
  const cf = options.layout !== "nlc" || options.channelsFirstInput === true;
  const inC = x.shape[cf ? 1 : 2];
  if (x.rank !== 3 || typeof inC !== "number") {
    throw new ShapeError(
      "Conv1d",
      `input must be rank 3 with static channels, got ${formatShape(x.shape)}`,
      [
        x.shape,
      ],
    );
  }
  positive("Conv1d", "outChannels", options.outChannels);
  positive("Conv1d", "kernel", options.kernel);
  const shape = [options.outChannels, inC, options.kernel];
  const [wi, bi] = weightAndBiasInit(options.init ?? "pytorch", shape);
  const g = x.graph;
  const w = g.parameter(`${options.name}.weight`, shape, { init: wi });
  const b = options.bias === false
    ? undefined
    : g.parameter(`${options.name}.bias`, [options.outChannels], { init: bi });
  return g.scope(options.name, () =>
    conv1dMap(x, w, {
      bias: b,
      stride: options.stride,
      padding: options.padding,
      dilation: options.dilation,
      forward: options.forward,
      layout: options.layout,
      channelsFirstInput: options.channelsFirstInput,
    }));
}

/** Options of {@linkcode layerNorm}. */
export interface LayerNormLayerOptions {
  /** Parameter name prefix. */
  name: string;
  /** Number of trailing dimensions normalised. @default 1 */
  normalizedDims?: number;
  /** Added to the variance. @default 1e-5 */
  eps?: number;
}

/**
 * Layer normalisation (PyTorch `nn.LayerNorm(x.shape[-n:])`), parameters
 * `<name>.weight` (ones) and `<name>.bias` (zeros).
 * @throws {ShapeError} When a normalised dimension is symbolic.
 */
export function layerNorm(x: Tensor, options: LayerNormLayerOptions): Tensor {
  const n = options.normalizedDims ?? 1;
  const shape = x.shape.slice(x.rank - n);
  if (!shape.every((d): d is number => typeof d === "number")) {
    throw new ShapeError("LayerNorm", `normalised dims of ${formatShape(x.shape)} must be static`, [
      x.shape,
    ]);
  }
  const g = x.graph;
  const w = g.parameter(`${options.name}.weight`, shape, { init: ones() });
  const b = g.parameter(`${options.name}.bias`, shape, { init: zeros() });
  return g.scope(
    options.name,
    () => layerNormMap(x, w, { bias: b, axis: x.rank - n, eps: options.eps }),
  );
}

/** Options of {@linkcode batchNorm1d}. */
export interface BatchNormLayerOptions {
  /** Parameter name prefix. */
  name: string;
  /** Running-statistics momentum. @default 0.1 */
  momentum?: number;
  /** Added to the variance. @default 1e-5 */
  eps?: number;
  /** Channel axis (-1 for channels-last `[batch, L, C]`). @default 1 */
  channelAxis?: number;
}

/**
 * Batch normalisation of `[batch, C]` or `[batch, C, L]` (or channels last) (PyTorch `nn.BatchNorm1d`):
 * parameters `<name>.weight` (ones), `<name>.bias` (zeros); buffers
 * `<name>.running_mean` (zeros), `<name>.running_var` (ones). In a train-mode
 * graph it normalises with batch statistics and records the new running
 * statistics as buffer updates; in eval mode it uses the running statistics.
 * (PyTorch's `num_batches_tracked` counter is not kept: it only matters when
 * momentum is None.)
 * @throws {ShapeError} When the channel dimension is symbolic or the rank is not 2 or 3.
 */
export function batchNorm1d(x: Tensor, options: BatchNormLayerOptions): Tensor {
  const axis = (options.channelAxis ?? 1) < 0
    ? x.rank + (options.channelAxis ?? 1)
    : (options.channelAxis ?? 1);
  const c = x.shape[axis];
  if (typeof c !== "number" || (x.rank !== 2 && x.rank !== 3)) {
    throw new ShapeError(
      "BatchNorm1d",
      `input must be [batch, C] or [batch, C, L], got ${formatShape(x.shape)}`,
      [
        x.shape,
      ],
    );
  }
  const g = x.graph;
  const n = options.name;
  const weight = g.parameter(`${n}.weight`, [c], { init: ones() });
  const bias = g.parameter(`${n}.bias`, [c], { init: zeros() });
  const runningMean = g.buffer(`${n}.running_mean`, [c], { init: zeros() });
  const runningVar = g.buffer(`${n}.running_var`, [c], { init: ones() });
  const r = g.scope(n, () =>
    batchNormMap(x, {
      weight,
      bias,
      runningMean,
      runningVar,
      training: g.training,
      momentum: options.momentum,
      eps: options.eps,
      channelAxis: axis,
    }));
  if (r.runningMean && r.runningVar) {
    g.setBufferUpdate(`${n}.running_mean`, r.runningMean);
    g.setBufferUpdate(`${n}.running_var`, r.runningVar);
  }
  return r.y;
}

/** Activation names understood by {@linkcode mlp}. */
export type Activation = "tanh" | "relu";

/** Apply an activation by name. */
export function activate(x: Tensor, activation: Activation): Tensor {
  return activation === "tanh" ? tanh(x) : relu(x);
}

/** Options of {@linkcode mlp}. */
export interface MlpOptions {
  /** Name prefix of the `nn.Sequential`, e.g. `mlp_extractor.policy_net`. */
  name: string;
  /** Hidden layer sizes, e.g. `[64, 64]`. */
  sizes: readonly number[];
  /** Activation after every layer. @default "tanh" */
  activation?: Activation;
  /** Dropout probability after every activation (0 = no Dropout module). @default 0 */
  dropout?: number;
  /** Initialisation of every Linear. @default "pytorch" */
  init?: LayerInit;
}

/**
 * Multi-layer perceptron `Linear -> activation [-> Dropout]` per size, named like
 * a PyTorch `nn.Sequential`: modules are numbered in order, so with Tanh the
 * Linears are `<name>.0`, `<name>.2`, ...; with Dropout `<name>.0`, `<name>.3`, ...
 * @throws {RangeError} When a size is not a positive integer.
 */
export function mlp(x: Tensor, options: MlpOptions): Tensor {
  const p = options.dropout ?? 0;
  let index = 0;
  let h = x;
  for (const size of options.sizes) {
    h = linear(h, { name: `${options.name}.${index}`, outFeatures: size, init: options.init });
    h = activate(h, options.activation ?? "tanh");
    index += 2;
    if (p > 0) {
      h = dropout(h, p);
      index++;
    }
  }
  return h;
}

function positive(op: string, what: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) {
    throw new RangeError(`${op}: ${what} must be a positive integer, got ${v}`);
  }
}
