/**
 * The two benchmark policies (dynamics_original and mlp_small feature extractors
 * with Stable-Baselines3's default MultiInputPolicy heads), built with lib/nn.
 * lib/extractors will own the real versions; these exist so the tensor engine can
 * be measured and its parameter counts checked against the reference (ANCHORS.md:
 * 50,677 and 68,525). The PPO loss is lib/rl's `ppoLoss`.
 *
 * Parameter names follow the reference's PyTorch state_dict keys.
 *
 * @module
 */
import {
  concat,
  conv1d,
  dropout,
  flatten,
  type Graph,
  linear,
  mlp,
  relu,
  type Tensor,
  transpose,
  zeros,
} from "../lib/nn/mod.ts";

/** Benchmark presets. */
export type PresetName = "dynamics_original" | "mlp_small";

/** Observation inputs and policy outputs of a built policy. */
export interface PolicyGraph {
  /** LiDAR rays `[batch, 3, 272]` (normalised by max range). */
  rays: Tensor;
  /** Drive state `[batch, 3, 5]`. */
  driveState: Tensor;
  /** Features `[batch, features_dim]`. */
  features: Tensor;
  /** Gaussian action mean `[batch, 2]`. */
  actionMean: Tensor;
  /** Value estimate `[batch, 1]`. */
  value: Tensor;
  /** State-independent log standard deviation `[2]`. */
  logStd: Tensor;
}

const SQRT2 = Math.SQRT2;

/**
 * dynamics_original: rays through 4 x [Conv1d(k3, s2, p1) ReLU Dropout(0.3)],
 * channels 3 -> 64 -> 16 -> 16 -> 16, flattened (272) + drive state flattened (15).
 * Conv1d keeps PyTorch's default init (SB3's orthogonal init only touches Linear/Conv2d).
 */
function dynamicsOriginal(rays: Tensor, drive: Tensor, conv: ConvChoice): Tensor {
  // Default ("auto"): channels-last convs (GEMMs both ways) in train-mode graphs, the first
  // reading the [batch, 3, 272] rays as they are; ONNX Conv in eval-mode graphs (fewer nodes,
  // faster at batch 1). Both compute the same function of the same weights.
  const nlc = conv === "nlc" || (conv === "auto" && rays.graph.training);
  const channels = [64, 16, 16, 16];
  let h = rays;
  channels.forEach((c, i) => {
    h = conv1d(h, {
      name: `features_extractor.ray_extractor.${i * 3}`,
      outChannels: c,
      kernel: 3,
      stride: 2,
      padding: 1,
      layout: nlc ? "nlc" : "ncl",
      channelsFirstInput: nlc && i === 0,
      inputGrad: conv === "ncl-convtranspose" ? "convtranspose" : "phase",
      weightGrad: conv === "ncl-convtranspose" ? "conv" : "gemm",
    });
    h = dropout(relu(h), 0.3);
  });
  // channels last: [batch, 17, 16] -> PyTorch's flatten order of [batch, 16, 17]
  return concat([flatten(nlc ? transpose(h, [0, 2, 1]) : h), flatten(drive)], { axis: 1 });
}

/**
 * Conv1d formulation of dynamics_original: `auto` (channels last in train mode, channels first
 * in eval mode), channels last, channels first with phase-split input gradient and GEMM weight
 * gradient, or channels first with ConvTranspose and a dilated Conv (PLATFORM.md's).
 */
export type ConvChoice = "auto" | "nlc" | "ncl-phase" | "ncl-convtranspose";

/**
 * mlp_small: rays flattened (816) -> Linear 64 ReLU Dropout(0.1) -> Linear 32 ReLU
 * Dropout(0.1); drive flattened (15) -> 16 -> 8 likewise; features 40. Linear layers
 * get SB3's orthogonal init with gain sqrt(2).
 */
function mlpSmall(rays: Tensor, drive: Tensor): Tensor {
  const branch = (x: Tensor, name: string, sizes: number[]) => {
    let h = flatten(x);
    sizes.forEach((s, i) => {
      h = linear(h, { name: `${name}.${1 + i * 3}`, outFeatures: s, init: { orthogonal: SQRT2 } });
      h = dropout(relu(h), 0.1);
    });
    return h;
  };
  return concat([
    branch(rays, "features_extractor.ray_extractor", [64, 32]),
    branch(drive, "features_extractor.drive_state_extractor", [16, 8]),
  ], { axis: 1 });
}

/**
 * Build a policy on `g`: extractor, SB3 policy and value MLPs [64, 64] Tanh,
 * action head (2, gain 0.01), value head (1, gain 1), log_std (zeros).
 * @param options.conv Conv1d formulation of dynamics_original. @default "auto"
 */
export function buildPolicy(
  g: Graph,
  preset: PresetName,
  options: { conv?: ConvChoice } = {},
): PolicyGraph {
  const rays = g.input("rays", ["batch", 3, 272]);
  const driveState = g.input("drive_state", ["batch", 3, 5]);
  const features = preset === "dynamics_original"
    ? dynamicsOriginal(rays, driveState, options.conv ?? "auto")
    : mlpSmall(rays, driveState);
  const init = { orthogonal: SQRT2 };
  const pi = mlp(features, { name: "mlp_extractor.policy_net", sizes: [64, 64], init });
  const vf = mlp(features, { name: "mlp_extractor.value_net", sizes: [64, 64], init });
  const actionMean = linear(pi, { name: "action_net", outFeatures: 2, init: { orthogonal: 0.01 } });
  const value = linear(vf, { name: "value_net", outFeatures: 1, init: { orthogonal: 1 } });
  const logStd = g.parameter("log_std", [2], { init: zeros() });
  return { rays, driveState, features, actionMean, value, logStd };
}
