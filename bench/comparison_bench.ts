/**
 * The whole comparison as users run it: `deno task train` on a scenario (default:
 * the default config, 2 extractors x 4096 steps with evaluations), repeated, each
 * run a separate process measured by `/usr/bin/time` (wall time and peak resident
 * memory of the training process), plus each extractor's throughput (env steps per
 * second including updates, `fps` in its metrics.json) and wall time from the run's
 * summary.json. Prints the median over the repeats. `--seeds N` trains N seeds per
 * extractor (`--set run.num_seeds=N`, overriding the scenario's seeds). `eval_seconds`
 * is the time spent evaluating: every trial's `eval_time_seconds` (periodic, held-out
 * and stillness evaluations) plus the baseline controllers' (baselines.json), summed
 * over trials (CPU-side seconds when trials run at once, not wall time).
 *
 * Usage: deno task bench:comparison [--config FILE] [--repeats N] [--seeds N] [--json]
 * (`--json` prints one row per run: seeds, extractors, steps, wall_seconds,
 * peak_rss_mb, eval_seconds, then the medians).
 *
 * @module
 */
import * as nodePath from "node:path";
import { parseArgs } from "node:util";

interface RunFigures {
  wall_seconds: number;
  peak_rss_mb: number;
  /** Trial seeds per extractor. */
  seeds: number;
  /** Extractors trained. */
  extractors_trained: number;
  /** Environment steps trained per trial (the largest). */
  steps: number;
  /** Evaluation seconds: trials' eval_time_seconds plus the baseline controllers'. */
  eval_seconds: number;
  /** Baseline controllers' seconds alone. */
  baseline_seconds: number;
  extractors: Record<string, { fps: number; wall_time_seconds: number; status: string }>;
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

async function once(config: string, root: string, seeds: number | null): Promise<RunFigures> {
  const repo = nodePath.resolve(new URL("..", import.meta.url).pathname);
  const output = await new Deno.Command("/usr/bin/time", {
    args: [
      "-f",
      "BENCH %e %M",
      Deno.execPath(),
      "task",
      "--quiet",
      "train",
      "--quiet",
      "--config",
      config,
      "--output-root",
      root,
      ...(seeds === null ? [] : ["--set", `run.num_seeds=${seeds}`]),
    ],
    cwd: repo,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(output.stderr);
  const match = stderr.match(/BENCH ([\d.]+) (\d+)/);
  if (!output.success || match === null) {
    throw new Error(`deno task train failed (exit ${output.code}):\n${stderr}`);
  }
  const [runDir] = [...Deno.readDirSync(root)].map((entry) => nodePath.join(root, entry.name));
  const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
  const extractors: RunFigures["extractors"] = {};
  const names = summary.extractor_results.map((r: { config_name: string }) => r.config_name);
  const multiSeed = new Set(names).size < names.length;
  for (const record of summary.extractor_results) {
    // Trials of a multi-seed run share their extractor's name.
    const seed = record.metrics?.seed;
    const key = extractors[record.config_name] === undefined && !multiSeed
      ? record.config_name
      : `${record.config_name} (seed ${seed})`;
    extractors[key] = {
      status: record.status,
      fps: record.metrics?.fps ?? NaN,
      wall_time_seconds: record.metrics?.wall_time_seconds ?? NaN,
    };
  }
  const records = summary.extractor_results as {
    config_name: string;
    training_steps?: number;
    metrics?: Record<string, number>;
  }[];
  let baselineSeconds = 0;
  try {
    const baselines = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "baselines.json")));
    baselineSeconds = baselines.eval_time_seconds ?? NaN;
  } catch {
    // No baseline controllers in this run.
  }
  const trialEval = records.reduce((s, r) => s + (r.metrics?.eval_time_seconds ?? 0), 0);
  await Deno.remove(runDir, { recursive: true });
  return {
    wall_seconds: Number(match[1]),
    peak_rss_mb: Number(match[2]) / 1024,
    seeds: records.length / new Set(names).size,
    extractors_trained: new Set(names).size,
    steps: Math.max(0, ...records.map((r) => r.training_steps ?? 0)),
    eval_seconds: trialEval + baselineSeconds,
    baseline_seconds: baselineSeconds,
    extractors,
  };
}

if (import.meta.main) {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      config: { type: "string", default: "configs/scenarios/multi_extractor_default.yaml" },
      repeats: { type: "string", default: "3" },
      seeds: { type: "string" },
      json: { type: "boolean", default: false },
    },
    strict: true,
  });
  const repeats = Number(values.repeats);
  const seeds = values.seeds === undefined ? null : Number(values.seeds);
  if (seeds !== null && !(Number.isInteger(seeds) && seeds >= 1)) {
    console.error(`--seeds: expected an integer >= 1, got ${values.seeds}`);
    Deno.exit(2);
  }
  const root = await Deno.makeTempDir({ prefix: "bench-comparison-" });
  const runs: RunFigures[] = [];
  try {
    for (let i = 0; i < repeats; i++) {
      runs.push(await once(values.config as string, root, seeds));
      if (!values.json) {
        const r = runs[i];
        console.log(
          `run ${i + 1}: ${r.wall_seconds.toFixed(1)} s, peak ${r.peak_rss_mb.toFixed(0)} MB, ` +
            `evaluation ${r.eval_seconds.toFixed(1)} s (baselines ${
              r.baseline_seconds.toFixed(1)
            } s), ` +
            Object.entries(r.extractors).map(([name, e]) =>
              `${name} ${e.fps.toFixed(0)} steps/s (${e.wall_time_seconds.toFixed(1)} s)`
            ).join(", "),
        );
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
  const names = Object.keys(runs[0].extractors);
  const result = {
    config: values.config,
    repeats,
    rows: runs.map((r) => ({
      seeds: r.seeds,
      extractors: r.extractors_trained,
      steps: r.steps,
      wall_seconds: r.wall_seconds,
      peak_rss_mb: Math.round(r.peak_rss_mb),
      eval_seconds: Number(r.eval_seconds.toFixed(2)),
    })),
    wall_seconds: runs.map((r) => r.wall_seconds),
    peak_rss_mb: runs.map((r) => Math.round(r.peak_rss_mb)),
    median_wall_seconds: median(runs.map((r) => r.wall_seconds)),
    median_peak_rss_mb: Math.round(median(runs.map((r) => r.peak_rss_mb))),
    median_eval_seconds: median(runs.map((r) => r.eval_seconds)),
    extractors: Object.fromEntries(names.map((name) => [name, {
      median_fps: Math.round(median(runs.map((r) => r.extractors[name].fps))),
      median_wall_time_seconds: median(runs.map((r) => r.extractors[name].wall_time_seconds)),
    }])),
  };
  if (values.json) {
    console.log(JSON.stringify(result, null, 2));
  } else {
    console.log(
      `median of ${repeats}: ${result.median_wall_seconds.toFixed(1)} s, ` +
        `peak ${result.median_peak_rss_mb} MB, ` +
        names.map((n) => `${n} ${result.extractors[n].median_fps} steps/s`).join(", "),
    );
  }
}
