import assert from "node:assert/strict";
import {
  aggregateMetrics,
  analyzeComparison,
  convergenceTarget,
  firstTimestepReaching,
  mean,
  median,
} from "../../../lib/report/mod.ts";
import type { EvaluationPoint, ExtractorRunRecord } from "../../../lib/run/mod.ts";

const close = (actual: number | undefined, expected: number, label = "") =>
  assert.ok(Math.abs((actual ?? NaN) - expected) < 1e-12, `${label}: ${actual} != ${expected}`);

const history = (pairs: [number, number][]): EvaluationPoint[] =>
  pairs.map(([timestep, mean_reward]) => ({ timestep, mean_reward, std_reward: 0 }));

function success(name: string, extra: Partial<ExtractorRunRecord> = {}): ExtractorRunRecord {
  return {
    config_name: name,
    status: "success",
    start_time: "2026-11-29T12:00:00Z",
    worker_mode: "single-thread",
    duration_seconds: 10,
    training_steps: 4096,
    metrics: { total_parameters: 1 },
    artifacts: {},
    ...extra,
  };
}

Deno.test("convergenceTarget() is fraction x best for positive best", () => {
  close(convergenceTarget(10, 0.95), 9.5);
  close(convergenceTarget(2, 0.5), 1);
  assert.equal(convergenceTarget(3, 1), 3);
});

Deno.test("convergenceTarget() stays below a negative best", () => {
  // best -2, fraction 0.95: -2 - 0.05 * 2 = -2.1 (0.95 x -2 = -1.9 would exceed the best).
  close(convergenceTarget(-2, 0.95), -2.1);
  assert.equal(convergenceTarget(0, 0.95), 0);
  assert.throws(() => convergenceTarget(1, 0), RangeError);
  assert.throws(() => convergenceTarget(1, 1.01), RangeError);
});

Deno.test("firstTimestepReaching() takes evaluations in timestep order", () => {
  const h = history([[1024, 5], [512, 1], [1536, 9]]);
  assert.equal(firstTimestepReaching(h, 4), 1024);
  assert.equal(firstTimestepReaching(h, 1), 512);
  assert.equal(firstTimestepReaching(h, 10), null);
});

Deno.test("mean() and median() work out small samples", () => {
  assert.equal(mean([1, 2, 6]), 3);
  assert.equal(median([5, 1, 3]), 3);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(mean([]), null);
  assert.equal(median([]), null);
});

Deno.test("analyzeComparison() computes convergence and sample efficiency by hand", () => {
  // Baseline A: best -0.2, target -0.2 - 0.05 * 0.2 = -0.21, first reached at 1536.
  // Candidate B: best 0.4, target 0.38 (reached at 2048); reaches A's target -0.21 at 1024.
  // Ratio for B: 1536 / 1024 = 1.5; for A: 1536 / 1536 = 1.
  const records = [success("A"), success("B", { duration_seconds: 5.5 })];
  const histories = new Map([
    ["A", history([[512, -1.0], [1024, -0.5], [1536, -0.2], [2048, -0.21]])],
    ["B", history([[512, -0.8], [1024, -0.21], [1536, -0.1], [2048, 0.4]])],
  ]);
  const result = analyzeComparison({
    records,
    histories,
    baseline: "A",
    convergenceFraction: 0.95,
  });
  const [a, b] = result.records.map((r) => r.metrics ?? {});
  close(a.best_mean_reward, -0.2, "A best");
  assert.equal(a.convergence_timestep, 1536);
  assert.equal(a.convergence_reached, 1);
  assert.equal(a.sample_efficiency_timestep, 1536);
  assert.equal(a.sample_efficiency_ratio, 1);
  assert.equal(a.delta_best_reward_vs_baseline, 0);
  close(b.best_mean_reward, 0.4, "B best");
  assert.equal(b.convergence_timestep, 2048);
  assert.equal(b.sample_efficiency_timestep, 1024);
  assert.equal(b.sample_efficiency_ratio, 1.5);
  close(b.baseline_target_reward, -0.21, "target");
  close(b.delta_best_reward_vs_baseline, 0.6, "delta");
  assert.deepEqual(Object.keys(result.aggregate), [
    "completed_runs",
    "skipped_runs",
    "failed_runs",
    "total_wall_time",
    "best_mean_reward",
    "avg_convergence_timestep",
    "median_convergence_timestep",
    "avg_sample_efficiency_ratio",
    "median_sample_efficiency_ratio",
    "baseline_target_reward",
    "baseline_convergence_timestep",
  ]);
  assert.equal(result.aggregate.completed_runs, 2);
  assert.equal(result.aggregate.total_wall_time, 15.5);
  close(result.aggregate.best_mean_reward, 0.4);
  assert.equal(result.aggregate.avg_convergence_timestep, (1536 + 2048) / 2);
  assert.equal(result.aggregate.median_convergence_timestep, (1536 + 2048) / 2);
  // The baseline's own 1 is left out: B's 1.5 is the only candidate ratio.
  assert.equal(result.aggregate.avg_sample_efficiency_ratio, 1.5);
  assert.equal(result.aggregate.baseline_convergence_timestep, 1536);
  assert.deepEqual(result.notes, []);
});

Deno.test("a target never reached is censored at training_steps and flagged", () => {
  // C never reaches A's target 9.5 (best 10, fraction 0.95): censored at its 3000 steps.
  const records = [success("A"), success("C", { training_steps: 3000 })];
  const histories = new Map([
    ["A", history([[1000, 2], [2000, 10]])],
    ["C", history([[1000, 1], [2000, 3]])],
  ]);
  const result = analyzeComparison({
    records,
    histories,
    baseline: "A",
    convergenceFraction: 0.95,
  });
  const c = result.records[1].metrics ?? {};
  assert.equal(c.sample_efficiency_timestep, 3000);
  assert.equal(c.baseline_target_reached, 0);
  assert.equal(c.sample_efficiency_ratio, 2000 / 3000);
  assert.equal(c.convergence_timestep, 2000);
  assert.equal(c.convergence_reached, 1);
});

Deno.test("failed, skipped and history-less records are counted but not analysed", () => {
  const records: ExtractorRunRecord[] = [
    success("A"),
    success("nohistory"),
    { ...success("F"), status: "failed", reason: "boom", metrics: undefined, duration_seconds: 2 },
    {
      ...success("S"),
      status: "skipped",
      reason: "no GPU",
      metrics: undefined,
      duration_seconds: 0,
    },
  ];
  const histories = new Map([["A", history([[100, 1]])]]);
  const result = analyzeComparison({
    records,
    histories,
    baseline: null,
    convergenceFraction: 0.9,
  });
  assert.equal(result.baseline?.name, "A");
  assert.deepEqual(result.records[1].metrics, { total_parameters: 1 });
  assert.equal(result.records[2].metrics, undefined);
  assert.deepEqual(
    [result.aggregate.completed_runs, result.aggregate.failed_runs, result.aggregate.skipped_runs],
    [2, 1, 1],
  );
  assert.equal(result.aggregate.total_wall_time, 22);
  assert.deepEqual(result.notes, [
    "nohistory: no evaluation history; convergence metrics are omitted",
  ]);
});

Deno.test("without a usable baseline the sample-efficiency keys are omitted, not zero", () => {
  const records: ExtractorRunRecord[] = [
    { ...success("base"), status: "failed", reason: "crashed", metrics: undefined },
    success("B"),
  ];
  const histories = new Map([["B", history([[100, 1], [200, 2]])]]);
  const result = analyzeComparison({
    records,
    histories,
    baseline: "base",
    convergenceFraction: 0.95,
  });
  assert.equal(result.baseline, null);
  assert.equal(result.records[1].metrics?.sample_efficiency_ratio, undefined);
  assert.equal(result.records[1].metrics?.convergence_timestep, 200);
  assert.equal("avg_sample_efficiency_ratio" in result.aggregate, false);
  assert.equal("baseline_target_reward" in result.aggregate, false);
  assert.match(result.notes[0], /Baseline "base" has no successful evaluation history/);
});

Deno.test("aggregateMetrics() of only skips has counts and wall time only", () => {
  const skipped: ExtractorRunRecord = {
    config_name: "s",
    status: "skipped",
    start_time: "2026-11-29T12:00:00Z",
    worker_mode: "single-thread",
    reason: "no GPU",
  };
  assert.deepEqual(aggregateMetrics([skipped], null), {
    completed_runs: 0,
    skipped_runs: 1,
    failed_runs: 0,
    total_wall_time: 0,
  });
});
