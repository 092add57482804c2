/**
 * The `lstm` family (robot_sf `LSTMFeatureExtractor`, preset lstm_small).
 *
 * Source: robot_sf (ll7/robot_sf_ll7), `robot_sf/feature_extractors/lstm_extractor.py` and
 * the `lstm_small` preset in `robot_sf/feature_extractors/config.py`; cell equations as
 * PyTorch's `nn.LSTM` (gate order i, f, g, o).
 *
 * @module
 */
import {
  add,
  concat,
  flatten,
  gemm,
  linear,
  matmul,
  mul,
  relu,
  reshape,
  sigmoid,
  slice,
  split,
  tanh,
  type Tensor,
  transpose,
  uniform,
} from "../nn/mod.ts";
import type { ExtractorParameters } from "../config/presets.ts";
import { _staticDim } from "./_blocks.ts";
import type { ExtractorInputs, ResolvedBuildOptions } from "./types.ts";

/**
 * One unidirectional LSTM layer over a whole sequence, unrolled in the graph (so its
 * gradient is the composition of the ops' checked rules). PyTorch `nn.LSTM` with
 * `batch_first`, zero initial states:
 *
 *   gates_t = x_t W_ihᵀ + b_ih + h_{t-1} W_hhᵀ + b_hh, split into i, f, g, o;
 *   c_t = σ(f) c_{t-1} + σ(i) tanh(g);  h_t = σ(o) tanh(c_t).
 *
 * The input projection of every step is one MatMul over the sequence; each step adds one
 * Gemm `h W_hhᵀ + (x_t W_ihᵀ + b)`.
 *
 * @param x Sequence `[batch, steps, input]`.
 * @param options Parameter prefix (`<name>.weight_ih_l<k>` ...), layer index, hidden width.
 * @returns Hidden states `h_1..h_T`, each `[batch, hidden]`.
 */
function _lstmLayer(
  x: Tensor,
  options: { name: string; layer: number; hidden: number },
): Tensor[] {
  const { name, layer, hidden } = options;
  const g = x.graph;
  const steps = _staticDim(x, 1, "lstm sequence");
  const inputSize = _staticDim(x, 2, "lstm input");
  // PyTorch's default LSTM init: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden)).
  const bound = 1 / Math.sqrt(hidden);
  const init = { init: uniform(-bound, bound) };
  const wIh = g.parameter(`${name}.weight_ih_l${layer}`, [4 * hidden, inputSize], init);
  const wHh = g.parameter(`${name}.weight_hh_l${layer}`, [4 * hidden, hidden], init);
  const bIh = g.parameter(`${name}.bias_ih_l${layer}`, [4 * hidden], init);
  const bHh = g.parameter(`${name}.bias_hh_l${layer}`, [4 * hidden], init);
  // Each step's input term x_t W_ihᵀ + b is one Gemm on a Slice of x: the sequence needs no
  // gradient when it is the observation, and slices keep the graph linear in the steps.
  const bias = add(bIh, bHh);
  const out: Tensor[] = [];
  let h: Tensor | null = null;
  let c: Tensor | null = null;
  for (let t = 0; t < steps; t++) {
    const xt = reshape(slice(x, [t], [t + 1], { axes: [1] }), [x.shape[0], inputSize]);
    const inputTerm = gemm(xt, wIh, { transB: true, c: bias });
    const gates: Tensor = h === null ? inputTerm : gemm(h, wHh, { transB: true, c: inputTerm });
    const [i, f, gg, o] = split(gates, [hidden, hidden, hidden, hidden], { axis: 1 });
    const input = mul(sigmoid(i), tanh(gg));
    c = c === null ? input : add(mul(sigmoid(f), c), input);
    h = mul(sigmoid(o), tanh(c));
    out.push(h);
  }
  return out;
}

/**
 * Build an LSTM extractor: rays `[batch, 3, 272]` read as one sequence of 816 steps of one
 * value (`rays.reshape(batch, 816, 1)`), through `num_layers` LSTM layers of `hidden_size`;
 * the last layer's final hidden state is the rays part. Drive state flattened (15) through
 * `Linear -> ReLU` per width of `drive_hidden_dims`. Output: rays part then drive part
 * (lstm_small 64 + 16 = 80).
 *
 * Modules: `<name>.ray_lstm` (`weight_ih_l0` [4H, 1], `weight_hh_l0` [4H, H], `bias_ih_l0`,
 * `bias_hh_l0` [4H], PyTorch's LSTM init: SB3's orthogonal init only touches Linear and
 * Conv2d), `<name>.drive_mlp.{1,3,...}` (Linear; module 0 is the Flatten).
 *
 * @param inputs Observation tensors.
 * @param parameters Resolved lstm parameters.
 * @param options Name prefix and Linear initialisation.
 * @returns Features `[batch, features_dim]`.
 */
export function buildLstmExtractor(
  inputs: ExtractorInputs,
  parameters: Readonly<ExtractorParameters>,
  options: ResolvedBuildOptions,
): Tensor {
  const hidden = parameters.hidden_size as number;
  const layers = parameters.num_layers as number;
  const { rays, driveState } = inputs;
  const length = _staticDim(rays, 1, "rays") * _staticDim(rays, 2, "rays");
  let sequence = reshape(rays, [rays.shape[0], length, 1]);
  let last: Tensor | null = null;
  for (let layer = 0; layer < layers; layer++) {
    const states = _lstmLayer(sequence, { name: `${options.name}.ray_lstm`, layer, hidden });
    last = states[states.length - 1];
    if (layer + 1 < layers) {
      sequence = transpose(
        concat(states.map((s) => reshape(s, [1, s.shape[0], hidden])), { axis: 0 }),
        [1, 0, 2],
      );
    }
  }
  let drive = flatten(driveState);
  (parameters.drive_hidden_dims as number[]).forEach((width, i) => {
    drive = relu(
      linear(drive, {
        name: `${options.name}.drive_mlp.${1 + 2 * i}`,
        outFeatures: width,
        init: options.linearInit,
      }),
    );
  });
  return concat([last!, drive], { axis: 1 });
}
