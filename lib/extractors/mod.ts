/**
 * Feature extractors: the eight reference presets (dynamics_original,
 * dynamics_no_conv, mlp_small, mlp_large, attention_small, attention_large,
 * lightweight_cnn, lstm_small) built as lib/nn subgraphs with the reference's architecture,
 * parameter names and parameter counts, plus per-entry parameter overrides.
 *
 * See `docs/extractors.md` for each preset's layer table.
 *
 * @example Build dynamics_original on a graph
 * ```ts
 * import { buildFeatureExtractor } from "./mod.ts";
 * const g = new Graph({ training: true, parameters: store });
 * const rays = g.input("rays", ["batch", 3, 272]);
 * const driveState = g.input("drive_state", ["batch", 3, 5]);
 * const { features } = buildFeatureExtractor({ rays, driveState }, { preset: "dynamics_original" });
 * ```
 *
 * @module
 */
export { buildFeatureExtractor, EXTRACTOR_BUILDERS } from "./registry.ts";
export { buildDynamicsExtractor } from "./dynamics.ts";
export { buildMlpExtractor } from "./mlp.ts";
export { buildAttentionExtractor } from "./attention.ts";
export { buildLightweightCnnExtractor } from "./lightweight_cnn.ts";
export { buildLstmExtractor } from "./lstm.ts";
export type {
  ConvFormulation,
  ExtractorBuilder,
  ExtractorBuildOptions,
  ExtractorInputs,
  FeatureExtractor,
  FeatureExtractorOptions,
  ResolvedBuildOptions,
} from "./types.ts";
