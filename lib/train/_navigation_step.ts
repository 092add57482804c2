/**
 * The navigation step of a finished run, before its final summary: baseline
 * controllers on the held-out episodes and one rendered held-out episode per
 * trained extractor. A failure here is logged and leaves the summary without
 * them; it never fails the run.
 *
 * @module
 */
import * as nodePath from "node:path";
import { readInputText } from "../internal/input_file.ts";
import { getSuiteLogger } from "../log/logging.ts";
import type { RunContext } from "./_orchestrate.ts";
import { writeHeldOutEpisode, writeRunBaselines } from "./navigation.ts";

/**
 * Write baselines.json and each extractor's heldout_episode.svg.
 * @param context The open run.
 */
export async function writeRunNavigation(context: RunContext): Promise<void> {
  const logger = getSuiteLogger("train");
  const settings = context.prepared.scenario.settings;
  const runDir = context.run.path;
  try {
    const started = performance.now();
    const file = await writeRunBaselines(runDir, settings);
    if (file !== null) {
      logger.info("Baseline controllers evaluated in {seconds} s: {file}", {
        seconds: ((performance.now() - started) / 1000).toFixed(1),
        file: nodePath.relative(runDir, file),
      });
    }
  } catch (error) {
    logger.warn("Baseline controllers not evaluated: {message}", {
      message: (error as Error).message,
    });
  }
  const extractors = nodePath.join(runDir, "extractors");
  let entries: Deno.DirEntry[] = [];
  try {
    entries = [...Deno.readDirSync(extractors)].filter((e) => e.isDirectory);
  } catch {
    return;
  }
  for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
    // A single-seed extractor's directory, or each trial's seed_<k> directory in it.
    const dir = nodePath.join(extractors, entry.name);
    const trials = _trialDirs(dir);
    for (const trial of trials) {
      await _warnIfStill(trial, nodePath.relative(extractors, trial));
    }
    try {
      // One render per extractor: its first trial with a final model.
      for (const trial of trials) {
        if (await writeHeldOutEpisode(trial, settings) !== null) break;
      }
    } catch (error) {
      logger.warn("{extractor}: held-out episode not rendered: {message}", {
        extractor: entry.name,
        message: (error as Error).message,
      });
    }
  }
}

/** The directory itself, then its `seed_<k>` subdirectories in seed order. */
function _trialDirs(dir: string): string[] {
  const seeds: [number, string][] = [];
  try {
    for (const e of Deno.readDirSync(dir)) {
      const m = /^seed_(\d+)$/.exec(e.name);
      if (e.isDirectory && m !== null) seeds.push([Number(m[1]), nodePath.join(dir, e.name)]);
    }
  } catch {
    // unreadable: the directory alone
  }
  return [dir, ...seeds.sort((a, b) => a[0] - b[0]).map(([, d]) => d)];
}

/** Log the deterministic-evaluation pitfall recorded in an extractor's metrics.json. */
async function _warnIfStill(dir: string, name: string): Promise<void> {
  let metrics: Record<string, number>;
  try {
    metrics = JSON.parse(
      await readInputText(nodePath.join(dir, "metrics.json"), { kind: "json" }),
    );
  } catch {
    return;
  }
  if (metrics.deterministic_policy_still !== 1) return;
  getSuiteLogger("train").warn(
    metrics.sampled_policy_moves === 1
      ? "{extractor}: the deterministic policy (action means) never moved the robot in the last evaluation, while its sampled actions do; deterministic metrics understate it (evaluation.deterministic: false evaluates sampled actions)"
      : "{extractor}: the policy never moved the robot in the last evaluation, deterministic or sampled",
    { extractor: name },
  );
}
