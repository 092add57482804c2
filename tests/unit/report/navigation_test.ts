import assert from "node:assert/strict";
import { beats, navigationSection } from "../../../lib/report/navigation.ts";
import type { ExtractorRunRecord } from "../../../lib/run/models.ts";

function record(name: string, metrics: Record<string, number>): ExtractorRunRecord {
  return {
    config_name: name,
    status: "success",
    metrics,
    artifacts: { extractor_dir: `extractors/${name}` },
  } as unknown as ExtractorRunRecord;
}

const baselines = {
  map: "default",
  held_out_seeds: { start: 1_000_000_000, count: 5 },
  controllers: {
    zero: { metrics: { success_rate: 0, snqi: -0.8 } },
    goal_seeking: { metrics: { success_rate: 0.6, snqi: -0.2 } },
  },
};

Deno.test("an extractor that does not beat goal_seeking is named in the verdict", () => {
  const section = navigationSection(
    [
      record("weak", { success_rate: 0.4, snqi: 0.1, last_mean_reward: 1 }),
      record("strong", { success_rate: 0.8, snqi: 0.3, last_mean_reward: 2 }),
      record("tied", { success_rate: 0.6, snqi: -0.5, last_mean_reward: 2 }),
    ],
    baselines,
    { strong: "extractors/strong/heldout_episode.svg" },
  )!;
  assert.deepEqual(section.verdict, [
    "weak does not beat the goal_seeking controller (success 0.400 vs 0.600, SNQI 0.100 vs -0.200).",
    "tied does not beat the goal_seeking controller (success 0.600 vs 0.600, SNQI -0.500 vs -0.200).",
  ]);
  const text = section.lines.join("\n");
  assert.match(text, /^## Baseline Controllers$/m);
  assert.match(text, /^\| zero \| baseline controller \| 0 \|/m);
  assert.match(text, /^\| strong \| trained \(last evaluation\) \| 0\.800 \|/m);
  assert.match(
    text,
    /Held-out episode \(animated SVG\): \[strong\]\(extractors\/strong\/heldout_episode\.svg\)/,
  );
});

Deno.test("held-out metrics are preferred; the stillness pitfall is noted", () => {
  const section = navigationSection(
    [record("m", {
      success_rate: 0,
      heldout_success_rate: 0.9,
      heldout_snqi: 0.5,
      deterministic_policy_still: 1,
      sampled_policy_moves: 1,
    })],
    baselines,
    {},
  )!;
  assert.deepEqual(section.verdict, []);
  const text = section.lines.join("\n");
  assert.match(text, /^\| m \| trained \(held-out\) \| 0\.900 \|/m);
  assert.match(
    text,
    /m's deterministic policy \(action means\) never moved the robot.*sampled actions do/,
  );
});

Deno.test("beats(): success first, SNQI breaks ties; no section without data", () => {
  assert.ok(beats({ success_rate: 0.5, snqi: -1 }, { success_rate: 0.4, snqi: 1 }));
  assert.ok(!beats({ success_rate: 0.5, snqi: 0 }, { success_rate: 0.5, snqi: 0 }));
  assert.ok(beats({ success_rate: 0.5, snqi: 0.1 }, { success_rate: 0.5, snqi: 0 }));
  // No success on either side: a still robot's better SNQI (-0.809 vs -0.892) beats nothing.
  assert.ok(!beats({ success_rate: 0, snqi: -0.809 }, { success_rate: 0, snqi: -0.892 }));
  assert.equal(navigationSection([], null, {}), null);
});

Deno.test("trials of one extractor form one row (means over seeds) and one verdict", () => {
  const section = navigationSection(
    [
      record("m", {
        heldout_success_rate: 0.5,
        heldout_snqi: -0.75,
        deterministic_policy_still: 1,
      }),
      record("m", { heldout_success_rate: 0.7, heldout_snqi: 0.25, success_rate: 0.5 }),
    ].map((r) => ({ ...r, metrics: { success_rate: 0, ...r.metrics } })),
    baselines,
    {},
  )!;
  const text = section.lines.join("\n");
  // Means: success (0.5 + 0.7) / 2 = 0.6 ties goal_seeking; SNQI (-0.75 + 0.25) / 2 = -0.25 < -0.2.
  assert.match(text, /^\| m \| trained \(held-out, mean of 2 seeds\) \| 0\.600 \|/m);
  assert.deepEqual(section.verdict, [
    "m does not beat the goal_seeking controller (success 0.600 vs 0.600, SNQI -0.250 vs -0.200).",
  ]);
  assert.match(text, /never moved the robot in its last evaluation \(1 of 2 seeds\), nor did/);
});

Deno.test("a trained row names its held-out episode count beside the controllers' count", () => {
  const text = (counts: number[]) =>
    navigationSection(
      counts.map((n) =>
        record("m", { success_rate: 0, heldout_success_rate: 0, heldout_episodes: n })
      ),
      baselines,
      {},
    )!.lines.join("\n");
  // The controllers ran 5 episodes (baselines.held_out_seeds.count); the trials 2 each.
  assert.match(text([2, 2]), /^\| m \| trained \(held-out, 2 episodes, mean of 2 seeds\) \|/m);
  assert.match(text([2, 2]), /^Baseline controllers ran 5 held-out episodes/m);
  assert.match(text([2, 50]), /^\| m \| trained \(held-out, 2-50 episodes, mean of 2 seeds\) \|/m);
  assert.match(text([50]), /^\| m \| trained \(held-out, 50 episodes\) \|/m);
});
