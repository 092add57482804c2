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
  concat,
  flatten,
  linear,
  lstmLayer,
  relu,
  reshape,
  slice,
  type Tensor,
  transpose,
  uniform,
} from "../nn/mod.ts";
import type { ExtractorParameters } from "../config/presets.ts";
import { _staticDim } from "./_blocks.ts";
import type { ExtractorInputs, ResolvedBuildOptions } from "./types.ts";

/**
 * One unidirectional LSTM layer (PyTorch `nn.LSTM` with `batch_first`, zero initial states;
 * gate order i, f, g, o) over the whole sequence: one ONNX Scan forward, one reverse Scan
 * for its gradient ({@linkcode lstmLayer}).
 *
 * @param x Sequence `[batch, steps, input]`.
 * @param options Parameter prefix (`<name>.weight_ih_l<k>` ...), layer index, hidden width.
 * @returns Hidden states `h_1..h_T`, `[steps, batch, hidden]`.
 */
function _lstmLayer(
  x: Tensor,
  options: { name: string; layer: number; hidden: number },
): Tensor {
  const { name, layer, hidden } = options;
  const g = x.graph;
  const inputSize = _staticDim(x, 2, "lstm input");
  // PyTorch's default LSTM init: every weight and bias U(-1/sqrt(hidden), 1/sqrt(hidden)).
  const bound = 1 / Math.sqrt(hidden);
  const init = { init: uniform(-bound, bound) };
  return lstmLayer(x, {
    weightIh: g.parameter(`${name}.weight_ih_l${layer}`, [4 * hidden, inputSize], init),
    weightHh: g.parameter(`${name}.weight_hh_l${layer}`, [4 * hidden, hidden], init),
    biasIh: g.parameter(`${name}.bias_ih_l${layer}`, [4 * hidden], init),
    biasHh: g.parameter(`${name}.bias_hh_l${layer}`, [4 * hidden], init),
  });
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
  let states: Tensor | null = null;
  for (let layer = 0; layer < layers; layer++) {
    states = _lstmLayer(sequence, { name: `${options.name}.ray_lstm`, layer, hidden });
    if (layer + 1 < layers) sequence = transpose(states, [1, 0, 2]);
  }
  const last = reshape(slice(states!, [length - 1], [length], { axes: [0] }), [
    rays.shape[0],
    hidden,
  ]);
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
  return concat([last, drive], { axis: 1 });
}
