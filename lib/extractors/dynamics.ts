/**
 * The `dynamics` family (robot_sf `DynamicsExtractor`, presets dynamics_original
 * and dynamics_no_conv).
 *
 * Source: robot_sf at commit 77c3131, `robot_sf/feature_extractor.py`.
 *
 * @module
 */
import { concat, conv1d, dropout, flatten, relu, type Tensor, transpose } from "../nn/mod.ts";
import type { ExtractorParameters } from "../config/presets.ts";
import { _channelsLast } from "./_blocks.ts";
import type { ExtractorInputs, ResolvedBuildOptions } from "./types.ts";

/**
 * Build a dynamics extractor.
 *
 * With `use_ray_conv` (dynamics_original): rays `[batch, 3, 272]` through four
 * blocks `Conv1d(k, stride 2, padding (k - 1) / 2) -> ReLU -> Dropout(p)` with
 * channels `3 -> num_filters[0..3]` (lengths 272 -> 136 -> 68 -> 34 -> 17), then
 * flattened in PyTorch's `[C, L]` order (16 x 17 = 272). Without it
 * (dynamics_no_conv): rays flattened (816); `num_filters`, `kernel_sizes` and
 * `dropout_rates` are then unused. Drive state `[batch, 3, 5]` is always
 * flattened (15), with no parameters. Output: rays part then drive part.
 *
 * Modules: `<name>.ray_extractor.{0,3,6,9}` (Conv1d, PyTorch default init: SB3's
 * orthogonal init does not touch Conv1d), `<name>.drive_state_extractor` (none).
 *
 * @param inputs Observation tensors.
 * @param parameters Resolved dynamics parameters.
 * @param options Name prefix and conv formulation.
 * @returns Features `[batch, features_dim]` (287 for dynamics_original, 831 without convs).
 */
export function buildDynamicsExtractor(
  inputs: ExtractorInputs,
  parameters: Readonly<ExtractorParameters>,
  options: ResolvedBuildOptions,
): Tensor {
  const { rays, driveState } = inputs;
  const drive = flatten(driveState);
  if (parameters.use_ray_conv === false) return concat([flatten(rays), drive], { axis: 1 });
  const filters = parameters.num_filters as number[];
  const kernels = parameters.kernel_sizes as number[];
  const rates = parameters.dropout_rates as number[];
  const nlc = _channelsLast(options.conv, rays.graph);
  let h = rays;
  filters.forEach((outChannels, i) => {
    h = conv1d(h, {
      name: `${options.name}.ray_extractor.${3 * i}`,
      outChannels,
      kernel: kernels[i],
      stride: 2,
      padding: (kernels[i] - 1) / 2,
      layout: nlc ? "nlc" : "ncl",
      // The first block reads the [batch, 3, 272] stack as it is (cheaper im2col).
      channelsFirstInput: nlc && i === 0,
    });
    h = dropout(relu(h), rates[i]);
  });
  // Channels last ends [batch, L, C]: back to PyTorch's flatten order of [batch, C, L].
  return concat([flatten(nlc ? transpose(h, [0, 2, 1]) : h), drive], { axis: 1 });
}
