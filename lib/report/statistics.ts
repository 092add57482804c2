/**
 * Statistics over trials (one score per seed) for comparing extractors with honest
 * uncertainty, after Agarwal et al., "Deep Reinforcement Learning at the Edge of the
 * Statistical Precipice", NeurIPS 2021 (the rliable library, github.com/google-research/rliable):
 * interquartile mean (IQM), stratified bootstrap percentile confidence intervals,
 * probability of improvement and performance profiles. A comparison here has one
 * task (the scenario), so the "stratified" bootstrap resamples the seeds of each
 * extractor, independently per extractor.
 *
 * Every bootstrap draws from a seeded generator (lib/rng), so the same inputs and
 * seed give the same intervals.
 *
 * @module
 */
import { mean } from "../internal/stats.ts";
import { SeededRng } from "../rng/mod.ts";

/**
 * Arithmetic mean (lib/internal's `mean`), refusing an empty list.
 * @param values At least one number.
 * @returns The mean.
 * @throws {RangeError} When `values` is empty.
 */
export function sampleMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("The mean of no values is undefined");
  return mean(values);
}

/**
 * Interquartile mean: the 25% trimmed mean, i.e. the mean of the values left after
 * dropping `floor(0.25 n)` of the smallest and as many of the largest (Agarwal et al.
 * 2021, sec. 4.2; rliable `metrics.aggregate_iqm` = `scipy.stats.trim_mean(x, 0.25)`,
 * whose cut is `int(0.25 * n)` per side). With fewer than 4 values nothing is cut.
 *
 * @param values At least one number.
 * @returns The IQM.
 * @throws {RangeError} When `values` is empty.
 */
export function interquartileMean(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError("The IQM of no values is undefined");
  const sorted = [...values].sort((a, b) => a - b);
  const cut = Math.floor(0.25 * sorted.length);
  return sampleMean(sorted.slice(cut, sorted.length - cut));
}

/**
 * The q-th percentile with linear interpolation between order statistics (numpy's
 * default `percentile(..., method="linear")`: position `(n - 1) q / 100`).
 *
 * @param values At least one number.
 * @param q Percentile in [0, 100].
 * @returns The percentile.
 * @throws {RangeError} When `values` is empty or q is outside [0, 100].
 */
export function percentile(values: readonly number[], q: number): number {
  if (values.length === 0) throw new RangeError("The percentile of no values is undefined");
  if (!(q >= 0 && q <= 100)) throw new RangeError(`Percentile must be in [0, 100], got ${q}`);
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * q / 100;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, sorted.length - 1);
  return sorted[lo] + (h - lo) * (sorted[hi] - sorted[lo]);
}

/**
 * Probability of improvement P(X > Y) of scores `x` over scores `y`: the Mann-Whitney
 * U statistic divided by n m, `(1 / (n m)) sum_i sum_j S(x_i, y_j)` with S = 1 when
 * x_i > y_j, 1/2 when equal, 0 otherwise (Agarwal et al. 2021, sec. 4.3 and
 * appendix A.4; rliable `metrics.probability_of_improvement` for one task).
 *
 * @param x Candidate's scores (one per seed), at least one.
 * @param y Baseline's scores, at least one.
 * @returns A probability in [0, 1]; 0.5 means neither is better.
 * @throws {RangeError} When either list is empty.
 */
export function probabilityOfImprovement(x: readonly number[], y: readonly number[]): number {
  if (x.length === 0 || y.length === 0) {
    throw new RangeError("Probability of improvement needs scores on both sides");
  }
  let s = 0;
  for (const a of x) for (const b of y) s += a > b ? 1 : a === b ? 0.5 : 0;
  return s / (x.length * y.length);
}

/**
 * Performance profile (score distribution): for each threshold tau, the fraction of
 * runs whose score exceeds tau (Agarwal et al. 2021, sec. 4.1; rliable
 * `plot_utils`/`metrics` `run_score_distribution`).
 *
 * @param scores Scores of the runs (at least one).
 * @param taus Thresholds.
 * @returns One fraction in [0, 1] per threshold.
 * @throws {RangeError} When `scores` is empty.
 */
export function performanceProfile(scores: readonly number[], taus: readonly number[]): number[] {
  if (scores.length === 0) throw new RangeError("A performance profile needs scores");
  return taus.map((tau) => scores.filter((s) => s > tau).length / scores.length);
}

/** Settings of the bootstrap. */
export interface BootstrapSettings {
  /** Bootstrap resamples. */
  samples: number;
  /** Confidence level of the intervals, in (0, 1), e.g. 0.95. */
  confidence: number;
  /** Seed of the resampling generator. */
  seed: number;
}

/** The bootstrap a comparison uses unless told otherwise (rliable's default: 2,000 reps, 95%). */
export const DEFAULT_BOOTSTRAP: Readonly<BootstrapSettings> = Object.freeze({
  samples: 2000,
  confidence: 0.95,
  seed: 0,
});

/** A point estimate with its percentile bootstrap confidence interval. */
export interface Estimate {
  /** The statistic on the data as it is. */
  point: number;
  /** Lower end of the interval. */
  lo: number;
  /** Upper end of the interval. */
  hi: number;
}

function _resample(values: readonly number[], rng: SeededRng, out: number[]): number[] {
  for (let i = 0; i < values.length; i++) out[i] = values[rng.int(values.length)];
  return out;
}

function _interval(stats: number[], confidence: number): [number, number] {
  const alpha = (1 - confidence) * 100;
  return [percentile(stats, alpha / 2), percentile(stats, 100 - alpha / 2)];
}

/**
 * A statistic of one sample with its percentile bootstrap interval: `samples`
 * resamples of the values with replacement (same size), the statistic of each, and
 * the `(1 - confidence) / 2` and `(1 + confidence) / 2` percentiles of those (Efron &
 * Tibshirani 1993, ch. 13; rliable `get_interval_estimates`, percentile method, one
 * task so the stratified bootstrap resamples the seeds).
 *
 * @param values One score per seed (at least one).
 * @param statistic E.g. {@linkcode sampleMean} or {@linkcode interquartileMean}.
 * @param settings Resamples, confidence, seed.
 * @returns Point estimate and interval (a single value gives a zero-width interval).
 * @throws {RangeError} When `values` is empty.
 */
export function bootstrapEstimate(
  values: readonly number[],
  statistic: (values: readonly number[]) => number,
  settings: BootstrapSettings,
): Estimate {
  const point = statistic(values);
  const rng = new SeededRng(settings.seed);
  const stats: number[] = new Array(settings.samples);
  const buffer: number[] = new Array(values.length);
  for (let b = 0; b < settings.samples; b++) stats[b] = statistic(_resample(values, rng, buffer));
  const [lo, hi] = _interval(stats, settings.confidence);
  return { point, lo, hi };
}

/**
 * Probability of improvement of `x` over `y` with its percentile bootstrap interval:
 * both samples are resampled independently in each of `samples` draws
 * (rliable's `StratifiedIndependentBootstrap`).
 *
 * @param x Candidate's scores.
 * @param y Baseline's scores.
 * @param settings Resamples, confidence, seed.
 * @returns Point estimate and interval.
 * @throws {RangeError} When either list is empty.
 */
export function bootstrapImprovement(
  x: readonly number[],
  y: readonly number[],
  settings: BootstrapSettings,
): Estimate {
  const point = probabilityOfImprovement(x, y);
  const rng = new SeededRng(settings.seed);
  const stats: number[] = new Array(settings.samples);
  const bx: number[] = new Array(x.length);
  const by: number[] = new Array(y.length);
  for (let b = 0; b < settings.samples; b++) {
    stats[b] = probabilityOfImprovement(_resample(x, rng, bx), _resample(y, rng, by));
  }
  const [lo, hi] = _interval(stats, settings.confidence);
  return { point, lo, hi };
}

/**
 * A rough estimate of how many seeds per extractor would make a probability of
 * improvement's interval exclude 1/2: interval half-widths shrink about as
 * 1 / sqrt(seeds), so `n (half-width / |p - 1/2|)^2`, rounded up. Null when p = 1/2
 * (no difference seen, so no number of seeds can be estimated).
 *
 * @param estimate The probability of improvement and its interval.
 * @param seeds Seeds per extractor now (the smaller side).
 * @returns Seeds needed (more than `seeds`), or null.
 */
export function seedsNeeded(estimate: Estimate, seeds: number): number | null {
  const gap = Math.abs(estimate.point - 0.5);
  if (gap === 0) return null;
  const halfWidth = (estimate.hi - estimate.lo) / 2;
  // Rounded up, ignoring floating-point dust (3 x (0.3 / 0.1)^2 is 27, not 28).
  return Math.max(seeds + 1, Math.ceil(seeds * (halfWidth / gap) ** 2 - 1e-9));
}
