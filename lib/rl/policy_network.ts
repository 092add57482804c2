/**
 * The actor-critic policy network: Stable-Baselines3's `MultiInputPolicy` with
 * its defaults on top of one reference feature extractor.
 *
 * Source: stable_baselines3/common/policies.py (ActorCriticPolicy: `_build`,
 * `init_weights`), stable_baselines3/common/torch_layers.py (MlpExtractor),
 * stable_baselines3/common/distributions.py (DiagGaussianDistribution).
 *
 * @module
 */
import { type LayerInit, linear, mlp, type ParameterStore, zeros } from "../nn/mod.ts";
import type { Graph, Tensor } from "../nn/mod.ts";
import {
  type ObservationShape,
  type PresetName,
  REFERENCE_OBSERVATION,
} from "../config/presets.ts";
import {
  buildFeatureExtractor,
  type ExtractorBuildOptions,
  type FeatureExtractor,
} from "../extractors/mod.ts";

/** Hidden widths of SB3's default policy and value MLPs (`net_arch`), Tanh after each. */
export const POLICY_NET_ARCH: Readonly<{ pi: readonly number[]; vf: readonly number[] }> = Object
  .freeze({ pi: Object.freeze([64, 64]), vf: Object.freeze([64, 64]) });

/** Action dimensions: linear speed (m/s) and angular speed (rad/s). */
export const ACTION_DIM = 2;

/** SB3 orthogonal-init gains per module (ActorCriticPolicy `_build`, ortho_init true). */
export const ORTHOGONAL_GAINS: Readonly<
  { featuresExtractor: number; mlpExtractor: number; actionNet: number; valueNet: number }
> = Object.freeze({
  featuresExtractor: Math.SQRT2,
  mlpExtractor: Math.SQRT2,
  actionNet: 0.01,
  valueNet: 1,
});

/** Options of {@linkcode buildPolicyNetwork}. */
export interface PolicyNetworkOptions extends Omit<ExtractorBuildOptions, "name" | "linearInit"> {
  /** Reference preset of the shared feature extractor. */
  preset: PresetName;
  /**
   * Overrides of the preset's parameters (a scenario entry's `parameters:`).
   * @default {}
   */
  parameters?: Readonly<Record<string, unknown>>;
  /**
   * Observation sizes of the `rays` and `drive_state` inputs.
   * @default REFERENCE_OBSERVATION (rays [3, 272], drive_state [3, 5])
   */
  observation?: ObservationShape;
  /**
   * SB3 `ortho_init`: orthogonal weights and zero biases for every `nn.Linear`
   * (gain sqrt(2) in the extractor and MLPs, 0.01 for the action head, 1 for the
   * value head); false keeps PyTorch's defaults everywhere.
   * @default true
   */
  orthoInit?: boolean;
}

/** Inputs and outputs of a built policy network. */
export interface PolicyGraph {
  /** Graph input `rays` `[batch, 3, 272]` (distances / 10 m max range, oldest scan first). */
  rays: Tensor;
  /** Graph input `drive_state` `[batch, 3, 5]` (normalised drive state). */
  driveState: Tensor;
  /** Shared extractor features `[batch, features_dim]`. */
  features: Tensor;
  /** features_dim of the extractor. */
  featuresDim: number;
  /** The built extractor (family and resolved parameters). */
  extractor: FeatureExtractor;
  /** Mean of the diagonal Gaussian over actions `[batch, 2]` (unclipped). */
  actionMean: Tensor;
  /** State-value estimate `[batch, 1]`. */
  value: Tensor;
  /** State-independent log standard deviation `[2]` (parameter `log_std`, init 0). */
  logStd: Tensor;
}

/**
 * Build the actor-critic network of SB3's `MultiInputPolicy` with default
 * settings on `g`: inputs `rays` and `drive_state`, one feature extractor shared
 * by actor and critic (`features_extractor.*`), policy and value MLPs
 * [64, 64] with Tanh (`mlp_extractor.policy_net.{0,2}`,
 * `mlp_extractor.value_net.{0,2}`), a linear action-mean head (`action_net`, 2)
 * and value head (`value_net`, 1), and `log_std` (2, zeros).
 *
 * Initialisation as SB3's ActorCriticPolicy with ortho_init: `init_weights`
 * applied per module with the gains of {@linkcode ORTHOGONAL_GAINS}; it touches
 * only `nn.Linear` (and `nn.Conv2d`, absent here), so Conv1d, LayerNorm and
 * BatchNorm1d keep PyTorch's defaults, while the attention projections (separate
 * `nn.Linear`s) are orthogonal. Values come from `g.parameters`' generator in
 * declaration order; graphs sharing a store share the parameters, so build the
 * train-mode and eval-mode graphs from the same store.
 *
 * @example A training graph and an inference model over one store
 * ```ts
 * const store = new ParameterStore(new SeededRng(42));
 * const step = await createTrainingStep(
 *   (g) => myLoss(g, buildPolicyNetwork(g, { preset: "mlp_small" })),
 *   { parameters: store },
 * );
 * const act = await createInferenceModel((g) => {
 *   const p = buildPolicyNetwork(g, { preset: "mlp_small" });
 *   return { action_mean: p.actionMean, value: p.value, log_std: p.logStd };
 * }, { parameters: store });
 * ```
 *
 * @param g Graph to build on (train mode: dropout and batch statistics active).
 * @param options Preset, parameter overrides, observation sizes, init and conv choices.
 * @returns The inputs and outputs of the network.
 * @throws {RangeError} When the preset or an override is invalid, or the
 *   architecture does not fit the observation (see `buildFeatureExtractor`).
 */
export function buildPolicyNetwork(g: Graph, options: PolicyNetworkOptions): PolicyGraph {
  const obs = options.observation ?? REFERENCE_OBSERVATION;
  const rays = g.input("rays", ["batch", obs.stackSteps, obs.numRays]);
  const driveState = g.input("drive_state", ["batch", obs.stackSteps, obs.driveStateSize]);
  const ortho = options.orthoInit ?? true;
  const init = (gain: number): LayerInit => (ortho ? { orthogonal: gain } : "pytorch");
  const extractor = buildFeatureExtractor({ rays, driveState }, {
    preset: options.preset,
    parameters: options.parameters,
    conv: options.conv,
    name: "features_extractor",
    linearInit: init(ORTHOGONAL_GAINS.featuresExtractor),
  });
  const features = extractor.features;
  const hidden = init(ORTHOGONAL_GAINS.mlpExtractor);
  const pi = mlp(features, {
    name: "mlp_extractor.policy_net",
    sizes: POLICY_NET_ARCH.pi,
    init: hidden,
  });
  const vf = mlp(features, {
    name: "mlp_extractor.value_net",
    sizes: POLICY_NET_ARCH.vf,
    init: hidden,
  });
  const actionMean = linear(pi, {
    name: "action_net",
    outFeatures: ACTION_DIM,
    init: init(ORTHOGONAL_GAINS.actionNet),
  });
  const value = linear(vf, {
    name: "value_net",
    outFeatures: 1,
    init: init(ORTHOGONAL_GAINS.valueNet),
  });
  const logStd = g.parameter("log_std", [ACTION_DIM], { init: zeros() });
  return {
    rays,
    driveState,
    features,
    featuresDim: extractor.featuresDim,
    extractor,
    actionMean,
    value,
    logStd,
  };
}

/** Parameter counts of a network, as PyTorch's `sum(p.numel() for p in ...)`. */
export interface ParameterCounts {
  /** All parameters (`model.policy.parameters()`); buffers such as running means excluded. */
  total: number;
  /** Parameters with requires_grad (all of them here). */
  trainable: number;
  /**
   * Per top-level module: `features_extractor`, `mlp_extractor.policy_net`,
   * `mlp_extractor.value_net`, `action_net`, `value_net`, `log_std` (other names
   * under their first path component).
   */
  byModule: Record<string, number>;
}

const _MODULES = [
  "features_extractor",
  "mlp_extractor.policy_net",
  "mlp_extractor.value_net",
  "action_net",
  "value_net",
  "log_std",
];

/**
 * Count the parameters of the network declared in `store` (metrics.json's
 * `total_parameters` and `trainable_parameters`; the reference counts
 * `model.policy.parameters()`).
 *
 * @param store Store the policy network was built with.
 * @returns Totals and per-module counts (modules with no parameters, such as
 *   dynamics_no_conv's extractor, appear with 0).
 */
export function countParameters(store: ParameterStore): ParameterCounts {
  const byModule: Record<string, number> = {};
  for (const module of _MODULES) byModule[module] = 0;
  for (const p of store.parameters) {
    const module = _MODULES.find((m) => p.name === m || p.name.startsWith(`${m}.`)) ??
      p.name.split(".")[0];
    byModule[module] = (byModule[module] ?? 0) + p.size;
  }
  const total = store.parameterCount;
  return { total, trainable: total, byModule };
}
