/**
 * summary.md, rendered from a validated summary per contracts/summary_markdown.md:
 * header with hardware overview, extractor table, failures and skips, aggregated
 * metrics with units, links to the figures, reproducibility footer.
 *
 * @module
 */
import { escapeControlCharactersButNewlines } from "../internal/control_chars.ts";
import type { Comparison } from "./comparison.ts";
import type { ExtractorRunRecord, TrainingRunSummary } from "../run/models.ts";
import { METRIC_UNITS } from "./analysis.ts";
import type { NavigationSection } from "./navigation.ts";

/** File name of the JSON summary. */
export const SUMMARY_JSON_FILE_NAME = "summary.json";
/** File name of the Markdown summary. */
export const SUMMARY_MARKDOWN_FILE_NAME = "summary.md";
/** File name of the legacy results file. */
export const LEGACY_RESULTS_FILE_NAME = "complete_results.json";

/** Section headings of summary.md, in order. */
export const SUMMARY_SECTIONS = [
  "# Multi-Extractor Training Summary",
  "## Comparison",
  "## Hardware Overview",
  "## Extractor Results",
  "## Failures & Skips",
  "## Aggregated Metrics",
  "## Figures",
  "## Reproducibility",
] as const;

/** The optional section written after "## Extractor Results" when there is navigation data. */
export const BASELINE_SECTION = "## Baseline Controllers";

/** One figure linked from summary.md. */
export interface FigureLink {
  /** Text of the bullet, e.g. "Learning curves, all extractors". */
  title: string;
  /** SVG path relative to the directory of summary.md, `/`-separated. */
  svg: string;
  /** PNG path relative to the directory of summary.md, or null when none was written. */
  png: string | null;
}

/** The Figures section of summary.md. */
export interface SummaryFigures {
  /** Figures in display order. */
  links: readonly FigureLink[];
  /** What the figures leave out and why. */
  notes: readonly string[];
}

/** Options of {@linkcode renderSummaryMarkdown}. */
export interface RenderMarkdownOptions {
  /**
   * Metric shown in the Best Metric column (falls back to the record's first metric).
   * @default "best_mean_reward"
   */
  bestMetricKey?: string;
  /**
   * The statistical comparison (comparison.json) for the Comparison section.
   * @default none: the section says no trial has held-out scores
   */
  comparison?: Comparison;
  /**
   * Figures to link (see writeComparisonFigures and summaryFigures in figures.ts).
   * @default none: the section reads "- None written"
   */
  figures?: SummaryFigures;
  /**
   * The optional "## Baseline Controllers" section after the extractor table
   * (lib/report/navigation.ts). @default none
   */
  navigation?: NavigationSection | null;
}

/** Escape a table cell: pipes, backslashes and line breaks. */
function _cell(text: string): string {
  return text.replaceAll("\\", "\\\\").replaceAll("|", "\\|").replace(/\r?\n/g, " ");
}

/**
 * Format a number for a table: integers as they are, others with 3 decimals.
 *
 * @param value The number.
 * @returns Text.
 */
export function formatMetricValue(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(3);
}

/** Escape link text: backslashes and square brackets. */
function _linkText(text: string): string {
  return text.replaceAll("\\", "\\\\").replace(/[[\]]/g, (c) => `\\${c}`).replace(/\r?\n/g, " ");
}

/** Link target: spaces and parentheses percent-encoded. */
function _linkTarget(path: string): string {
  return path.replace(/[ ()]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function _unit(key: string): string {
  const unit = METRIC_UNITS[key];
  return unit === undefined || unit === "" ? "" : ` ${unit}`;
}

function _bestMetric(record: ExtractorRunRecord, key: string): string {
  const metrics = record.metrics ?? {};
  if (key in metrics) return `${key}: ${formatMetricValue(metrics[key])}${_unit(key)}`;
  const first = Object.keys(metrics)[0];
  if (first === undefined) return "N/A";
  return `${first}: ${formatMetricValue(metrics[first])}${_unit(first)}`;
}

/** Aggregate metrics that mean nothing when the best model was chosen before PPO learnt much. */
const _BUDGET_SENSITIVE = /convergence|sample_efficiency|baseline_target/;

/** Whether some extractor has several records (trials of a multi-seed run). */
function _severalTrials(records: readonly ExtractorRunRecord[]): boolean {
  return new Set(records.map((r) => r.config_name)).size < records.length;
}

/** A record's name in the tables: with its seed when an extractor has several trials. */
function _trialName(record: ExtractorRunRecord, trials: boolean): string {
  const seed = record.metrics?.seed;
  return trials && typeof seed === "number"
    ? `${record.config_name} (seed ${seed})`
    : record.config_name;
}

/**
 * A statistic with its interval; from one seed the bootstrap can only resample that
 * seed, so its degenerate interval is not printed.
 */
function _interval(value: number, ci: readonly [number, number], seeds: number): string {
  if (seeds < 2) return `${formatMetricValue(value)} (1 seed: no interval)`;
  return `${formatMetricValue(value)} [${formatMetricValue(ci[0])}, ${formatMetricValue(ci[1])}]`;
}

/** The Comparison section's lines (without its heading). */
function _comparisonSection(comparison: Comparison | undefined): string[] {
  const out: string[] = [];
  if (comparison === undefined || comparison.extractors.length === 0) {
    out.push("- No trial has held-out scores, so no comparison was made");
    for (const warning of comparison?.warnings ?? []) out.push(`- Warning: ${warning}`);
    out.push("");
    return out;
  }
  const { bootstrap, metric_names: metrics } = comparison;
  const level = Math.round(bootstrap.confidence * 100);
  const first = metrics[0];
  const order = comparison.ranking?.[first] ?? comparison.extractors.map((e) => e.name);
  out.push(
    `Held-out scores (the best model's, chosen on the periodic evaluations), one per seed; ` +
      `IQM = interquartile mean; ${level}% stratified bootstrap intervals (${bootstrap.samples} ` +
      `resamples, seed ${bootstrap.seed}); ranked by ${first} IQM. Baseline: ` +
      `${comparison.baseline ?? "none"}. Details: \`comparison.json\`.`,
    "",
  );
  const head = ["Rank", "Extractor", "Seeds"];
  for (const metric of metrics) {
    head.push(`${metric} IQM [${level}% CI]`, `${metric} mean [${level}% CI]`);
  }
  out.push(`| ${head.join(" | ")} |`, `| ${head.map(() => "---").join(" | ")} |`);
  // Equal IQMs share a rank (standard competition ranking: 1, 1, 3).
  const iqms = comparison.extractors.map((x) => x.statistics[first].iqm);
  order.forEach((name) => {
    const e = comparison.extractors.find((x) => x.name === name);
    if (e === undefined) return;
    const rank = 1 + iqms.filter((iqm) => iqm > e.statistics[first].iqm).length;
    const cells = [String(rank), _cell(name), String(e.seeds.length)];
    for (const metric of metrics) {
      const s = e.statistics[metric];
      cells.push(
        _interval(s.iqm, s.iqm_ci, e.seeds.length),
        _interval(s.mean, s.mean_ci, e.seeds.length),
      );
    }
    out.push(`| ${cells.join(" | ")} |`);
  });
  out.push("");
  for (const sentence of comparison.verdict) out.push(`- ${sentence.replace(/\r?\n/g, " ")}`);
  for (const warning of comparison.warnings) {
    out.push(`- Warning: ${warning.replace(/\r?\n/g, " ")}`);
  }
  if (comparison.verdict.length === 0 && comparison.warnings.length === 0) {
    out.push("- One extractor only: nothing to compare against");
  }
  out.push("");
  return out;
}

/**
 * Render summary.md. Durations have one decimal; status values are the schema's enum;
 * metrics carry units.
 *
 * @param summary A schema-valid summary.
 * @param options Which metric the Best Metric column shows; the figures to link.
 * @returns Markdown text ending with a newline.
 */
export function renderSummaryMarkdown(
  summary: TrainingRunSummary,
  options: RenderMarkdownOptions = {},
): string {
  const bestKey = options.bestMetricKey ?? "best_mean_reward";
  const out: string[] = [];
  out.push(SUMMARY_SECTIONS[0], "");
  out.push(`- Run ID: ${summary.run_id}`);
  out.push(`- Created at: ${summary.created_at}`);
  out.push(`- Output directory: \`${summary.output_root}\``, "");

  out.push(SUMMARY_SECTIONS[1], "");
  out.push(..._comparisonSection(options.comparison));

  out.push(SUMMARY_SECTIONS[2], "");
  out.push("| Host | Platform | Arch | GPU Model | CUDA Version | Runtime | Workers |");
  out.push("| --- | --- | --- | --- | --- | --- | --- |");
  for (const host of summary.hardware_overview) {
    out.push(
      `| ${_cell(host.hostname ?? "N/A")} | ${_cell(host.platform)} | ${_cell(host.arch)} | ` +
        `${_cell(host.gpu_model ?? "N/A")} | ${_cell(host.cuda_version ?? "N/A")} | ` +
        `${_cell(host.python_version)} | ${host.workers} |`,
    );
  }
  out.push("");

  out.push(SUMMARY_SECTIONS[3], "");
  const trialsShown = _severalTrials(summary.extractor_results);
  out.push("| Extractor Name | Status | Worker Mode | Duration (s) | Best Metric | Notes |");
  out.push("| --- | --- | --- | --- | --- | --- |");
  for (const record of summary.extractor_results) {
    const duration = record.duration_seconds === undefined
      ? "N/A"
      : record.duration_seconds.toFixed(1);
    out.push(
      `| ${
        _cell(_trialName(record, trialsShown))
      } | ${record.status} | ${record.worker_mode} | ${duration} | ` +
        `${_cell(_bestMetric(record, bestKey))} | ${_cell(record.reason ?? "")} |`,
    );
  }
  out.push("");
  if (options.navigation) out.push(...options.navigation.lines);

  out.push(SUMMARY_SECTIONS[4], "");
  const problems = summary.extractor_results.filter((record) => record.status !== "success");
  if (problems.length === 0) out.push("- None");
  for (const record of problems) {
    out.push(
      `- ${_trialName(record, trialsShown)} (${record.status}): ${
        (record.reason ?? "no reason recorded").replace(/\r?\n/g, " ")
      }`,
    );
  }
  for (const note of summary.notes ?? []) out.push(`- Note: ${note.replace(/\r?\n/g, " ")}`);
  out.push("");

  out.push(SUMMARY_SECTIONS[5], "");
  const aggregate = Object.entries(summary.aggregate_metrics);
  if (aggregate.length === 0) {
    out.push("- None recorded");
  } else {
    out.push("| Metric | Value | Unit |", "| --- | --- | --- |");
    const doubtful = options.comparison?.budget_too_small === true;
    for (const [key, value] of aggregate) {
      const unit = METRIC_UNITS[key] ?? "";
      const mark = doubtful && _BUDGET_SENSITIVE.test(key)
        ? `${unit === "" ? "" : `${unit} `}(not meaningful at this budget, see Comparison)`
        : unit;
      out.push(`| ${key} | ${formatMetricValue(value)} | ${mark} |`);
    }
  }
  out.push("");

  out.push(SUMMARY_SECTIONS[6], "");
  const figures = options.figures ?? { links: [], notes: [] };
  if (figures.links.length === 0) out.push("- None written");
  for (const link of figures.links) {
    const targets = [`[SVG](${_linkTarget(link.svg)})`];
    if (link.png !== null) targets.push(`[PNG](${_linkTarget(link.png)})`);
    out.push(`- ${_linkText(link.title)}: ${targets.join(", ")}`);
  }
  for (const note of figures.notes) out.push(`- Note: ${note.replace(/\r?\n/g, " ")}`);
  out.push("");

  out.push(SUMMARY_SECTIONS[7], "");
  out.push(`- JSON summary: \`${SUMMARY_JSON_FILE_NAME}\``);
  out.push(`- Markdown summary: \`${SUMMARY_MARKDOWN_FILE_NAME}\``);
  out.push(`- Legacy results: \`${LEGACY_RESULTS_FILE_NAME}\``);
  const directories = summary.extractor_results.flatMap((record) =>
    record.artifacts?.extractor_dir
      ? [[_trialName(record, trialsShown), record.artifacts.extractor_dir]]
      : []
  );
  if (directories.length === 0) {
    out.push("- Extractor artifact directories: none recorded");
  } else {
    out.push("- Extractor artifact directories (relative to the output directory):");
    for (const [name, dir] of directories) out.push(`  - ${name}: \`${dir}\``);
  }
  // Control characters of user strings (names, reasons, paths) become visible escapes.
  return `${escapeControlCharactersButNewlines(out.join("\n"))}\n`;
}
