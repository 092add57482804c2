/**
 * What the statistical comparison adds to a summary: the bootstrap statistics
 * (buildComparison: IQM, mean, probability of improvement, aggregated curves,
 * performance profiles; 2,000 resamples) and its figures (aggregated learning curves,
 * performance profiles), on a 10-trial run (2 extractors x 5 seeds, trained in test
 * mode unless a run directory is given). Prints the median of the repeats, ms.
 *
 * Usage: deno task bench:trials [--run DIR] [--repeats N]
 *
 * @module
 */
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { buildComparison, readRunDirectory, writeComparisonFigures } from "../lib/report/mod.ts";
import { trialKey } from "../lib/run/mod.ts";

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function tenTrialRun(root: string): Promise<string> {
  const repo = nodePath.resolve(new URL("..", import.meta.url).pathname);
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "train", "--quiet", "--seeds", "1,2,3,4,5", "--output-root", root],
    cwd: repo,
    env: { NO_COLOR: "1", MULTI_EXTRACTOR_TEST_MODE: "1" },
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  return nodePath.join(root, [...Deno.readDirSync(root)][0].name);
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: { run: { type: "string" }, repeats: { type: "string", default: "5" } },
    strict: true,
  });
  const tmp = await Deno.makeTempDir({ prefix: "bench-trials-" });
  try {
    const runDir = values.run ?? await tenTrialRun(tmp);
    const run = await readRunDirectory(runDir);
    const labels = run.trials.map(trialKey);
    const trials = run.records.map((record, i) => ({
      record,
      seed: record.metrics?.seed ?? run.seed,
      history: run.histories.get(labels[i]) ?? [],
      rolloutSteps: run.rolloutSteps,
      totalTimesteps: run.totalTimesteps,
    }));
    const records = run.records.map((r, i) => ({ ...r, config_name: labels[i] }));
    const extractorOf = new Map(labels.map((label, i) => [label, run.trials[i].extractor]));
    const stats: number[] = [], withFigures: number[] = [], without: number[] = [];
    for (let i = 0; i < Number(values.repeats); i++) {
      let t = performance.now();
      const comparison = buildComparison({ trials, baseline: run.baseline });
      stats.push(performance.now() - t);
      const out = nodePath.join(tmp, `figures-${i}`);
      t = performance.now();
      await writeComparisonFigures(out, { records, histories: run.histories, extractorOf });
      without.push(performance.now() - t);
      t = performance.now();
      await writeComparisonFigures(out, {
        records,
        histories: run.histories,
        extractorOf,
        comparison,
      });
      withFigures.push(performance.now() - t);
    }
    const figures = median(withFigures) - median(without);
    console.log(`trials: ${run.records.length}`);
    console.log(`bootstrap statistics (buildComparison): ${median(stats).toFixed(0)} ms`);
    console.log(`figures without comparison: ${median(without).toFixed(0)} ms`);
    console.log(`figures with comparison: ${median(withFigures).toFixed(0)} ms`);
    console.log(`added by the comparison: ${(median(stats) + figures).toFixed(0)} ms`);
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
