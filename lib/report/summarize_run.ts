/**
 * Summarise a run: rebuild its summary files (summary.json, summary.md,
 * complete_results.json, comparison.json, figures) from what the run left on disk, and
 * merge several runs, e.g. from different hosts, into one comparison.
 *
 * @module
 */
import * as nodePath from "node:path";
import { closestName } from "../config/presets.ts";
import { assertNoSymlinksBelow, guardDirectory } from "../internal/safe_path.ts";
import type { EvaluationPoint } from "../run/artifacts.ts";
import { removeStaleTempFiles } from "../internal/atomic_write.ts";
import { stableJson } from "../internal/stable_json.ts";
import { SUMMARY_LOCK_FILE_NAME, withFileLock } from "../run/locks.ts";
import { MANIFEST_FILE_NAME, ManifestWriter } from "../run/manifest.ts";
import type { ExtractorRunRecord, TrainingRunSummary } from "../run/models.ts";
import { trialKey } from "../run/trial.ts";
import { aggregateMetrics, analyzeComparison } from "./analysis.ts";
import { buildComparison, type Comparison } from "./comparison.ts";
import {
  summaryFigures,
  withFigureArtifacts,
  writeComparisonFigures,
  type WriteFiguresOptions,
} from "./figures.ts";
import type { SummaryFigures } from "./markdown.ts";
import { buildTrainingSummary, type SummaryFiles, writeSummaryFiles } from "./summary.ts";
import { heldOutEpisodeLinks, navigationSection, readBaselines } from "./navigation.ts";

import {
  _distinct,
  _exists,
  readRunDirectory,
  type RunContents,
  RunDirectoryError,
} from "./run_directory.ts";

/** Result of {@linkcode summarizeRun} and {@linkcode mergeRuns}. */
export interface SummarizeResult {
  /** The summary written. */
  summary: TrainingRunSummary;
  /** The statistical comparison written to comparison.json. */
  comparison: Comparison;
  /** Paths of the written files. */
  files: SummaryFiles;
  /** Figures linked from summary.md (paths relative to its directory) and their notes. */
  figures: SummaryFigures;
}

/** How summaries draw their figures: options, or false for none. */
export type SummaryFigureOptions = WriteFiguresOptions | false;

/**
 * Write the figures into `outDir/figures/` and put each extractor's own figure into its
 * record's artifacts. A rendering failure never stops the summary: it becomes a note.
 */
async function _figures(
  outDir: string,
  outputRoot: string,
  trials: _AnalysedTrials,
  histories: ReadonlyMap<string, readonly EvaluationPoint[]>,
  comparison: Comparison,
  options: SummaryFigureOptions | undefined,
): Promise<{ records: ExtractorRunRecord[]; figures: SummaryFigures }> {
  const named = (records: readonly ExtractorRunRecord[]) =>
    records.map((record, i) => ({ ...record, config_name: trials.extractors[i] }));
  if (options === false) {
    return { records: named(trials.labelled), figures: { links: [], notes: [] } };
  }
  try {
    const result = await writeComparisonFigures(outDir, {
      records: trials.labelled,
      histories,
      extractorOf: new Map(trials.labelled.map((r, i) => [r.config_name, trials.extractors[i]])),
      comparison,
    }, options ?? {});
    return {
      records: named(withFigureArtifacts(trials.labelled, result, outputRoot)),
      figures: summaryFigures(result, outDir),
    };
  } catch (error) {
    return {
      records: named(trials.labelled),
      figures: { links: [], notes: [`Figures not written: ${(error as Error).message}`] },
    };
  }
}

/** Records analysed per trial: named by trial label for the analysis and figures. */
interface _AnalysedTrials {
  /** Record copies named by label, with the analysis metrics. */
  labelled: ExtractorRunRecord[];
  /** The extractor of each record. */
  extractors: string[];
  /** Aggregate metrics. */
  aggregate: Record<string, number>;
  /** Notes of the analysis. */
  notes: string[];
}

/**
 * Convergence and sample-efficiency analysis of trials. Records are named by their
 * label (histories are keyed by it); trials with a seed are analysed seed by seed,
 * each against the baseline extractor's trial of the same seed, and the aggregates
 * are taken over all of them (without the baseline's own figures, which differ by seed).
 */
function _analyzeTrials(
  records: readonly ExtractorRunRecord[],
  labels: readonly string[],
  seeds: readonly (number | null)[],
  histories: ReadonlyMap<string, readonly EvaluationPoint[]>,
  baseline: string | null,
  convergenceFraction: number,
): _AnalysedTrials {
  const extractors = records.map((record) => record.config_name);
  const labelled = records.map((record, i) => ({ ...record, config_name: labels[i] }));
  if (seeds.every((seed) => seed === null)) {
    const analysis = analyzeComparison({
      records: labelled,
      histories,
      baseline,
      convergenceFraction,
    });
    return {
      labelled: analysis.records,
      extractors,
      aggregate: analysis.aggregate,
      notes: analysis.notes,
    };
  }
  const out: ExtractorRunRecord[] = [...labelled];
  const notes: string[] = [];
  for (const seed of [...new Set(seeds)]) {
    const indices = seeds.flatMap((s, i) => s === seed ? [i] : []);
    const baselineIndex = indices.find((i) => extractors[i] === baseline);
    const analysis = analyzeComparison({
      records: indices.map((i) => labelled[i]),
      histories,
      baseline: baselineIndex === undefined ? null : labels[baselineIndex],
      convergenceFraction,
    });
    indices.forEach((index, k) => out[index] = analysis.records[k]);
    for (const note of analysis.notes) if (!notes.includes(note)) notes.push(note);
  }
  // The baseline's own ratio of 1 stays out of the sample-efficiency averages (as in a
  // single-seed run): drop it from the copies the aggregates are taken over.
  const candidates = out.map((record, i) => {
    if (extractors[i] !== baseline || record.metrics === undefined) return record;
    const { sample_efficiency_ratio: _own, ...metrics } = record.metrics;
    return { ...record, metrics };
  });
  return { labelled: out, extractors, aggregate: aggregateMetrics(candidates, null), notes };
}

async function _stat(path: string): Promise<Deno.FileInfo | null> {
  try {
    return await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}

/**
 * Refuse an output directory whose summary files would overwrite another run's or land
 * inside a run: a file, a run directory other than `own`, or a directory inside one of
 * `runs`.
 */
async function _checkOutputDir(
  out: string,
  runs: readonly string[],
  own: string | null,
): Promise<void> {
  const info = await _stat(out);
  if (info !== null && !info.isDirectory) {
    throw new RangeError(`The output ${out} is not a directory`);
  }
  if (out === own) return;
  if (info !== null && await _stat(nodePath.join(out, MANIFEST_FILE_NAME)) !== null) {
    throw new RangeError(
      `The output ${out} is a run directory; its summary files would be overwritten ` +
        "(choose a new or empty directory)",
    );
  }
  for (const run of runs) {
    const relative = nodePath.relative(run, out);
    const outside = relative.split(nodePath.sep)[0] === ".." || nodePath.isAbsolute(relative);
    if (relative !== "" && !outside) {
      throw new RangeError(`The output ${out} lies inside the run directory ${run}`);
    }
  }
}

/** Refuse a requested baseline that names none of the records. */
function _checkBaseline(
  baseline: string | null | undefined,
  records: readonly ExtractorRunRecord[],
): void {
  if (baseline === undefined || baseline === null) return;
  const names = records.map((record) => record.config_name);
  if (names.includes(baseline)) return;
  const close = closestName(baseline, names);
  throw new RangeError(
    `Baseline "${baseline}" names no extractor of the comparison ` +
      (close !== null ? `(did you mean "${close}"?)` : `(extractors: ${names.join(", ")})`),
  );
}

/** Options of {@linkcode summarizeRun}. */
export interface SummarizeRunOptions {
  /**
   * Directory for the files.
   * @default the run directory
   */
  outDir?: string;
  /**
   * Baseline extractor name.
   * @default the scenario's baseline
   */
  baseline?: string | null;
  /**
   * Figure options (see writeComparisonFigures), or false to write none.
   * @default {} (SVG and PNG)
   */
  figures?: SummaryFigureOptions;
  /**
   * Further notes for the summary, after the run's own.
   * @default []
   */
  notes?: readonly string[];
  /**
   * Append a summary_written event to the run's manifest when the files go into the
   * run directory (train turns it off for the summaries it rewrites after each
   * extractor and records the event once, at the end).
   * @default true
   */
  recordEvent?: boolean;
}

/**
 * Rebuild summary.json, summary.md and complete_results.json of one run, and its
 * figures in `<outDir>/figures/` (linked from summary.md; each extractor's own
 * learning curve is also in its record's artifacts). When the files go into the run
 * directory, a summary_written event is appended to its manifest (unless `recordEvent`
 * is false).
 *
 * Concurrent calls for one output directory (processes resuming different
 * extractors of one run) take turns: each holds `summary.lock` in the output
 * directory while it reads the run and writes every file, so the files on disk are
 * always one complete summary of one reading of the run, and the last call's reading
 * includes every event recorded before it began.
 *
 * @param directory Run directory.
 * @param options Output directory, baseline, figures.
 * @returns The summary, file paths and figure links.
 * @throws {RunDirectoryError} When the directory cannot be read as a run.
 * @throws {UnsafePathError} When the run directory holds a symbolic link.
 * @throws {RangeError} When `outDir` is a file, another run directory, or inside the run,
 * or `baseline` names no extractor of the run.
 * @throws {SummaryValidationError} When the rebuilt summary breaks the schema.
 */
export async function summarizeRun(
  directory: string,
  options: SummarizeRunOptions = {},
): Promise<SummarizeResult> {
  const runDir = nodePath.resolve(directory);
  if (!(await _exists(nodePath.join(runDir, MANIFEST_FILE_NAME)))) {
    throw new RunDirectoryError(`no ${MANIFEST_FILE_NAME}; not a run directory`, runDir);
  }
  guardDirectory(runDir);
  await assertNoSymlinksBelow(runDir);
  const outDir = nodePath.resolve(options.outDir ?? directory);
  await _checkOutputDir(outDir, [runDir], runDir);
  await Deno.mkdir(outDir, { recursive: true });
  // One summary at a time per output directory: each rewrite reads the run and writes
  // all its files under the lock, so the files always come from one reading.
  return await withFileLock(
    nodePath.join(outDir, SUMMARY_LOCK_FILE_NAME),
    () => _summarizeLocked(directory, outDir, options),
  );
}

async function _summarizeLocked(
  directory: string,
  outDir: string,
  options: SummarizeRunOptions,
): Promise<SummarizeResult> {
  await removeStaleTempFiles(outDir);
  await removeStaleTempFiles(nodePath.join(outDir, "figures"));
  const run = await readRunDirectory(directory);
  _checkBaseline(options.baseline, run.records);
  const baseline = options.baseline === undefined ? run.baseline : options.baseline;
  const labels = run.trials.map(trialKey);
  const analysed = _analyzeTrials(
    run.records,
    labels,
    run.trials.map((t) => t.seed),
    run.histories,
    baseline,
    run.convergenceFraction,
  );
  const comparison = buildComparison({
    trials: run.records.map((record, i) => ({
      record,
      seed: _trialSeed(record, run.trials[i].seed ?? run.seed),
      history: run.histories.get(labels[i]) ?? [],
      rolloutSteps: run.rolloutSteps,
      totalTimesteps: run.totalTimesteps,
    })),
    baseline,
  });
  const { records, figures } = await _figures(
    outDir,
    run.directory,
    analysed,
    run.histories,
    comparison,
    options.figures,
  );
  const summary = buildTrainingSummary({
    runId: run.name,
    createdAt: run.started.time,
    outputRoot: run.directory,
    hardwareOverview: run.hardware,
    records,
    aggregateMetrics: analysed.aggregate,
    notes: [...run.notes, ...(options.notes ?? []), ...analysed.notes],
  });
  const navigation = navigationSection(
    records,
    await readBaselines(run.directory),
    await heldOutEpisodeLinks(run.directory, outDir, records),
  );
  // One verdict list (comparison.json and summary.md): extractors that do not beat goal_seeking.
  if (navigation !== null) comparison.verdict.push(...navigation.verdict);
  const files = await writeSummaryFiles(outDir, summary, {
    legacy: { settings: run.legacySettings, presets: run.presets },
    figures,
    comparison,
    navigation,
  });
  if (outDir === run.directory && (options.recordEvent ?? true)) {
    const manifest = await ManifestWriter.open(nodePath.join(run.directory, MANIFEST_FILE_NAME), {
      create: false,
    });
    try {
      await manifest.append({
        event: "summary_written",
        output_dir: outDir,
        files: {
          json: nodePath.basename(files.json),
          markdown: nodePath.basename(files.markdown),
          legacy: nodePath.basename(files.legacy),
        },
      });
    } finally {
      manifest.close();
    }
  }
  return { summary, comparison, files, figures };
}

/** A record's trial seed: metrics.seed, else the given one. */
function _trialSeed(record: ExtractorRunRecord, fallback: number): number {
  const seed = record.metrics?.seed;
  return typeof seed === "number" && Number.isInteger(seed) && seed >= 0 ? seed : fallback;
}

/** Options of {@linkcode mergeRuns}. */
export interface MergeRunsOptions {
  /**
   * Label of the merged comparison (summary run_id).
   * @default "merged-<n>-runs"
   */
  runId?: string;
  /**
   * Baseline extractor name (after renaming, see mergeRuns).
   * @default the first run's baseline
   */
  baseline?: string | null;
  /**
   * Figure options (see writeComparisonFigures), or false to write none.
   * @default {} (SVG and PNG)
   */
  figures?: SummaryFigureOptions;
}

/**
 * Merge several runs into one comparison written to `outDir`. Trials of the same
 * extractor are pooled into one statistic (e.g. seeds 1-3 from one run and 4-6 from
 * another); records keep their names unless the same trial (extractor and seed) occurs
 * in more than one run; then every occurrence becomes `<name>@<run directory name>`. Artifact paths are rewritten relative to `outDir`.
 * The hardware overview lists every distinct host profile. The merged comparison's
 * figures are drawn into `<outDir>/figures/`.
 *
 * @param directories Run directories (at least two distinct ones).
 * @param outDir Output directory (created when missing; must not be one of the runs).
 * @param options Label, baseline, figures.
 * @returns The summary, file paths and figure links.
 * @throws {RangeError} When fewer than two distinct runs are given, or outDir is one of
 * them, another run directory, inside one of them, or a file, or when `baseline` names no
 * (renamed) extractor.
 * @throws {RunDirectoryError} When a directory cannot be read as a run.
 */
export async function mergeRuns(
  directories: readonly string[],
  outDir: string,
  options: MergeRunsOptions = {},
): Promise<SummarizeResult> {
  const dirs = [...new Set(directories.map((dir) => nodePath.resolve(dir)))];
  const out = nodePath.resolve(outDir);
  if (dirs.length < 2) throw new RangeError("Merging needs at least two distinct run directories");
  if (dirs.includes(out)) {
    throw new RangeError(`The merge output ${out} must not be one of the run directories`);
  }
  const runs: RunContents[] = [];
  for (const dir of dirs) runs.push(await readRunDirectory(dir));
  await _checkOutputDir(out, runs.map((run) => run.directory), null);

  // Trials of one extractor are pooled across runs; a trial (extractor, seed) found in
  // more than one run keeps each occurrence apart as `<name>@<run directory name>`.
  const effective = (run: RunContents, i: number) =>
    _trialSeed(run.records[i], run.trials[i].seed ?? run.seed);
  const counts = new Map<string, number>();
  const perExtractor = new Map<string, number>();
  for (const run of runs) {
    run.records.forEach((record, i) => {
      const key = `${record.config_name}\u0000${effective(run, i)}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
      perExtractor.set(record.config_name, (perExtractor.get(record.config_name) ?? 0) + 1);
    });
  }
  const rename = (run: RunContents, name: string, seed: number) =>
    (counts.get(`${name}\u0000${seed}`) ?? 0) > 1 ? `${name}@${run.name}` : name;

  const records: ExtractorRunRecord[] = [];
  const labels: string[] = [];
  const seeds: (number | null)[] = [];
  const histories = new Map<string, EvaluationPoint[]>();
  const budgets: { history: EvaluationPoint[]; rollout: number | null; total: number }[] = [];
  const presets: Record<string, string> = {};
  const notes: string[] = [`Merged from ${runs.map((run) => run.directory).join(", ")}`];
  for (const run of runs) {
    run.records.forEach((original, i) => {
      const seed = effective(run, i);
      const record = structuredClone(original);
      record.config_name = rename(run, original.config_name, seed);
      if (record.artifacts !== undefined) {
        for (const [key, path] of Object.entries(record.artifacts)) {
          record.artifacts[key] = nodePath.relative(out, nodePath.resolve(run.directory, path))
            .split(nodePath.sep).join("/");
        }
      }
      // Extractors with one trial keep their plain name (as a single run names them).
      const pooled = (perExtractor.get(original.config_name) ?? 0) > 1 &&
        record.config_name === original.config_name;
      const label = pooled ? trialKey({ extractor: record.config_name, seed }) : record.config_name;
      records.push(record);
      labels.push(label);
      seeds.push(pooled ? seed : null);
      const history = run.histories.get(trialKey(run.trials[i]));
      if (history !== undefined) histories.set(label, history);
      budgets.push({
        history: history ?? [],
        rollout: run.rolloutSteps,
        total: run.totalTimesteps,
      });
      if (run.presets[original.config_name] !== undefined) {
        presets[record.config_name] = run.presets[original.config_name];
      }
    });
    notes.push(...run.notes.map((note) => `${run.name}: ${note}`));
  }

  const [first] = runs;
  const fractions = new Set(runs.map((run) => run.convergenceFraction));
  if (fractions.size > 1) {
    notes.push(
      `Runs use different convergence_fraction values; ${first.convergenceFraction} (first run) is used`,
    );
  }
  _checkBaseline(options.baseline, records);
  const renamedBaseline = first.baseline === null ? null : `${first.baseline}@${first.name}`;
  const baseline = options.baseline !== undefined
    ? options.baseline
    : renamedBaseline !== null && records.some((r) => r.config_name === renamedBaseline)
    ? renamedBaseline
    : first.baseline;
  const analysed = _analyzeTrials(
    records,
    labels,
    seeds.some((seed) => seed !== null)
      ? seeds.map((seed, i) => seed ?? _trialSeed(records[i], 0))
      : seeds,
    histories,
    baseline,
    first.convergenceFraction,
  );
  const comparison = buildComparison({
    trials: records.map((record, i) => ({
      record,
      seed: seeds[i] ?? _trialSeed(record, 0),
      history: budgets[i].history,
      rolloutSteps: budgets[i].rollout,
      totalTimesteps: budgets[i].total,
    })),
    baseline,
  });
  const settingsKeys = new Set(runs.map((run) => stableJson(run.legacySettings)));
  if (settingsKeys.size > 1) notes.push("Runs differ in their run settings; compare with care");
  const createdAt = runs.map((run) => run.started.time).sort()[0];
  await Deno.mkdir(out, { recursive: true });
  const drawn = await _figures(out, out, analysed, histories, comparison, options.figures);
  const summary = buildTrainingSummary({
    runId: options.runId ?? `merged-${runs.length}-runs`,
    createdAt,
    outputRoot: out,
    hardwareOverview: _distinct(runs.flatMap((run) => run.hardware)),
    records: drawn.records,
    aggregateMetrics: analysed.aggregate,
    notes: [...notes, ...analysed.notes],
  });
  // Baseline controllers of the first run that has them (runs of one comparison share the
  // held-out episodes); their verdicts join the comparison's, as for a single run.
  let baselines = null;
  for (const run of runs) if ((baselines = await readBaselines(run.directory)) !== null) break;
  const navigation = navigationSection(drawn.records, baselines, {});
  if (navigation !== null) comparison.verdict.push(...navigation.verdict);
  const files = await writeSummaryFiles(out, summary, {
    legacy: {
      settings: settingsKeys.size === 1 ? first.legacySettings : null,
      presets,
      mergedFrom: runs.map((run) => run.directory),
    },
    figures: drawn.figures,
    comparison,
    navigation,
  });
  return { summary, comparison, files, figures: drawn.figures };
}
