/**
 * Trials end to end (test mode, the default scenario's 2 extractors x 3 seeds through
 * `--seeds 1,2,3`): records, held-out episodes, comparison.json against its schema and
 * recomputed by hand from per_seed, the Comparison section; a run killed with SIGKILL
 * during its second trial and resumed gives the same comparison.json; two runs with
 * disjoint seeds merged give the same comparison.json as one run with all the seeds.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { mergeRuns } from "../../../lib/report/mod.ts";
import { validateComparison, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { EXTRACTORS, finish, killAt, resume, runDirIn, spawnTrain } from "../resume/_harness.ts";

const SEEDS = [1, 2, 3];

/** Assert that trial directories hold the same models and held-out episodes, byte for byte. */
async function assertSameTrials(
  runDir: string,
  reference: string,
  seeds: readonly number[],
  files = ["final_model.onnx", "best_model.onnx", "held_out.json"],
): Promise<void> {
  for (const name of EXTRACTORS) {
    for (const seed of seeds) {
      for (const file of files) {
        const path = (dir: string) => nodePath.join(dir, "extractors", name, `seed_${seed}`, file);
        assert.deepEqual(
          await Deno.readFile(path(runDir)),
          await Deno.readFile(path(reference)),
          `${name} seed ${seed}: ${file} differs`,
        );
      }
    }
  }
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Train the default scenario in test mode with `--seeds` into a fresh root; its run directory. */
async function trainSeeds(root: string, seeds: readonly number[]): Promise<string> {
  const done = await finish(await spawnTrain(root, ["--seeds", seeds.join(",")]));
  assert.equal(done.code, 0, done.stderr);
  return (await runDirIn(root))!;
}

/** The 25% trimmed mean worked out independently: sort, cut floor(n / 4) per side, average. */
function trimmedMean(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const k = Math.floor(values.length / 4);
  const kept = sorted.slice(k, sorted.length - k);
  return kept.reduce((s, v) => s + v, 0) / kept.length;
}

Deno.test("a 2 extractor x 3 seed comparison: trials, held-out scores, comparison.json, verdict; kill -9 + resume and merging runs give the same comparison", async (t) => {
  const tmp = await Deno.makeTempDir({ prefix: "trials_" });
  try {
    const reference = await trainSeeds(nodePath.join(tmp, "reference"), SEEDS);
    const comparison = await readJson(nodePath.join(reference, "comparison.json"));

    await t.step("one record per trial, held-out episodes stored whole", async () => {
      const summary = await readJson(nodePath.join(reference, "summary.json"));
      assert.deepEqual(validateTrainingSummary(summary), []);
      const records = summary.extractor_results as {
        config_name: string;
        status: string;
        metrics: Record<string, number>;
        artifacts: Record<string, string>;
      }[];
      assert.equal(records.length, 6);
      assert.deepEqual(
        records.map((r) => [r.config_name, r.status, r.metrics.seed]).sort(),
        EXTRACTORS.flatMap((name) => SEEDS.map((seed) => [name, "success", seed])).sort(),
      );
      for (const record of records) {
        assert.equal(
          record.artifacts.extractor_dir,
          `extractors/${record.config_name}/seed_${record.metrics.seed}`,
        );
        const heldOut = await readJson(
          nodePath.join(reference, record.artifacts.extractor_dir, "held_out.json"),
        );
        assert.equal(heldOut.seed_start, 1_000_000_000);
        assert.deepEqual(
          heldOut.best.episodes.map((e: { seed: number }) => e.seed),
          [1_000_000_000, 1_000_000_001],
        );
        const episodes = heldOut[heldOut.reported].episodes as {
          reward: number;
          success: boolean;
        }[];
        const meanReturn = episodes.reduce((s, e) => s + e.reward, 0) / episodes.length;
        assert.ok(Math.abs(record.metrics.heldout_mean_return - meanReturn) < 1e-9);
        assert.equal(
          record.metrics.heldout_success_rate,
          episodes.filter((e) => e.success).length / episodes.length,
        );
      }
    });

    await t.step(
      "comparison.json: valid, IQM recomputed from per_seed, intervals hold their estimates",
      () => {
        assert.deepEqual(validateComparison(comparison), []);
        assert.deepEqual(comparison.extractors.map((e: { name: string }) => e.name), [
          ...EXTRACTORS,
        ]);
        for (const extractor of comparison.extractors) {
          assert.deepEqual(extractor.seeds, SEEDS);
          for (const metric of comparison.metric_names as string[]) {
            const scores = extractor.per_seed.map((row: Record<string, number>) => row[metric]);
            const s = extractor.statistics[metric];
            assert.ok(Math.abs(s.iqm - trimmedMean(scores)) < 1e-12, `${extractor.name} ${metric}`);
            assert.ok(s.iqm_ci[0] <= s.iqm && s.iqm <= s.iqm_ci[1]);
            assert.ok(s.mean_ci[0] <= s.mean && s.mean <= s.mean_ci[1]);
          }
        }
        assert.equal(comparison.pairwise.length, comparison.metric_names.length);
        for (const pair of comparison.pairwise) {
          assert.equal(pair.baseline, EXTRACTORS[0]);
          assert.ok(pair.ci[0] <= pair.probability_of_improvement);
          assert.ok(pair.probability_of_improvement <= pair.ci[1]);
        }
        // One sentence per pairwise comparison, then one per extractor that does not beat
        // the goal_seeking baseline controller (docs/evaluation.md).
        const navigation = comparison.verdict.filter((s: string) =>
          s.includes("does not beat the goal_seeking controller")
        );
        assert.equal(comparison.verdict.length, comparison.pairwise.length + navigation.length);
        assert.ok(navigation.length <= EXTRACTORS.length);
      },
    );

    await t.step("summary.md opens with the Comparison section and its verdict", async () => {
      const markdown = await Deno.readTextFile(nodePath.join(reference, "summary.md"));
      const headings = markdown.split("\n").filter((line) => line.startsWith("#"));
      assert.equal(headings[1], "## Comparison");
      const section = markdown.split("## Comparison")[1].split("\n## ")[0];
      for (const sentence of comparison.verdict) assert.ok(section.includes(sentence));
      assert.ok(section.includes("| 1 |"));
    });

    await t.step(
      "resume --seeds names the run's seeds; a finished run stays as it is",
      async () => {
        const wrong = await resume([reference, "--seeds", "9"]);
        assert.equal(wrong.code, 2);
        assert.match(wrong.stderr, /--seeds: 9 is no trial seed of this run \(seeds: 1, 2, 3\)/);
        const done = await resume([reference, "--seeds", "2"]);
        assert.equal(done.code, 0, done.stderr);
        assert.deepEqual(await readJson(nodePath.join(reference, "comparison.json")), comparison);
      },
    );

    await t.step(
      "killed with SIGKILL during the second trial, resumed: the same comparison.json",
      async () => {
        const root = nodePath.join(tmp, "killed");
        const child = await spawnTrain(root, ["--seeds", SEEDS.join(",")]);
        // Each trial writes checkpoints at 128 and 256 steps: the third is the second trial's first.
        const { killed } = await killAt(child, root, {
          event: "checkpoint_written",
          occurrence: 3,
        });
        assert.ok(killed, "the run ended before the second trial");
        const runDir = (await runDirIn(root))!;
        const resumed = await resume([runDir]);
        assert.equal(resumed.code, 0, resumed.stderr);
        assert.deepEqual(await readJson(nodePath.join(runDir, "comparison.json")), comparison);
        await assertSameTrials(runDir, reference, SEEDS);
      },
    );

    await t.step("merging runs with disjoint seeds equals one run with all of them", async () => {
      const first = await trainSeeds(nodePath.join(tmp, "first"), [1]);
      const second = await trainSeeds(nodePath.join(tmp, "second"), [2, 3]);
      const merged = await mergeRuns([first, second], nodePath.join(tmp, "merged"), {
        figures: false,
      });
      assert.deepEqual(JSON.parse(JSON.stringify(merged.comparison)), comparison);
      assert.deepEqual(await readJson(nodePath.join(tmp, "merged", "comparison.json")), comparison);
      // The ONNX files record their run's settings (run.seeds) in their metadata; the
      // held-out episodes must match exactly.
      await assertSameTrials(first, reference, [1], ["held_out.json"]);
      await assertSameTrials(second, reference, [2, 3], ["held_out.json"]);
    });
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
});
