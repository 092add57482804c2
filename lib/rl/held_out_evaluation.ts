/**
 * Held-out final evaluation of a trial: after training, the final policy and the
 * best policy (best_model.onnx, chosen on the periodic evaluations) each run one
 * deterministic episode per held-out env seed (lib/rl/held_out.ts), episodes that
 * neither training nor the periodic evaluations used. Model selection and reporting
 * therefore use disjoint episodes (Agarwal et al., "Deep RL at the Edge of the
 * Statistical Precipice", NeurIPS 2021, sec. 4; the periodic evaluation's best score
 * is biased upwards because it is the maximum of noisy estimates).
 *
 * The trial's reported score is the best policy's held-out score (the policy a user
 * would deploy: best_model.onnx); a trial with no periodic evaluation reports its final
 * policy's. Every episode is stored whole in `held_out.json` so that any statistic can
 * be recomputed later.
 *
 * @module
 */
import * as nodePath from "node:path";
import { readInputFile } from "../internal/input_file.ts";
import { readOnnxInitializers } from "../nn/mod.ts";
import { writeJsonFileAtomic } from "../run/mod.ts";
import { aggregateNavMetrics, type RobotEnv } from "../sim/mod.ts";
import { type EpisodeOutcome, evaluatePolicy } from "./evaluation.ts";
import type { PpoPolicy } from "./policy.ts";

/** File name of the held-out episodes inside a trial's directory. */
export const HELD_OUT_FILE_NAME = "held_out.json";

/** Episodes evaluated between two looks at the interruption signal. */
const _CHUNK = 10;

/** Aggregates of one policy's held-out episodes (contract metric names). */
export interface HeldOutAggregates {
  /** Fraction of episodes that reached the goal. */
  success_rate: number;
  /** Fraction of episodes that ended in a collision. */
  collision_rate: number;
  /** Fraction of episodes that hit the time limit. */
  timeout_rate: number;
  /** Mean episode return. */
  mean_return: number;
  /** Mean episode length, steps. */
  mean_ep_length: number;
  /** Episodes. */
  episodes: number;
  /**
   * The other social-navigation aggregates (snqi, near_miss_rate, ...; lib/sim
   * `NavAggregate`), those that are defined for these episodes.
   */
  [navigationMetric: string]: number;
}

/** One policy's held-out evaluation. */
export interface HeldOutPolicyResult {
  /** Aggregates over the episodes. */
  aggregates: HeldOutAggregates;
  /** Every episode, whole, in seed order. */
  episodes: EpisodeOutcome[];
}

/** The held-out evaluation of a trial (the contents of held_out.json). */
export interface HeldOutResult {
  /** Env seed of the first held-out episode. */
  seed_start: number;
  /** Held-out episodes per policy. */
  count: number;
  /** Which policy's score is the trial's reported score. */
  reported: "best" | "final";
  /** The final policy's evaluation. */
  final: HeldOutPolicyResult;
  /** The best policy's evaluation, or null when no periodic evaluation chose one. */
  best: HeldOutPolicyResult | null;
}

/** Options of {@linkcode evaluateHeldOut}. */
export interface EvaluateHeldOutOptions {
  /** The trained policy (its parameters are replaced by the best ones for the second pass). */
  policy: PpoPolicy;
  /** An env for the episodes (reset with each seed). */
  env: RobotEnv;
  /** Held-out env seeds (heldOutSeeds(final_episodes, held_out_seed_start)). */
  seeds: readonly number[];
  /** best_model.onnx, or null when no periodic evaluation ran. */
  bestModelPath: string | null;
  /** Trial directory: held_out.json is written there. */
  directory: string;
  /** Interruption: looked at every few episodes. @default never */
  signal?: AbortSignal;
  /** Action means (true) or seeded samples (`evaluation.deterministic`). @default true */
  deterministic?: boolean;
  /** Near-miss clearance, m (`evaluation.comfort_distance`). @default 0.5 */
  comfortDistance?: number;
}

/**
 * Aggregate held-out episodes.
 * @param episodes At least one episode.
 * @returns Rates in [0, 1], mean return and length, count.
 */
export function heldOutAggregates(episodes: readonly EpisodeOutcome[]): HeldOutAggregates {
  const n = episodes.length;
  const rate = (f: (e: EpisodeOutcome) => boolean) => episodes.filter(f).length / n;
  // The social-navigation aggregates (lib/sim NavAggregate keys) that are defined.
  const navigation: Record<string, number> = {};
  for (const [key, value] of Object.entries(aggregateNavMetrics(episodes))) {
    if (Number.isFinite(value)) navigation[key] = value;
  }
  return {
    ...navigation,
    success_rate: rate((e) => e.success),
    collision_rate: rate((e) => e.collision),
    timeout_rate: rate((e) => e.timeout),
    mean_return: episodes.reduce((s, e) => s + e.reward, 0) / n,
    mean_ep_length: episodes.reduce((s, e) => s + e.length, 0) / n,
    episodes: n,
  };
}

/**
 * The metrics.json keys of a held-out evaluation: `heldout_<metric>` for the
 * reported policy, `heldout_final_<metric>` and `heldout_best_<metric>` for each.
 * @param result The evaluation.
 */
export function heldOutMetrics(result: HeldOutResult): Record<string, number> {
  const out: Record<string, number> = {};
  const put = (prefix: string, aggregates: HeldOutAggregates) => {
    for (const [key, value] of Object.entries(aggregates)) out[`${prefix}${key}`] = value;
  };
  put("heldout_final_", result.final.aggregates);
  if (result.best !== null) put("heldout_best_", result.best.aggregates);
  put("heldout_", (result.reported === "best" ? result.best! : result.final).aggregates);
  return out;
}

async function _episodes(
  policy: PpoPolicy,
  options: EvaluateHeldOutOptions,
): Promise<EpisodeOutcome[] | null> {
  const { env, seeds, signal, deterministic, comfortDistance } = options;
  const episodes: EpisodeOutcome[] = [];
  for (let i = 0; i < seeds.length; i += _CHUNK) {
    if (signal?.aborted) return null;
    const result = await evaluatePolicy(policy, {
      env,
      seeds: seeds.slice(i, i + _CHUNK),
      deterministic,
      comfortDistance,
    });
    // Stored whole: fields that evaluations add later flow through.
    episodes.push(...result.episodes.map((episode) => ({ ...episode })));
  }
  return episodes;
}

/** Put best_model.onnx's parameters and buffers into the policy. */
async function _loadBest(policy: PpoPolicy, path: string): Promise<void> {
  const bytes = await readInputFile(path, { kind: "checkpoint", nativeNotFound: true });
  const values = readOnnxInitializers(bytes);
  const state = policy.trainingState();
  const parameters = state.parameters.slice();
  const buffers = state.buffers.slice();
  let found = 0;
  for (
    const [infos, target] of [[policy.store.parameters, parameters], [
      policy.store.buffers,
      buffers,
    ]] as const
  ) {
    for (const info of infos) {
      const v = values.get(info.name);
      if (v === undefined || v.length !== info.size) continue;
      target.set(v, info.offset);
      found++;
    }
  }
  if (found === 0) {
    throw new RangeError(`${path} holds none of the policy's parameters`);
  }
  await policy.setTrainingState({ ...state, parameters, buffers });
}

/**
 * Evaluate the final policy, then the best one, on the held-out seeds and write
 * held_out.json. Call it once training is over: the policy's parameters end up the
 * best policy's.
 *
 * @param options Policy, env, seeds, best model, directory, signal.
 * @returns The evaluation, or null when the signal stopped it (nothing written).
 * @throws {ExtractorRunError} When the network output is not finite.
 * @throws {RangeError} When best_model.onnx does not fit the policy.
 */
export async function evaluateHeldOut(
  options: EvaluateHeldOutOptions,
): Promise<HeldOutResult | null> {
  const { policy, seeds } = options;
  const finalEpisodes = await _episodes(policy, options);
  if (finalEpisodes === null) return null;
  let best: HeldOutPolicyResult | null = null;
  if (options.bestModelPath !== null) {
    await _loadBest(policy, options.bestModelPath);
    const bestEpisodes = await _episodes(policy, options);
    if (bestEpisodes === null) return null;
    best = { aggregates: heldOutAggregates(bestEpisodes), episodes: bestEpisodes };
  }
  const result: HeldOutResult = {
    seed_start: seeds[0],
    count: seeds.length,
    reported: best === null ? "final" : "best",
    final: { aggregates: heldOutAggregates(finalEpisodes), episodes: finalEpisodes },
    best,
  };
  await writeJsonFileAtomic(nodePath.join(options.directory, HELD_OUT_FILE_NAME), result);
  return result;
}
