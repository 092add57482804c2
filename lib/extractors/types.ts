/**
 * Types shared by the feature-extractor builders and the registry.
 *
 * @module
 */
import type { LayerInit, Tensor } from "../nn/mod.ts";
import type { ExtractorFamily, ExtractorParameters, PresetName } from "../config/presets.ts";

/** The two observation tensors an extractor reads. */
export interface ExtractorInputs {
  /** LiDAR rays `[batch, stack=3, rays=272]`, distances / max range (10 m), oldest scan first. */
  rays: Tensor;
  /** Drive state `[batch, stack=3, 5]`, each value divided by its space maximum. */
  driveState: Tensor;
}

/**
 * How convolutions are written into the graph (both compute the same function of
 * the same `[out, in, kernel]` weights):
 * - `"auto"`: channels last (`"nlc"`) in train-mode graphs, ONNX Conv (`"ncl"`) in
 *   eval-mode graphs; the fastest of the measured choices in each mode
 *   (docs/benchmarks.md).
 * - `"nlc"`: channels-last GEMM formulation everywhere.
 * - `"ncl"`: PyTorch's `[batch, C, L]` layout with ONNX Conv, phase-split input
 *   gradient and im2col GEMM weight gradient.
 */
export type ConvFormulation = "auto" | "nlc" | "ncl";

/** Build-time choices shared by every extractor builder. */
export interface ExtractorBuildOptions {
  /**
   * Parameter name prefix (the policy's PyTorch module path of the extractor).
   * @default "features_extractor"
   */
  name?: string;
  /**
   * Initialisation of every `nn.Linear` inside the extractor. Stable-Baselines3's
   * ActorCriticPolicy (ortho_init true) re-initialises them orthogonally with gain
   * sqrt(2); Conv1d, LayerNorm and BatchNorm1d always keep PyTorch's defaults
   * (SB3's `init_weights` touches only `nn.Linear` and `nn.Conv2d`).
   * @default { orthogonal: Math.SQRT2 }
   */
  linearInit?: LayerInit;
  /**
   * Convolution formulation (conv-based presets only).
   * @default "auto"
   */
  conv?: ConvFormulation;
}

/** Resolved build options a family builder receives. */
export interface ResolvedBuildOptions {
  /** Parameter name prefix. */
  name: string;
  /** Initialisation of every Linear layer. */
  linearInit: LayerInit;
  /** Convolution formulation. */
  conv: ConvFormulation;
}

/**
 * A family builder: appends the extractor to the graph of `inputs` and returns
 * its features `[batch, features_dim]` (rays part, then drive-state part).
 */
export type ExtractorBuilder = (
  inputs: ExtractorInputs,
  parameters: Readonly<ExtractorParameters>,
  options: ResolvedBuildOptions,
) => Tensor;

/** Options of `buildFeatureExtractor`. */
export interface FeatureExtractorOptions extends ExtractorBuildOptions {
  /** Reference preset name. */
  preset: PresetName;
  /**
   * Overrides of the preset's parameters, as written under `parameters:` in a
   * scenario entry (validated with `checkExtractorParameters`).
   * @default {}
   */
  parameters?: Readonly<Record<string, unknown>>;
}

/** A built feature extractor. */
export interface FeatureExtractor {
  /** Features `[batch, features_dim]`. */
  features: Tensor;
  /** Length of the feature vector (equals `featuresDim(preset, parameters)`). */
  featuresDim: number;
  /** Family whose builder was used. */
  family: ExtractorFamily;
  /** Preset defaults merged with the overrides. */
  parameters: ExtractorParameters;
}
