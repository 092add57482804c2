/**
 * Convergence and sample-efficiency analysis of a comparison, as pure functions of
 * the extractors' evaluation histories and run records.
 *
 * Rules (docs/file-formats.md explains them with examples):
 * - target(best, f) = best - (1 - f) * |best|. For best > 0 this is f * best, the
 *   reference's rule; unlike f * best it stays below best when best is negative
 *   (robot_sf rewards usually are), where the reference gives up and reports the
 *   total timesteps.
 * - convergence_timestep: the first evaluation timestep whose mean reward reaches
 *   target(best of that extractor, convergence_fraction).
 * - baseline_target_reward = target(best of the baseline, convergence_fraction).
 * - sample_efficiency_timestep: the first evaluation timestep at which the candidate
 *   reaches baseline_target_reward. sample_efficiency_ratio =
 *   baseline_convergence_timestep / sample_efficiency_timestep (> 1: the candidate
 *   needs fewer steps than the baseline; the baseline itself gets 1).
 * - A target never reached is censored at the extractor's training_steps (the
 *   reference's convention) and flagged with `*_reached: 0`.
 * - Only successful records with an evaluation history are analysed; averages and
 *   medians run over those; keys without data are omitted, never written as 0.
 *
 * Source: robot_sf `robot_sf/training/multi_extractor_analysis.py` and
 * `scripts/multi_extractor_training.py` (later commits than 77c3131).
 *
 * @module
 */
import type { EvaluationPoint } from "../run/artifacts.ts";
import type { ExtractorRunRecord } from "../run/models.ts";
import { meanOrNull } from "../internal/stats.ts";

/**
 * The reward that counts as "reached a fraction of best":
 * `best - (1 - fraction) * |best|`.
 *
 * @param best Best mean evaluation reward.
 * @param fraction convergence_fraction in (0, 1].
 * @returns The target reward (<= best).
 * @throws {RangeError} When fraction is outside (0, 1] or best is not finite.
 */
export function convergenceTarget(best: number, fraction: number): number {
  if (!(fraction > 0 && fraction <= 1)) {
    throw new RangeError(`Convergence fraction must be in (0, 1], got ${fraction}`);
  }
  if (!Number.isFinite(best)) throw new RangeError(`Best reward must be finite, got ${best}`);
  return best - (1 - fraction) * Math.abs(best);
}

/**
 * First evaluation timestep whose mean reward is >= `target`. Points are taken in
 * timestep order.
 *
 * @param history Evaluations.
 * @param target Reward to reach.
 * @returns The timestep, or null when never reached.
 */
export function firstTimestepReaching(
  history: readonly EvaluationPoint[],
  target: number,
): number | null {
  const ordered = [...history].sort((a, b) => a.timestep - b.timestep);
  for (const point of ordered) if (point.mean_reward >= target) return point.timestep;
  return null;
}

/**
 * Highest mean reward of a history.
 *
 * @param history Evaluations.
 * @returns The best mean reward, or null for an empty history.
 */
export function bestMeanReward(history: readonly EvaluationPoint[]): number | null {
  if (history.length === 0) return null;
  return Math.max(...history.map((point) => point.mean_reward));
}

/**
 * Arithmetic mean.
 *
 * @param values Finite numbers.
 * @returns The mean, or null when empty.
 */
export const mean: (values: readonly number[]) => number | null = meanOrNull;

/**
 * Median (mean of the two middle values for an even count).
 *
 * @param values Finite numbers.
 * @returns The median, or null when empty.
 */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The baseline's figures used for sample efficiency. */
export interface BaselineFigures {
  /** Baseline extractor name. */
  name: string;
  /** Its best mean evaluation reward. */
  best_mean_reward: number;
  /** target(best, convergence_fraction). */
  target_reward: number;
  /** Its convergence timestep (censored at its training steps). */
  convergence_timestep: number;
}

/** Input of {@linkcode analyzeComparison}. */
export interface ComparisonInput {
  /** Run records in run order. */
  records: readonly ExtractorRunRecord[];
  /** Evaluation history per extractor name (missing = none). */
  histories: ReadonlyMap<string, readonly EvaluationPoint[]>;
  /** Baseline extractor name; null = the first successful record with a history. */
  baseline: string | null;
  /** convergence_fraction in (0, 1]. */
  convergenceFraction: number;
}

/** Output of {@linkcode analyzeComparison}. */
export interface ComparisonAnalysis {
  /** Copies of the records; successful ones with a history gain the analysis metrics. */
  records: ExtractorRunRecord[];
  /** Aggregate metrics (keys without data omitted). */
  aggregate: Record<string, number>;
  /** Baseline figures, or null when the baseline has no successful history. */
  baseline: BaselineFigures | null;
  /** Explanations of missing figures. */
  notes: string[];
}

function _steps(record: ExtractorRunRecord, history: readonly EvaluationPoint[]): number {
  if (record.training_steps !== undefined) return record.training_steps;
  return Math.max(0, ...history.map((point) => point.timestep));
}

/**
 * Enrich each successful record that has an evaluation history with
 * best_mean_reward (when absent), convergence_timestep, convergence_reached and, when
 * the baseline has a history, baseline_target_reward, sample_efficiency_timestep,
 * sample_efficiency_ratio, baseline_target_reached and delta_best_reward_vs_baseline;
 * then compute the aggregate metrics (see {@linkcode aggregateMetrics}).
 *
 * @param input Records, histories, baseline, convergence fraction.
 * @returns Enriched record copies, aggregates, baseline figures and notes.
 * @throws {RangeError} When convergenceFraction is outside (0, 1].
 */
export function analyzeComparison(input: ComparisonInput): ComparisonAnalysis {
  const fraction = input.convergenceFraction;
  convergenceTarget(0, fraction); // validates the fraction
  const notes: string[] = [];
  const records = input.records.map((record) => structuredClone(record));
  const analysable = (record: ExtractorRunRecord) =>
    record.status === "success" && (input.histories.get(record.config_name)?.length ?? 0) > 0;

  const baselineName = input.baseline ?? records.find(analysable)?.config_name ?? null;
  let baseline: BaselineFigures | null = null;
  const baselineRecord = records.find((record) => record.config_name === baselineName);
  if (baselineRecord !== undefined && analysable(baselineRecord)) {
    const history = input.histories.get(baselineRecord.config_name) ?? [];
    const best = bestMeanReward(history) as number;
    const target = convergenceTarget(best, fraction);
    baseline = {
      name: baselineRecord.config_name,
      best_mean_reward: best,
      target_reward: target,
      convergence_timestep: firstTimestepReaching(history, target) ??
        _steps(baselineRecord, history),
    };
  } else if (baselineName !== null) {
    notes.push(
      `Baseline "${baselineName}" has no successful evaluation history; ` +
        "sample-efficiency metrics are omitted",
    );
  }

  for (const record of records) {
    if (record.status !== "success") continue;
    const history = input.histories.get(record.config_name) ?? [];
    if (history.length === 0) {
      notes.push(`${record.config_name}: no evaluation history; convergence metrics are omitted`);
      continue;
    }
    const metrics = record.metrics ?? {};
    const best = bestMeanReward(history) as number;
    const steps = _steps(record, history);
    if (metrics.best_mean_reward === undefined) metrics.best_mean_reward = best;
    const converged = firstTimestepReaching(history, convergenceTarget(best, fraction));
    metrics.convergence_timestep = converged ?? steps;
    metrics.convergence_reached = converged === null ? 0 : 1;
    if (baseline !== null) {
      const reached = firstTimestepReaching(history, baseline.target_reward);
      const timestep = reached ?? steps;
      metrics.baseline_target_reward = baseline.target_reward;
      metrics.sample_efficiency_timestep = timestep;
      metrics.baseline_target_reached = reached === null ? 0 : 1;
      if (timestep > 0) metrics.sample_efficiency_ratio = baseline.convergence_timestep / timestep;
      metrics.delta_best_reward_vs_baseline = metrics.best_mean_reward - baseline.best_mean_reward;
    }
    record.metrics = metrics;
  }
  return { records, aggregate: aggregateMetrics(records, baseline), baseline, notes };
}

/**
 * Aggregate metrics of a comparison (the reference's keys):
 * completed_runs, skipped_runs, failed_runs (counts); total_wall_time (s, sum of
 * extractor durations); best_mean_reward (max over successful records);
 * avg/median_convergence_timestep (over successful records that have them) and
 * avg/median_sample_efficiency_ratio (over successful records other than the
 * baseline's, whose ratio is 1 by definition); baseline_target_reward and
 * baseline_convergence_timestep (when a baseline is given). Keys without data are
 * omitted.
 *
 * @param records Run records (after {@linkcode analyzeComparison}).
 * @param baseline Baseline figures, or null.
 * @returns Metrics by name.
 */
export function aggregateMetrics(
  records: readonly ExtractorRunRecord[],
  baseline: BaselineFigures | null,
): Record<string, number> {
  const count = (status: string) => records.filter((record) => record.status === status).length;
  const successful = records.filter((record) => record.status === "success");
  const collect = (key: string) =>
    successful.flatMap((record) => {
      const value = record.metrics?.[key];
      return typeof value === "number" && Number.isFinite(value) ? [value] : [];
    });
  // The baseline's own ratio is 1 by definition: the averages run over the candidates.
  const candidateRatios = successful.flatMap((record) => {
    const value = record.metrics?.sample_efficiency_ratio;
    return record.config_name !== baseline?.name && typeof value === "number" &&
        Number.isFinite(value)
      ? [value]
      : [];
  });
  const aggregate: Record<string, number> = {
    completed_runs: successful.length,
    skipped_runs: count("skipped"),
    failed_runs: count("failed"),
    total_wall_time: records.reduce((sum, record) => sum + (record.duration_seconds ?? 0), 0),
  };
  const optional: [string, number | null][] = [
    [
      "best_mean_reward",
      collect("best_mean_reward").length > 0 ? Math.max(...collect("best_mean_reward")) : null,
    ],
    ["avg_convergence_timestep", mean(collect("convergence_timestep"))],
    ["median_convergence_timestep", median(collect("convergence_timestep"))],
    ["avg_sample_efficiency_ratio", mean(candidateRatios)],
    ["median_sample_efficiency_ratio", median(candidateRatios)],
    ["baseline_target_reward", baseline?.target_reward ?? null],
    ["baseline_convergence_timestep", baseline?.convergence_timestep ?? null],
  ];
  for (const [key, value] of optional) if (value !== null) aggregate[key] = value;
  return aggregate;
}

/** Units of the metrics in summaries ("" = dimensionless). */
export const METRIC_UNITS: Readonly<Record<string, string>> = Object.freeze({
  completed_runs: "runs",
  skipped_runs: "runs",
  failed_runs: "runs",
  best_mean_reward: "reward",
  last_mean_reward: "reward",
  total_wall_time: "s",
  avg_convergence_timestep: "env steps",
  median_convergence_timestep: "env steps",
  avg_sample_efficiency_ratio: "x baseline",
  median_sample_efficiency_ratio: "x baseline",
  baseline_target_reward: "reward",
  baseline_convergence_timestep: "env steps",
  convergence_timestep: "env steps",
  sample_efficiency_timestep: "env steps",
  sample_efficiency_ratio: "x baseline",
  delta_best_reward_vs_baseline: "reward",
  total_parameters: "parameters",
  trainable_parameters: "parameters",
});
