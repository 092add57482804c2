/**
 * The registry of feature-extractor builders: preset name -> family -> builder,
 * and {@linkcode buildFeatureExtractor}, which validates parameter overrides
 * against the preset table of `lib/config/presets.ts` (the one definition of
 * names, defaults and rules) and checks the built width against `featuresDim`.
 *
 * Source: robot_sf at commit 77c3131, `robot_sf/feature_extractors/config.py`
 * (FeatureExtractorType registry, FeatureExtractorPresets).
 *
 * @module
 */
import {
  checkExtractorParameters,
  type ExtractorFamily,
  featuresDim,
  isPresetName,
  PRESET_NAMES,
  PRESETS,
  resolvePresetParameters,
} from "../config/presets.ts";
import { _staticDim } from "./_blocks.ts";
import { buildAttentionExtractor } from "./attention.ts";
import { buildDynamicsExtractor } from "./dynamics.ts";
import { buildLightweightCnnExtractor } from "./lightweight_cnn.ts";
import { buildLstmExtractor } from "./lstm.ts";
import { buildMlpExtractor } from "./mlp.ts";
import type {
  ExtractorBuilder,
  ExtractorInputs,
  FeatureExtractor,
  FeatureExtractorOptions,
} from "./types.ts";

/** The builder of each extractor family (the reference's FeatureExtractorType registry). */
export const EXTRACTOR_BUILDERS: Readonly<Record<ExtractorFamily, ExtractorBuilder>> = Object
  .freeze({
    dynamics: buildDynamicsExtractor,
    mlp: buildMlpExtractor,
    attention: buildAttentionExtractor,
    lightweight_cnn: buildLightweightCnnExtractor,
    lstm: buildLstmExtractor,
  });

/**
 * Build a preset's feature extractor on the graph of `inputs.rays`.
 *
 * The preset's defaults are merged with `options.parameters` (overrides, checked
 * with `checkExtractorParameters`: unknown key, wrong type, out-of-range value,
 * even kernel, embed_dim not divisible by num_heads). Parameters are named after
 * the reference policy's PyTorch `state_dict` keys
 * (`features_extractor.ray_extractor.0.weight`, ...). Dropout is active only in
 * train-mode graphs; batch norm uses batch statistics in train mode and running
 * statistics in eval mode.
 *
 * @example Build mlp_small with a wider first layer
 * ```ts
 * const g = new Graph({ parameters: new ParameterStore(new SeededRng(1)) });
 * const rays = g.input("rays", ["batch", 3, 272]);
 * const driveState = g.input("drive_state", ["batch", 3, 5]);
 * const { features, featuresDim } = buildFeatureExtractor({ rays, driveState }, {
 *   preset: "mlp_small",
 *   parameters: { ray_hidden_dims: [128, 32] },
 * });
 * // features: [batch, 40]
 * ```
 *
 * @param inputs Rays `[batch, stack, rays]` and drive state `[batch, stack, 5]` of one graph.
 * @param options Preset, parameter overrides and build choices.
 * @returns The features `[batch, features_dim]` and the resolved parameters.
 * @throws {RangeError} When the preset is unknown, an override is invalid (the
 *   message lists every problem as the scenario validator words it), the inputs
 *   are not rank 3 with static sizes, or the architecture does not fit the
 *   observation (e.g. too many pooling blocks for the rays).
 */
export function buildFeatureExtractor(
  inputs: ExtractorInputs,
  options: FeatureExtractorOptions,
): FeatureExtractor {
  const { preset } = options;
  if (!isPresetName(preset)) {
    throw new RangeError(
      `Unknown feature-extractor preset "${String(preset)}" (known: ${PRESET_NAMES.join(", ")})`,
    );
  }
  const overrides = options.parameters ?? {};
  const issues = checkExtractorParameters(preset, overrides);
  if (issues.length > 0) {
    throw new RangeError(
      `Invalid parameters for preset ${preset}: ` +
        issues.map((issue) => `parameters.${issue.key}: ${issue.message}`).join("; "),
    );
  }
  for (const [label, t] of [["rays", inputs.rays], ["drive_state", inputs.driveState]] as const) {
    if (t.rank !== 3) {
      throw new RangeError(
        `Feature extractor input ${label} must be [batch, stack, size], got rank ${t.rank}`,
      );
    }
  }
  const observation = {
    stackSteps: _staticDim(inputs.rays, 1, "Feature extractor input rays: the stack"),
    numRays: _staticDim(inputs.rays, 2, "Feature extractor input rays: the number of rays"),
    driveStateSize: _staticDim(inputs.driveState, 2, "Feature extractor input drive_state"),
  };
  const driveStack = _staticDim(inputs.driveState, 1, "Feature extractor input drive_state");
  if (driveStack !== observation.stackSteps) {
    throw new RangeError(
      `Feature extractor inputs disagree on the stack: rays has ${observation.stackSteps} ` +
        `scans, drive_state ${driveStack} steps`,
    );
  }
  const parameters = resolvePresetParameters(preset, overrides);
  const family = PRESETS[preset].family;
  const features = EXTRACTOR_BUILDERS[family](inputs, parameters, {
    name: options.name ?? "features_extractor",
    linearInit: options.linearInit ?? { orthogonal: Math.SQRT2 },
    conv: options.conv ?? "auto",
  });
  const expected = featuresDim(preset, parameters, { observation });
  const width = features.shape[1];
  if (features.rank !== 2 || width !== expected) {
    throw new RangeError(
      `Feature extractor ${preset} produced ${
        features.rank === 2 ? `${String(width)} features` : `rank ${features.rank} features`
      }, but its features_dim is ${expected}`,
    );
  }
  return { features, featuresDim: expected, family, parameters };
}
