import assert from "node:assert/strict";
import {
  bootstrapEstimate,
  bootstrapImprovement,
  interquartileMean,
  percentile,
  performanceProfile,
  probabilityOfImprovement,
  sampleMean,
  seedsNeeded,
} from "../../../lib/report/statistics.ts";

const close = (actual: number, expected: number, tol = 1e-12, label = "") =>
  assert.ok(Math.abs(actual - expected) <= tol, `${label}: ${actual} != ${expected}`);

Deno.test("IQM is the 25% trimmed mean, int(0.25 n) cut per side (scipy trim_mean), worked by hand", () => {
  close(interquartileMean([1, 2, 3]), 2); // n = 3: nothing cut
  close(interquartileMean([4, 1, 3, 2]), 2.5); // cut 1 per side: mean(2, 3)
  close(interquartileMean([1, 2, 3, 4, 50]), 3); // cut 1: mean(2, 3, 4)
  close(interquartileMean([5, 1, 9, 3, 7, 100, 2, 8]), 5.75); // cut 2: mean(3, 5, 7, 8)
  assert.throws(() => interquartileMean([]), RangeError);
});

Deno.test("percentile interpolates linearly between order statistics (numpy's default)", () => {
  close(percentile([4, 1, 3, 2], 2.5), 1.075); // position 3 x 0.025 = 0.075
  close(percentile([1, 2, 3, 4], 97.5), 3.925);
  close(percentile([7], 50), 7);
  assert.throws(() => percentile([1], 101), RangeError);
});

Deno.test("probability of improvement is Mann-Whitney U / (n m) with ties counted 1/2", () => {
  close(probabilityOfImprovement([1, 2, 3], [2, 2]), 3 / 6); // 0 + 0 + .5 + .5 + 1 + 1
  close(probabilityOfImprovement([3, 4], [1, 2, 3]), 5.5 / 6);
  close(probabilityOfImprovement([1], [2]), 0);
  assert.throws(() => probabilityOfImprovement([], [1]), RangeError);
});

Deno.test("performance profile counts runs strictly above each threshold", () => {
  assert.deepEqual(performanceProfile([0.2, 0.5, 0.8], [0, 0.5, 0.9]), [1, 1 / 3, 0]);
});

/** Every resample of a tiny sample, equally likely: the exact bootstrap distribution. */
function exhaustive(values: readonly number[]): number[][] {
  let out: number[][] = [[]];
  for (let i = 0; i < values.length; i++) {
    out = out.flatMap((prefix) => values.map((v) => [...prefix, v]));
  }
  return out;
}

/** Quantile function of a finite equally weighted distribution: inf{v : CDF(v) >= p}. */
function quantile(stats: number[], p: number): number {
  const sorted = [...stats].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil(p * sorted.length) - 1)];
}

Deno.test("bootstrap intervals agree with exhaustive resampling of a tiny sample", () => {
  const x = [0, 1, 2, 10];
  const settings = { samples: 20000, confidence: 0.95, seed: 7 };
  for (const statistic of [sampleMean, interquartileMean]) {
    const exact = exhaustive(x).map(statistic); // 256 resamples
    const e = bootstrapEstimate(x, statistic, settings);
    close(e.point, statistic(x));
    // The bootstrap's 2.5% and 97.5% points lie between the exact quantiles at 1.5%/3.5%
    // and 96.5%/98.5% (sampling error of 20,000 draws is far below 1%).
    assert.ok(e.lo >= quantile(exact, 0.015) && e.lo <= quantile(exact, 0.035), `lo ${e.lo}`);
    assert.ok(e.hi >= quantile(exact, 0.965) && e.hi <= quantile(exact, 0.985), `hi ${e.hi}`);
    assert.ok(e.lo <= e.point && e.point <= e.hi);
  }
});

Deno.test("the probability-of-improvement interval agrees with exhaustive independent resampling", () => {
  const x = [1, 4], y = [0, 2, 5];
  const exact = exhaustive(x).flatMap((rx) =>
    exhaustive(y).map((ry) => probabilityOfImprovement(rx, ry))
  ); // 4 x 27 resample pairs
  const e = bootstrapImprovement(x, y, { samples: 20000, confidence: 0.9, seed: 3 });
  close(e.point, probabilityOfImprovement(x, y));
  assert.ok(e.lo >= quantile(exact, 0.04) && e.lo <= quantile(exact, 0.06), `lo ${e.lo}`);
  assert.ok(e.hi >= quantile(exact, 0.94) && e.hi <= quantile(exact, 0.96), `hi ${e.hi}`);
});

Deno.test("the bootstrap is seeded: the same seed gives the same interval, another seed another", () => {
  const x = [0.1, 0.5, 0.2, 0.9, 0.4];
  const a = bootstrapEstimate(x, interquartileMean, { samples: 500, confidence: 0.95, seed: 1 });
  const b = bootstrapEstimate(x, interquartileMean, { samples: 500, confidence: 0.95, seed: 1 });
  assert.deepEqual(a, b);
  const others = [2, 3, 4, 5].map((seed) =>
    bootstrapEstimate(x, sampleMean, { samples: 50, confidence: 0.95, seed })
  );
  assert.ok(new Set(others.map((o) => `${o.lo},${o.hi}`)).size > 1);
});

Deno.test("seeds needed scales the interval half-width to the gap from 1/2 (1/sqrt(n) rule)", () => {
  assert.equal(seedsNeeded({ point: 0.6, lo: 0.3, hi: 0.9 }, 3), 27); // 3 x (0.3 / 0.1)^2
  assert.equal(seedsNeeded({ point: 0.9, lo: 0.45, hi: 1 }, 5), 6); // at least one more
  assert.equal(seedsNeeded({ point: 0.5, lo: 0.2, hi: 0.8 }, 5), null);
});
