import assert from "node:assert/strict";
import { buildComparison } from "../../../lib/report/comparison.ts";
import type { ComparisonTrial } from "../../../lib/report/comparison.ts";
import { validateComparison } from "../../../lib/run/mod.ts";

function trial(
  name: string,
  seed: number,
  success: number,
  meanReturn: number,
  bestAt = 10_000,
): ComparisonTrial {
  return {
    record: {
      config_name: name,
      status: "success",
      start_time: "2026-12-01T00:00:00Z",
      worker_mode: "single-thread",
      metrics: { seed, heldout_success_rate: success, heldout_mean_return: meanReturn },
    },
    seed,
    history: [
      { timestep: 1000, mean_reward: 0, std_reward: 0 },
      { timestep: bestAt, mean_reward: 1, std_reward: 0 },
    ],
    rolloutSteps: 2048,
    totalTimesteps: 20_480,
  };
}

const samples = { samples: 400, confidence: 0.95, seed: 0 };

Deno.test("a candidate better on every seed beats the baseline: P(improvement) 1 [1, 1]", () => {
  const trials = [
    ...[1, 2, 3, 4].map((s) => trial("base", s, 0.1 * s, s)),
    ...[1, 2, 3, 4].map((s) => trial("cand", s, 0.5 + 0.1 * s, 10 + s)),
  ];
  const c = buildComparison({ trials, baseline: "base", bootstrap: samples });
  assert.deepEqual(validateComparison(c), []);
  assert.deepEqual(c.ranking.success_rate, ["cand", "base"]);
  const pair = c.pairwise.find((p) => p.metric === "success_rate")!;
  assert.equal(pair.probability_of_improvement, 1);
  assert.deepEqual(pair.ci, [1, 1]);
  assert.equal(
    c.verdict[0],
    "cand beats base on held-out success rate: P(improvement) 1.00 [1.00, 1.00], 4 seeds.",
  );
  // IQM of 0.1, 0.2, 0.3, 0.4 by hand: mean of 0.2 and 0.3.
  assert.ok(Math.abs(c.extractors[0].statistics.success_rate.iqm - 0.25) < 1e-12);
  assert.deepEqual(c.warnings, []);
  assert.equal(c.budget_too_small, false);
});

Deno.test("overlapping scores are not distinguishable, with a seed estimate; one seed gets no interval", () => {
  const trials = [
    ...[1, 2, 3].map((s) => trial("base", s, [0.2, 0.5, 0.8][s - 1], s)),
    ...[1, 2, 3].map((s) => trial("cand", s, [0.3, 0.4, 0.9][s - 1], s)),
  ];
  const c = buildComparison({ trials, baseline: "base", bootstrap: samples });
  assert.match(c.verdict[0], /^cand is not distinguishable from base on held-out success rate/);
  assert.match(c.verdict[0], /about \d+ seeds per extractor would be needed/);
  const single = buildComparison({
    trials: [trial("base", 1, 0, 0), trial("cand", 1, 1, 1)],
    baseline: null,
    bootstrap: samples,
  });
  assert.match(single.verdict[0], /from a single seed/);
});

Deno.test("a best model chosen before the first update, or after one, is a budget warning", () => {
  const c = buildComparison({
    trials: [trial("base", 1, 0, 0, 2048), trial("base", 2, 0, 0, 4096), trial("base", 3, 0, 0)],
    baseline: null,
    bootstrap: samples,
  });
  // 2048 steps: floor(2047 / 2048) = 0 updates; 4096: 1 update.
  assert.ok(c.budget_too_small);
  assert.ok(
    c.warnings.some((w) => w.includes("base, 1 of 3 trials: the best model was chosen before")),
  );
  assert.ok(c.warnings.some((w) => w.includes("base, 1 of 3 trials: fewer than 2 PPO updates")));
});

Deno.test("trials without held-out scores are left out with a warning", () => {
  const old = trial("base", 1, 0, 0);
  old.record.metrics = { seed: 1 };
  const c = buildComparison({ trials: [old], baseline: null, bootstrap: samples });
  assert.deepEqual(c.extractors, []);
  assert.equal(c.baseline, null);
  assert.ok(c.warnings.some((w) => w.includes("no held-out scores")));
  assert.deepEqual(validateComparison(c), []);
});

Deno.test("summary.md's Comparison table: tied IQMs share a rank; one seed prints no interval", async () => {
  const { renderSummaryMarkdown } = await import("../../../lib/report/markdown.ts");
  const table = (c: ReturnType<typeof buildComparison>) =>
    renderSummaryMarkdown({
      run_id: "r",
      created_at: "2026-12-01T00:00:00Z",
      output_root: "/r",
      hardware_overview: [],
      extractor_results: [],
      aggregate_metrics: {},
    }, { comparison: c }).split("\n").filter((line) => /^\| \d+ \|/.test(line));
  // Three extractors, two seeds each; success rates 0.5 (a), 0.5 (b), 0.25 (c).
  const tied = buildComparison({
    trials: [
      ...[1, 2].map((s) => trial("a", s, 0.5, 1)),
      ...[1, 2].map((s) => trial("b", s, 0.5, 1)),
      ...[1, 2].map((s) => trial("c", s, 0.25, 1)),
    ],
    baseline: "a",
    bootstrap: samples,
  });
  assert.deepEqual(table(tied).map((line) => line.split(" | ").slice(0, 2)), [
    ["| 1", "a"],
    ["| 1", "b"],
    ["| 3", "c"],
  ]);
  assert.match(table(tied)[0], /\| 0\.500 \[0\.500, 0\.500\] \|/);
  const single = buildComparison({
    trials: [trial("a", 1, 0.5, 1), trial("b", 1, 1, 2)],
    baseline: "a",
    bootstrap: samples,
  });
  const rows = table(single);
  assert.equal(rows.length, 2);
  assert.match(rows[0], /^\| 1 \| b \| 1 \| 1 \(1 seed: no interval\) \|/);
  assert.doesNotMatch(rows.join("\n"), /\[/);
});
