/**
 * The statistical comparison of a run (or of merged runs): per extractor, the
 * held-out score of each trial (one per seed), mean and interquartile mean with
 * stratified bootstrap confidence intervals, the probability of improvement of every
 * extractor over the baseline, learning curves aggregated over seeds, performance
 * profiles, budget warnings and one verdict sentence per extractor and metric
 * (docs/comparison.md). Written to `comparison.json`
 * (contracts/comparison.schema.json) beside summary.json.
 *
 * @module
 */
import type { EvaluationPoint } from "../run/artifacts.ts";
import type { ExtractorRunRecord } from "../run/models.ts";
import {
  bootstrapEstimate,
  bootstrapImprovement,
  type BootstrapSettings,
  DEFAULT_BOOTSTRAP,
  type Estimate,
  interquartileMean,
  performanceProfile,
  sampleMean,
  seedsNeeded,
} from "./statistics.ts";

/** File name of the comparison beside summary.json. */
export const COMPARISON_FILE_NAME = "comparison.json";

/**
 * Headline metrics of the comparison (aggregates over held-out episodes, contract
 * names); a trial's score is its metrics.json `heldout_<metric>`.
 */
export const COMPARISON_METRICS: readonly string[] = Object.freeze([
  "success_rate",
  "mean_return",
]);

/** Readable names of the metrics in verdict sentences. */
const _METRIC_LABELS: Readonly<Record<string, string>> = Object.freeze({
  success_rate: "held-out success rate",
  mean_return: "held-out mean return",
});

/** One trial as the comparison sees it. */
export interface ComparisonTrial {
  /** Its record (config_name: the extractor; metrics: seed, heldout_* scores). */
  record: ExtractorRunRecord;
  /** Trial seed (metrics.seed, else the run's seed). */
  seed: number;
  /** Its periodic evaluations (for learning curves and budget checks). */
  history: readonly EvaluationPoint[];
  /** Environment steps of one rollout (n_steps x envs) of its run, or null when unknown. */
  rolloutSteps: number | null;
  /** run.total_timesteps of its run, or null when unknown. */
  totalTimesteps: number | null;
}

/** What {@linkcode buildComparison} needs. */
export interface ComparisonInput {
  /** Every trial (any status; only successful ones with held-out scores count), in run order. */
  trials: readonly ComparisonTrial[];
  /** Baseline extractor, or null (the first extractor with scores). */
  baseline: string | null;
  /** Bootstrap settings. @default DEFAULT_BOOTSTRAP */
  bootstrap?: BootstrapSettings;
}

/** Statistics of one metric of one extractor. */
export interface MetricStatistics {
  /** Mean over seeds. */
  mean: number;
  /** Its 95% (bootstrap.confidence) interval. */
  mean_ci: [number, number];
  /** Interquartile mean over seeds. */
  iqm: number;
  /** Its interval. */
  iqm_ci: [number, number];
}

/** One point of an aggregated learning curve. */
export interface CurvePoint {
  /** Environment steps. */
  timestep: number;
  /** IQM over seeds of the evaluation mean reward. */
  iqm: number;
  /** Its bootstrap interval. */
  ci: [number, number];
  /** Seeds evaluated at this timestep. */
  seeds: number;
}

/** One extractor of the comparison. */
export interface ExtractorComparison {
  /** Extractor name. */
  name: string;
  /** Seeds with held-out scores, ascending. */
  seeds: number[];
  /** One row per seed: `{seed, <metric>: score}`. */
  per_seed: Record<string, number>[];
  /** Statistics by metric name. */
  statistics: Record<string, MetricStatistics>;
  /** Learning curve aggregated over seeds (timesteps every seed evaluated). */
  learning_curve: CurvePoint[];
}

/** Probability of improvement of a candidate over the baseline on one metric. */
export interface PairwiseComparison {
  /** Candidate extractor. */
  candidate: string;
  /** Baseline extractor. */
  baseline: string;
  /** Metric name. */
  metric: string;
  /** P(candidate's score > baseline's), ties counted 1/2. */
  probability_of_improvement: number;
  /** Its bootstrap interval. */
  ci: [number, number];
  /** Seeds of the candidate and of the baseline. */
  seeds: [number, number];
}

/** A performance profile: fraction of trials scoring above each threshold. */
export interface PerformanceProfile {
  /** Metric name. */
  metric: string;
  /** Thresholds. */
  thresholds: number[];
  /** Fraction above each threshold, by extractor name. */
  fractions: Record<string, number[]>;
}

/** The contents of comparison.json. */
export interface Comparison {
  /** Metrics compared. */
  metric_names: string[];
  /** The baseline extractor, or null when no extractor has scores. */
  baseline: string | null;
  /** Extractors with held-out scores, in run order. */
  extractors: ExtractorComparison[];
  /** Every candidate against the baseline, per metric. */
  pairwise: PairwiseComparison[];
  /** Ranking per metric: extractor names by IQM, best first. */
  ranking: Record<string, string[]>;
  /** Performance profiles per metric. */
  performance_profiles: PerformanceProfile[];
  /** Plain sentences: the summary's verdict. */
  verdict: string[];
  /** Budget and data warnings. */
  warnings: string[];
  /** True when some trial's budget is too small for convergence and sample-efficiency figures to mean anything. */
  budget_too_small: boolean;
  /** Bootstrap settings used. */
  bootstrap: BootstrapSettings;
}

function _ci(e: Estimate): [number, number] {
  return [e.lo, e.hi];
}

function _score(record: ExtractorRunRecord, metric: string): number | null {
  const value = record.metrics?.[`heldout_${metric}`];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

/** The bootstrap seed of one statistic: the run's seed mixed with a stable hash of its label. */
function _seedFor(base: number, label: string): number {
  let h = 2166136261 ^ base; // FNV-1a
  for (let i = 0; i < label.length; i++) h = Math.imul(h ^ label.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** Budget problems a trial can have, with the text of their warnings. */
const _BUDGET_PROBLEMS = {
  under_rollout: "total_timesteps is under one rollout (n_steps x environments)",
  before_first_update:
    "the best model was chosen before the first PPO update (best_model.onnx is the initial network)",
  few_updates: "fewer than 2 PPO updates ran before the best evaluation",
} as const;

/**
 * Budget problems of one trial (a best model chosen before PPO learnt much). An
 * evaluation at timestep t sees floor((t - 1) / rollout) PPO updates: updates follow
 * each full rollout, and the evaluation at a rollout's last step runs before its update.
 */
function _budgetProblems(trial: ComparisonTrial): (keyof typeof _BUDGET_PROBLEMS)[] {
  const { rolloutSteps: rollout, totalTimesteps: total, history } = trial;
  if (rollout === null || rollout <= 0) return [];
  const problems: (keyof typeof _BUDGET_PROBLEMS)[] = [];
  if (total !== null && total < rollout) problems.push("under_rollout");
  if (history.length > 0) {
    let best = history[0];
    for (const point of history) if (point.mean_reward > best.mean_reward) best = point;
    const updates = Math.max(0, Math.floor((best.timestep - 1) / rollout));
    if (updates === 0) problems.push("before_first_update");
    else if (updates < 2) problems.push("few_updates");
  }
  return problems;
}

function _aggregateCurve(
  histories: readonly (readonly EvaluationPoint[])[],
  settings: BootstrapSettings,
  label: string,
): CurvePoint[] {
  const byStep = new Map<number, number[]>();
  for (const history of histories) {
    for (const point of history) {
      const list = byStep.get(point.timestep) ?? [];
      list.push(point.mean_reward);
      byStep.set(point.timestep, list);
    }
  }
  const steps = [...byStep.keys()].filter((t) => byStep.get(t)!.length === histories.length)
    .sort((a, b) => a - b);
  return steps.map((timestep) => {
    const values = byStep.get(timestep)!;
    const e = bootstrapEstimate(values, interquartileMean, {
      ...settings,
      seed: _seedFor(settings.seed, `${label}@${timestep}`),
    });
    return { timestep, iqm: e.point, ci: _ci(e), seeds: values.length };
  });
}

function _fmt(value: number): string {
  return value.toFixed(2);
}

function _verdict(pair: PairwiseComparison): string {
  const label = _METRIC_LABELS[pair.metric] ?? `held-out ${pair.metric}`;
  const [n, m] = pair.seeds;
  const p = pair.probability_of_improvement;
  const stat = `P(improvement) ${_fmt(p)} [${_fmt(pair.ci[0])}, ${_fmt(pair.ci[1])}]`;
  const seeds = n === m ? `${n} seed${n === 1 ? "" : "s"}` : `${n} vs ${m} seeds`;
  if (Math.min(n, m) < 2) {
    return `${pair.candidate} vs ${pair.baseline} on ${label}: P(improvement) ${
      _fmt(p)
    } from a single seed, which says nothing about the extractors; run several seeds ` +
      "(run.seeds or run.num_seeds) for an interval.";
  }
  if (pair.ci[0] > 0.5) {
    return `${pair.candidate} beats ${pair.baseline} on ${label}: ${stat}, ${seeds}.`;
  }
  if (pair.ci[1] < 0.5) {
    return `${pair.candidate} is worse than ${pair.baseline} on ${label}: ${stat}, ${seeds}.`;
  }
  const needed = seedsNeeded(
    { point: p, lo: pair.ci[0], hi: pair.ci[1] },
    Math.min(n, m),
  );
  return `${pair.candidate} is not distinguishable from ${pair.baseline} on ${label} at this ` +
    `budget (${stat}, ${seeds}; the interval contains 0.50); ` +
    (needed === null
      ? "no difference was observed, so more seeds alone are unlikely to separate them."
      : `about ${needed} seeds per extractor would be needed (rough estimate).`);
}

function _profile(
  metric: string,
  groups: readonly { name: string; scores: number[] }[],
): PerformanceProfile {
  const all = groups.flatMap((g) => g.scores);
  let lo = Math.min(...all), hi = Math.max(...all);
  if (metric.endsWith("_rate")) [lo, hi] = [0, 1];
  if (hi === lo) [lo, hi] = [lo - 0.5, hi + 0.5];
  const thresholds = Array.from({ length: 51 }, (_, i) => lo + (hi - lo) * i / 50);
  return {
    metric,
    thresholds,
    fractions: Object.fromEntries(
      groups.map((g) => [g.name, performanceProfile(g.scores, thresholds)]),
    ),
  };
}

/**
 * Build the comparison of a set of trials (see the module description). Trials of
 * the same extractor are pooled whatever run they come from; a seed that occurs twice
 * for one extractor counts once (the first).
 *
 * @param input Trials, baseline, bootstrap settings.
 * @returns The comparison (valid against contracts/comparison.schema.json).
 */
export function buildComparison(input: ComparisonInput): Comparison {
  const settings = input.bootstrap ?? DEFAULT_BOOTSTRAP;
  const metrics = [...COMPARISON_METRICS];
  const warnings: string[] = [];
  const order: string[] = [];
  const groups = new Map<string, ComparisonTrial[]>();
  const budget = new Map<string, { trials: number; problems: Map<string, number> }>();
  for (const trial of input.trials) {
    const name = trial.record.config_name;
    if (!order.includes(name)) order.push(name);
    if (trial.record.status !== "success") continue;
    if (metrics.some((metric) => _score(trial.record, metric) === null)) {
      warnings.push(
        `${name} seed ${trial.seed}: no held-out scores (run before held-out evaluation ` +
          "existed, or interrupted); left out of the statistics",
      );
      continue;
    }
    const list = groups.get(name) ?? [];
    if (list.some((t) => t.seed === trial.seed)) {
      warnings.push(`${name} seed ${trial.seed} occurs more than once; the first is used`);
      continue;
    }
    list.push(trial);
    groups.set(name, list);
    const b = budget.get(name) ?? { trials: 0, problems: new Map<string, number>() };
    b.trials++;
    for (const problem of _budgetProblems(trial)) {
      b.problems.set(problem, (b.problems.get(problem) ?? 0) + 1);
    }
    budget.set(name, b);
  }
  let budgetTooSmall = false;
  for (const [name, b] of budget) {
    for (const [problem, count] of b.problems) {
      budgetTooSmall = true;
      warnings.push(
        `Budget too small: ${name}, ${count} of ${b.trials} trial${b.trials === 1 ? "" : "s"}: ` +
          _BUDGET_PROBLEMS[problem as keyof typeof _BUDGET_PROBLEMS],
      );
    }
  }
  if (budgetTooSmall) {
    warnings.push(
      "Convergence and sample-efficiency figures are not meaningful at this budget; train " +
        "longer (run.total_timesteps several rollouts past the evaluations that choose the best model)",
    );
  }

  const extractors: ExtractorComparison[] = [];
  for (const name of order) {
    const trials = [...(groups.get(name) ?? [])].sort((a, b) => a.seed - b.seed);
    if (trials.length === 0) continue;
    const statistics: Record<string, MetricStatistics> = {};
    for (const metric of metrics) {
      const scores = trials.map((t) => _score(t.record, metric)!);
      const mean = bootstrapEstimate(scores, sampleMean, {
        ...settings,
        seed: _seedFor(settings.seed, `${name}/${metric}/mean`),
      });
      const iqm = bootstrapEstimate(scores, interquartileMean, {
        ...settings,
        seed: _seedFor(settings.seed, `${name}/${metric}/iqm`),
      });
      statistics[metric] = {
        mean: mean.point,
        mean_ci: _ci(mean),
        iqm: iqm.point,
        iqm_ci: _ci(iqm),
      };
    }
    extractors.push({
      name,
      seeds: trials.map((t) => t.seed),
      per_seed: trials.map((t) => ({
        seed: t.seed,
        ...Object.fromEntries(metrics.map((metric) => [metric, _score(t.record, metric)!])),
      })),
      statistics,
      learning_curve: _aggregateCurve(
        trials.map((t) => t.history).filter((h) => h.length > 0),
        settings,
        name,
      ),
    });
  }
  for (const name of order) {
    if (!extractors.some((e) => e.name === name)) {
      warnings.push(`${name}: no successful trial with held-out scores; not compared`);
    }
  }

  const baseline = input.baseline !== null && extractors.some((e) => e.name === input.baseline)
    ? input.baseline
    : extractors[0]?.name ?? null;
  if (input.baseline !== null && baseline !== input.baseline && baseline !== null) {
    warnings.push(`Baseline ${input.baseline} has no held-out scores; ${baseline} is the baseline`);
  }
  const pairwise: PairwiseComparison[] = [];
  const base = extractors.find((e) => e.name === baseline);
  if (base !== undefined) {
    for (const candidate of extractors) {
      if (candidate === base) continue;
      for (const metric of metrics) {
        const x = candidate.per_seed.map((row) => row[metric]);
        const y = base.per_seed.map((row) => row[metric]);
        const e = bootstrapImprovement(x, y, {
          ...settings,
          seed: _seedFor(settings.seed, `${candidate.name}>${base.name}/${metric}`),
        });
        pairwise.push({
          candidate: candidate.name,
          baseline: base.name,
          metric,
          probability_of_improvement: e.point,
          ci: _ci(e),
          seeds: [x.length, y.length],
        });
      }
    }
  }
  const ranking = Object.fromEntries(metrics.map((metric) => [
    metric,
    [...extractors].sort((a, b) => b.statistics[metric].iqm - a.statistics[metric].iqm)
      .map((e) => e.name),
  ]));
  const profiles = extractors.length === 0 ? [] : metrics.map((metric) =>
    _profile(
      metric,
      extractors.map((e) => ({ name: e.name, scores: e.per_seed.map((row) => row[metric]) })),
    )
  );
  return {
    metric_names: metrics,
    baseline,
    extractors,
    pairwise,
    ranking,
    performance_profiles: profiles,
    verdict: pairwise.map(_verdict),
    warnings,
    budget_too_small: budgetTooSmall,
    bootstrap: { ...settings },
  };
}
