/**
 * The `mlp` family (robot_sf `MLPFeatureExtractor`, presets mlp_small and mlp_large).
 *
 * Source: robot_sf at commit 77c3131, `robot_sf/feature_extractors/mlp_extractor.py`.
 *
 * @module
 */
import { concat, type Tensor } from "../nn/mod.ts";
import type { ExtractorParameters } from "../config/presets.ts";
import { _mlpBranch } from "./_blocks.ts";
import type { ExtractorInputs, ResolvedBuildOptions } from "./types.ts";

/**
 * Build an MLP extractor: rays flattened (816) through `Linear -> ReLU ->
 * Dropout(dropout_rate)` per width of `ray_hidden_dims`; drive state flattened (15)
 * through the same per width of `drive_hidden_dims`; an empty list means flatten
 * only. Output: rays part then drive part (mlp_small 32 + 8 = 40, mlp_large
 * 64 + 16 = 80).
 *
 * Modules: `<name>.ray_extractor.{1,4,7,...}` and
 * `<name>.drive_state_extractor.{1,4,...}` (Linear; module 0 is the Flatten).
 *
 * @param inputs Observation tensors.
 * @param parameters Resolved mlp parameters.
 * @param options Name prefix and Linear initialisation.
 * @returns Features `[batch, features_dim]`.
 */
export function buildMlpExtractor(
  inputs: ExtractorInputs,
  parameters: Readonly<ExtractorParameters>,
  options: ResolvedBuildOptions,
): Tensor {
  const p = parameters.dropout_rate as number;
  const rays = _mlpBranch(inputs.rays, {
    name: `${options.name}.ray_extractor`,
    widths: parameters.ray_hidden_dims as number[],
    dropoutRate: p,
    init: options.linearInit,
  });
  const drive = _mlpBranch(inputs.driveState, {
    name: `${options.name}.drive_state_extractor`,
    widths: parameters.drive_hidden_dims as number[],
    dropoutRate: p,
    init: options.linearInit,
  });
  return concat([rays, drive], { axis: 1 });
}
