/**
 * The one place lib/rl gets its policy network from: feature extractor plus
 * Stable-Baselines3's MultiInputPolicy heads, built on a graph.
 *
 * Until lib/extractors lands, the network comes from bench/_policies.ts, which
 * builds dynamics_original and mlp_small only.
 *
 * @module
 */
import type { Graph } from "../nn/mod.ts";
import type { ExtractorParameters, PresetName } from "../config/mod.ts";
import { buildPolicy, type PolicyGraph } from "../../bench/_policies.ts";

export type { PolicyGraph };

/** What the network is built from. */
export interface PolicyNetworkOptions {
  /** Reference preset. */
  preset: PresetName;
  /** Resolved extractor parameters (preset defaults merged with overrides). */
  parameters: ExtractorParameters;
}

const _AVAILABLE: readonly string[] = ["dynamics_original", "mlp_small"];

/**
 * Build the policy network on `g`: inputs `rays [batch, 3, 272]`, `drive_state
 * [batch, 3, 5]`; outputs `actionMean [batch, 2]`, `value [batch, 1]`, `logStd [2]`.
 * @throws {RangeError} When the preset cannot be built yet.
 */
export function _buildPolicyNetwork(g: Graph, options: PolicyNetworkOptions): PolicyGraph {
  if (!_AVAILABLE.includes(options.preset)) {
    throw new RangeError(
      `Preset '${options.preset}' cannot be built yet (available: ${_AVAILABLE.join(", ")})`,
    );
  }
  return buildPolicy(g, options.preset as "dynamics_original" | "mlp_small");
}
