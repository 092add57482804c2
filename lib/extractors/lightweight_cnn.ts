/**
 * The `lightweight_cnn` family (robot_sf `LightweightCNNExtractor`, preset
 * lightweight_cnn).
 *
 * Source: robot_sf at commit 77c3131,
 * `robot_sf/feature_extractors/lightweight_cnn_extractor.py`.
 *
 * @module
 */
import {
  adaptiveAvgPool1d,
  batchNorm1d,
  concat,
  conv1d,
  dropout,
  flatten,
  maxPool1d,
  relu,
  type Tensor,
  transpose,
} from "../nn/mod.ts";
import type { ExtractorParameters } from "../config/presets.ts";
import { _channelsLast, _mlpBranch, _staticDim } from "./_blocks.ts";
import type { ExtractorInputs, ResolvedBuildOptions } from "./types.ts";

/**
 * Build a lightweight CNN extractor.
 *
 * Rays `[batch, 3, 272]` through one block per entry of `num_filters`:
 * `Conv1d(k, stride 1, padding k // 2) -> BatchNorm1d -> ReLU -> MaxPool1d(2) ->
 * Dropout(dropout_rate)` (lengths 272 -> 136 -> 68 for two blocks), then
 * `AdaptiveAvgPool1d(floor(272 / 2^blocks))` (68; with odd kernels the length
 * already equals it) and flatten in `[C, L]` order (16 x 68 = 1088). Drive state:
 * flattened (15) through `Linear -> ReLU -> Dropout` per width of
 * `drive_hidden_dims`. Output: rays part then drive part (1088 + 16 = 1104).
 *
 * BatchNorm1d normalises with batch statistics and updates its running
 * statistics (momentum 0.1) in train-mode graphs, and uses the running
 * statistics in eval-mode graphs (SB3 `set_training_mode`).
 *
 * Modules: `<name>.ray_extractor.<5i>` (Conv1d, PyTorch default init),
 * `<name>.ray_extractor.<5i + 1>` (BatchNorm1d, with buffers running_mean and
 * running_var), `<name>.drive_state_extractor.{1,4,...}` (Linear).
 *
 * @param inputs Observation tensors.
 * @param parameters Resolved lightweight_cnn parameters.
 * @param options Name prefix, Linear initialisation and conv formulation.
 * @returns Features `[batch, features_dim]`.
 * @throws {RangeError} When the rays are too short for the pooling blocks (a
 *   MaxPool1d(2) needs at least 2 positions) or kernel and filter lists differ in length.
 */
export function buildLightweightCnnExtractor(
  inputs: ExtractorInputs,
  parameters: Readonly<ExtractorParameters>,
  options: ResolvedBuildOptions,
): Tensor {
  const filters = parameters.num_filters as number[];
  const kernels = parameters.kernel_sizes as number[];
  const p = parameters.dropout_rate as number;
  if (filters.length !== kernels.length) {
    throw new RangeError(
      `Lightweight CNN extractor: kernel_sizes needs one entry per num_filters entry ` +
        `(${filters.length}), got ${kernels.length}`,
    );
  }
  const numRays = _staticDim(inputs.rays, 2, "Lightweight CNN extractor: the number of rays");
  const layout = _channelsLast(options.conv, inputs.rays.graph) ? "nlc" : "ncl";
  let h = inputs.rays;
  let length = numRays;
  filters.forEach((outChannels, i) => {
    if (length < 2) {
      throw new RangeError(
        `Lightweight CNN extractor: block ${i} cannot halve ${length} position(s) ` +
          `(${numRays} rays through ${filters.length} MaxPool1d(2) blocks); use fewer num_filters`,
      );
    }
    const module = `${options.name}.ray_extractor`;
    h = conv1d(h, {
      name: `${module}.${5 * i}`,
      outChannels,
      kernel: kernels[i],
      padding: Math.floor(kernels[i] / 2),
      layout,
      channelsFirstInput: layout === "nlc" && i === 0,
    });
    h = batchNorm1d(h, { name: `${module}.${5 * i + 1}`, channelAxis: layout === "nlc" ? -1 : 1 });
    h = maxPool1d(relu(h), { kernel: 2, layout });
    h = dropout(h, p);
    length = Math.floor(length / 2);
  });
  h = adaptiveAvgPool1d(h, Math.floor(numRays / 2 ** filters.length), { layout });
  const rays = flatten(layout === "nlc" ? transpose(h, [0, 2, 1]) : h);
  const drive = _mlpBranch(inputs.driveState, {
    name: `${options.name}.drive_state_extractor`,
    widths: parameters.drive_hidden_dims as number[],
    dropoutRate: p,
    init: options.linearInit,
  });
  return concat([rays, drive], { axis: 1 });
}
