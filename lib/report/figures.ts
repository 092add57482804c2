/**
 * Comparison figures of a run, written under `<output dir>/figures/` as SVG (Vega-Lite
 * compiled and rendered by Vega, headless, no browser or canvas) and PNG (the SVG
 * rasterised by resvg):
 * - `learning_curves.svg|png`: evaluation mean reward vs training timesteps, one line
 *   per successful extractor with a ± 1 std band and a point per evaluation;
 * - `learning_curve_<name>.svg|png`: the same for each extractor alone (`<name>` is the
 *   normalised extractor name);
 * - `final_metrics.svg|png`: bars per extractor: best and last mean evaluation reward
 *   (grouped), success rate, wall time, throughput (panels without data are left out);
 * - with a comparison (comparison.json): `learning_curves_iqm.svg|png`, learning curves
 *   aggregated over seeds (IQM, bootstrap band), and `performance_profile_<metric>.svg|png`
 *   per headline metric.
 *
 * In a multi-seed run each trial is drawn in its extractor's colour: one colour per
 * extractor in every figure.
 *
 * Missing data degrades gracefully: a successful extractor without evaluations, and
 * failed or skipped extractors, are named in the figure's subtitle and in the result's
 * notes instead of being drawn. Vega and resvg are loaded on first use; the PNG step
 * needs `--allow-ffi` (resvg is a native addon) and, on Linux, `--allow-sys` for
 * `cpus`, `networkInterfaces`, `hostname` (its loader checks the C library); without
 * them only SVG files are written and a note says why.
 *
 * @example Figures of a run directory
 * ```ts
 * import { readRunDirectory, writeComparisonFigures } from "./mod.ts";
 * const run = await readRunDirectory("tmp/multi_extractor_training/20261129-120000-default");
 * const result = await writeComparisonFigures(run.directory, run);
 * console.log(result.files.map((file) => file.svg));
 * ```
 *
 * @module
 */
import * as nodePath from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { checkEvaluationPoint, type EvaluationPoint } from "../run/artifacts.ts";
import { mkdirNoFollow } from "../internal/safe_path.ts";
import { writeFileAtomic, writeTextFileAtomic } from "../internal/atomic_write.ts";
import type { ExtractorRunRecord } from "../run/models.ts";
import { normalizeName } from "../run/paths.ts";
import {
  aggregateCurveSpec,
  type BarPanel,
  type BarValue,
  type CurveSeries,
  EXTRACTOR_PALETTE,
  finalMetricsSpec,
  learningCurveSpec,
  performanceProfileSpec,
} from "./_figure_specs.ts";
import type { Comparison } from "./comparison.ts";
import type { FigureLink, SummaryFigures } from "./markdown.ts";

/** Folder of the figures inside the output directory. */
export const FIGURES_DIR_NAME = "figures";
/** Base file name of the all-extractor learning-curve figure. */
export const LEARNING_CURVES_FIGURE_NAME = "learning_curves";
/** Prefix of the per-extractor learning-curve figures (`learning_curve_<name>`). */
export const LEARNING_CURVE_FIGURE_PREFIX = "learning_curve_";
/** Base file name of the final-metrics figure. */
export const FINAL_METRICS_FIGURE_NAME = "final_metrics";
/** Base file name of the learning curves aggregated over seeds. */
export const AGGREGATE_CURVES_FIGURE_NAME = "learning_curves_iqm";
/** Prefix of the performance-profile figures (`performance_profile_<metric>`). */
export const PERFORMANCE_PROFILE_FIGURE_PREFIX = "performance_profile_";
/** Record artifact keys of an extractor's own learning-curve figure. */
export const FIGURE_ARTIFACT_KEYS: Readonly<{ svg: string; png: string }> = Object.freeze({
  svg: "learning_curve_svg",
  png: "learning_curve_png",
});

/**
 * metrics.json keys the final-metrics figure reads. Fallbacks: best and last mean
 * reward from the evaluation history, success rate from the last evaluation, wall time
 * from the record's duration_seconds.
 */
export const FIGURE_METRIC_KEYS: Readonly<{
  bestMeanReward: string;
  lastMeanReward: string;
  successRate: string;
  wallTimeSeconds: string;
  fps: string;
}> = Object.freeze({
  bestMeanReward: "best_mean_reward",
  lastMeanReward: "last_mean_reward",
  successRate: "success_rate",
  wallTimeSeconds: "wall_time_seconds",
  fps: "fps",
});

/** A font file and the family name it provides. */
export interface FontSource {
  /** Path of a TrueType or OpenType file. */
  file: string;
  /** Its family name, e.g. "DejaVu Sans". */
  family: string;
}

/** Font files tried, in order, for PNG text (Linux, macOS, Windows). */
export const DEFAULT_FONT_CANDIDATES: readonly FontSource[] = Object.freeze([
  { file: "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", family: "DejaVu Sans" },
  { file: "/usr/share/fonts/dejavu/DejaVuSans.ttf", family: "DejaVu Sans" },
  { file: "/usr/share/fonts/TTF/DejaVuSans.ttf", family: "DejaVu Sans" },
  { file: "/usr/share/fonts/dejavu-sans-fonts/DejaVuSans.ttf", family: "DejaVu Sans" },
  {
    file: "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    family: "Liberation Sans",
  },
  {
    file: "/usr/share/fonts/liberation-sans/LiberationSans-Regular.ttf",
    family: "Liberation Sans",
  },
  { file: "/System/Library/Fonts/Supplemental/Arial.ttf", family: "Arial" },
  { file: "/Library/Fonts/Arial.ttf", family: "Arial" },
  { file: "C:\\Windows\\Fonts\\arial.ttf", family: "Arial" },
]);

const _FALLBACK_FAMILIES = ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica", "sans-serif"];

/**
 * The first candidate font file that exists and is readable.
 *
 * @param candidates Fonts to try, in order.
 * @returns The font, or null when none is found.
 */
export async function findFont(
  candidates: readonly FontSource[] = DEFAULT_FONT_CANDIDATES,
): Promise<FontSource | null> {
  for (const candidate of candidates) {
    try {
      if ((await Deno.stat(candidate.file)).isFile) return { ...candidate };
    } catch {
      // missing or not readable with the granted permissions: try the next one
    }
  }
  return null;
}

interface _Vega {
  vl: typeof import("vega-lite");
  vega: typeof import("vega");
}

let _vegaModules: Promise<_Vega> | undefined;

function _loadVega(): Promise<_Vega> {
  _vegaModules ??= Promise.all([import("vega-lite"), import("vega")]).then(([vl, vega]) => ({
    vl,
    vega,
  }));
  return _vegaModules;
}

function _collectingLogger(sink: string[]) {
  let level = 2;
  const text = (args: unknown[]) => args.map((arg) => String(arg)).join(" ");
  const logger = {
    level(value?: number) {
      if (value === undefined) return level;
      level = value;
      return logger;
    },
    error(...args: unknown[]) {
      sink.push(`error: ${text(args)}`);
      return logger;
    },
    warn(...args: unknown[]) {
      if (level >= 2) sink.push(`warn: ${text(args)}`);
      return logger;
    },
    info(..._args: unknown[]) {
      return logger;
    },
    debug(..._args: unknown[]) {
      return logger;
    },
  };
  return logger;
}

/** Result of {@linkcode renderVegaLiteSvg}. */
export interface RenderedSvg {
  /** SVG document text. */
  svg: string;
  /** Warnings and errors Vega-Lite and Vega logged (never printed). */
  warnings: string[];
}

/**
 * Compile a Vega-Lite spec and render it to SVG with Vega's headless renderer (no
 * browser, no canvas; text widths are estimated).
 *
 * @param spec Vega-Lite spec with inline data (no URLs: nothing is fetched).
 * @returns The SVG and the log messages.
 * @throws {Error} When Vega-Lite or Vega rejects the spec.
 */
export async function renderVegaLiteSvg(spec: TopLevelSpec): Promise<RenderedSvg> {
  const { vl, vega } = await _loadVega();
  const warnings: string[] = [];
  const logger = _collectingLogger(warnings);
  // deno-lint-ignore no-explicit-any
  const compiled = vl.compile(spec, { logger: logger as any }).spec;
  const view = new vega.View(vega.parse(compiled), {
    renderer: "none",
    // deno-lint-ignore no-explicit-any
    logger: logger as any,
    logLevel: vega.Warn,
  });
  try {
    return { svg: await view.toSVG(), warnings };
  } finally {
    view.finalize();
  }
}

let _resvgModule: Promise<typeof import("@resvg/resvg-js")> | undefined;

function _loadResvg(): Promise<typeof import("@resvg/resvg-js")> {
  _resvgModule ??= import("@resvg/resvg-js");
  // a failed load (e.g. a missing permission) is retried on the next call
  _resvgModule.catch(() => (_resvgModule = undefined));
  return _resvgModule;
}

/** Options of {@linkcode svgToPng}. */
export interface SvgToPngOptions {
  /**
   * Pixels per SVG unit.
   * @default 2
   */
  scale?: number;
  /**
   * Font for text; null loads the system's fonts instead (slower; text is missing when
   * the system has none).
   * @default the result of {@linkcode findFont}
   */
  font?: FontSource | null;
}

/**
 * Rasterise an SVG with resvg. The PNG is `round(width * scale)` x `round(height * scale)`
 * pixels of the SVG's width and height.
 *
 * @param svg SVG text.
 * @param options Scale and font.
 * @returns PNG bytes.
 * @throws {RangeError} When scale is not a positive finite number.
 * @throws {Deno.errors.NotCapable} Without --allow-ffi for the resvg addon (or, on Linux,
 * --allow-sys for its loader).
 */
export async function svgToPng(svg: string, options: SvgToPngOptions = {}): Promise<Uint8Array> {
  const scale = options.scale ?? 2;
  if (!(scale > 0 && Number.isFinite(scale))) {
    throw new RangeError(`PNG scale must be a positive number, got ${scale}`);
  }
  const font = options.font === undefined ? await findFont() : options.font;
  const { Resvg } = await _loadResvg();
  const resvg = new Resvg(svg, {
    fitTo: { mode: "zoom", value: scale },
    font: font === null ? { loadSystemFonts: true } : {
      loadSystemFonts: false,
      fontFiles: [font.file],
      defaultFontFamily: font.family,
      sansSerifFamily: font.family,
    },
  });
  return resvg.render().asPng();
}

/** What the figures are drawn from. */
export interface ComparisonFiguresInput {
  /** Run records in run order; only successful ones are drawn. */
  records: readonly ExtractorRunRecord[];
  /** Evaluation history per extractor name (eval_history.jsonl records). */
  histories: ReadonlyMap<string, readonly EvaluationPoint[]>;
  /**
   * Extractor of each record name (a multi-seed run's records are named by trial):
   * records of one extractor share its colour.
   * @default each record is its own extractor
   */
  extractorOf?: ReadonlyMap<string, string>;
  /**
   * The statistical comparison: draws the aggregated learning curves and the
   * performance profiles.
   * @default none
   */
  comparison?: Comparison;
}

/** Options of {@linkcode writeComparisonFigures}. */
export interface WriteFiguresOptions {
  /**
   * Also write PNG copies.
   * @default true
   */
  png?: boolean;
  /**
   * PNG pixels per SVG unit.
   * @default 2
   */
  pngScale?: number;
  /**
   * Font for text (first in the SVG's font-family list; loaded by resvg for PNG); null
   * makes resvg load the system fonts.
   * @default the result of {@linkcode findFont}
   */
  font?: FontSource | null;
  /**
   * Plot width of the all-extractor learning curves, px (SVG units); per-extractor curves
   * and final-metric panels are 0.75 of it.
   * @default 640
   */
  width?: number;
  /**
   * Plot height of the all-extractor learning curves, px (SVG units); per-extractor curves
   * are 0.75 of it.
   * @default 360
   */
  height?: number;
}

/** Which figure a file shows. */
export type FigureKind =
  | "learning_curves"
  | "learning_curve"
  | "final_metrics"
  | "learning_curves_iqm"
  | "performance_profile";

/** One written figure. */
export interface FigureFile {
  /** What it shows. */
  kind: FigureKind;
  /** The extractor of a `learning_curve` figure, else null. */
  extractor: string | null;
  /** Human-readable title. */
  title: string;
  /** Absolute path of the SVG file. */
  svg: string;
  /** Absolute path of the PNG file, or null when PNG was not written. */
  png: string | null;
  /** Wall time to render and write SVG and PNG, ms. */
  renderMs: number;
}

/** Result of {@linkcode writeComparisonFigures}. */
export interface FiguresResult {
  /** Absolute figures directory. */
  directory: string;
  /** Figures written: learning curves, final metrics, then one per extractor. */
  files: FigureFile[];
  /** What was left out and why (also shown in the figures' subtitles). */
  notes: string[];
  /** Warnings Vega-Lite or Vega logged while rendering (empty for well-formed input). */
  warnings: string[];
}

interface _Shown {
  record: ExtractorRunRecord;
  color: string;
  points: EvaluationPoint[];
}

function _sortedHistory(name: string, history: readonly EvaluationPoint[]): EvaluationPoint[] {
  return history.map((point, i) => checkEvaluationPoint(point, `${name} evaluation ${i + 1}`))
    .map((point, index) => ({ point, index }))
    .sort((a, b) => a.point.timestep - b.point.timestep || a.index - b.index)
    .map(({ point }) => point);
}

function _list(names: readonly string[]): string {
  return names.join(", ");
}

function _finite(value: number | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

function _metricPanels(shown: readonly _Shown[], notes: string[]): BarPanel[] {
  const keys = FIGURE_METRIC_KEYS;
  const value = (item: _Shown, key: string, fallback: () => number | undefined) => {
    const metric = item.record.metrics?.[key];
    return _finite(metric) ? metric : fallback();
  };
  const last = (item: _Shown) => item.points.at(-1);
  const specs: {
    id: string;
    title: string;
    axisTitle: string;
    label: string;
    statistics: { name: string; get: (item: _Shown) => number | undefined }[];
    domain?: [number, number];
    /** Left out without a note when no extractor has it (runs from before it existed). */
    optional?: boolean;
  }[] = [
    {
      id: "reward",
      title: "Mean evaluation reward",
      axisTitle: "Mean evaluation reward (reward)",
      label: "mean evaluation reward",
      statistics: [
        {
          name: "Best",
          get: (item) =>
            value(
              item,
              keys.bestMeanReward,
              () =>
                item.points.length === 0
                  ? undefined
                  : Math.max(...item.points.map((p) => p.mean_reward)),
            ),
        },
        {
          name: "Last",
          get: (item) => value(item, keys.lastMeanReward, () => last(item)?.mean_reward),
        },
      ],
    },
    {
      id: "success_rate",
      title: "Success rate",
      axisTitle: "Success rate (fraction of episodes)",
      label: "success rate",
      statistics: [{
        name: "",
        get: (item) => value(item, keys.successRate, () => last(item)?.success_rate),
      }],
      domain: [0, 1],
    },
    {
      id: "snqi",
      title: "Social Navigation Quality Index (SNQI)",
      axisTitle: "SNQI (higher is better; robot_sf weights, docs/evaluation.md)",
      label: "SNQI",
      statistics: [{ name: "", get: (item) => value(item, "snqi", () => undefined) }],
      optional: true,
    },
    {
      id: "collision_rate",
      title: "Collision rate",
      axisTitle: "Collision rate (fraction of episodes)",
      label: "collision rate",
      statistics: [{ name: "", get: (item) => value(item, "collision_rate", () => undefined) }],
      domain: [0, 1],
      optional: true,
    },
    {
      id: "wall_time",
      title: "Wall time",
      axisTitle: "Wall time (s)",
      label: "wall time",
      statistics: [{
        name: "",
        get: (item) => value(item, keys.wallTimeSeconds, () => item.record.duration_seconds),
      }],
    },
    {
      id: "fps",
      title: "Throughput",
      axisTitle: "Throughput (env steps/s)",
      label: "throughput (fps)",
      statistics: [{ name: "", get: (item) => value(item, keys.fps, () => undefined) }],
    },
  ];
  const panels: BarPanel[] = [];
  for (const spec of specs) {
    const bars: BarValue[] = [];
    const missing = new Set<string>();
    for (const item of shown) {
      for (const statistic of spec.statistics) {
        const v = statistic.get(item);
        if (_finite(v)) {
          bars.push({ extractor: item.record.config_name, statistic: statistic.name, value: v });
        } else {
          missing.add(item.record.config_name);
        }
      }
    }
    if (bars.length === 0) {
      if (!spec.optional) notes.push(`No ${spec.label} recorded; panel left out`);
      continue;
    }
    if (missing.size > 0) notes.push(`No ${spec.label} for: ${_list([...missing])}`);
    panels.push({
      id: spec.id,
      title: spec.title,
      axisTitle: spec.axisTitle,
      bars,
      statistics: spec.statistics.length > 1 ? spec.statistics.map((s) => s.name) : [],
      domain: spec.domain,
    });
  }
  return panels;
}

function _uniqueFileNames(names: readonly string[]): Map<string, string> {
  const taken = new Set<string>();
  const result = new Map<string, string>();
  for (const name of names) {
    let base: string;
    try {
      base = normalizeName(name);
    } catch {
      base = "extractor";
    }
    let candidate = base;
    for (let n = 2; taken.has(candidate.toLowerCase()); n++) candidate = `${base}-${n}`;
    taken.add(candidate.toLowerCase());
    result.set(name, `${LEARNING_CURVE_FIGURE_PREFIX}${candidate}`);
  }
  return result;
}

/**
 * Render and write the comparison figures into `<outDir>/figures/` (created when
 * missing), each file atomically. Only successful records are drawn, in run order,
 * with one colour per extractor shared by every figure; a successful extractor without
 * evaluations, and failed or skipped ones, are named in the subtitles and in `notes`.
 * A figure without any data is not written (a note says so). When PNG cannot be
 * written for lack of permissions, only SVG files are written and a note says why.
 *
 * @param outDir Output directory (the run directory, or a merged comparison's).
 * @param input Records and evaluation histories.
 * @param options PNG on/off and scale, font, learning-curve plot size.
 * @returns The files written, notes and renderer warnings.
 * @throws {TypeError} When an evaluation point is invalid (see checkEvaluationPoint).
 * @throws {RangeError} When a size or the PNG scale is not a positive number.
 */
export async function writeComparisonFigures(
  outDir: string,
  input: ComparisonFiguresInput,
  options: WriteFiguresOptions = {},
): Promise<FiguresResult> {
  const width = options.width ?? 640;
  const height = options.height ?? 360;
  const scale = options.pngScale ?? 2;
  for (const [label, value] of [["width", width], ["height", height], ["PNG scale", scale]]) {
    if (!(typeof value === "number" && value > 0 && Number.isFinite(value))) {
      throw new RangeError(`Figure ${label} must be a positive number, got ${value}`);
    }
  }
  const font = options.font === undefined ? await findFont() : options.font;
  const fontList = [...new Set([...(font === null ? [] : [font.family]), ..._FALLBACK_FAMILIES])]
    .map((family) => family.includes(" ") ? `'${family}'` : family).join(", ");

  const seen = new Set<string>();
  const successful = input.records.filter((record) => {
    if (record.status !== "success" || seen.has(record.config_name)) return false;
    seen.add(record.config_name);
    return true;
  });
  const groupOf = (name: string) => input.extractorOf?.get(name) ?? name;
  const groups = [...new Set(successful.map((record) => groupOf(record.config_name)))];
  for (const e of input.comparison?.extractors ?? []) {
    if (!groups.includes(e.name)) groups.push(e.name);
  }
  const colorOf = (extractor: string) =>
    EXTRACTOR_PALETTE[Math.max(0, groups.indexOf(extractor)) % EXTRACTOR_PALETTE.length];
  const shown: _Shown[] = successful.map((record) => ({
    record,
    color: colorOf(groupOf(record.config_name)),
    points: _sortedHistory(record.config_name, input.histories.get(record.config_name) ?? []),
  }));
  const byStatus = (status: string) =>
    input.records.filter((record) => record.status === status).map((r) => r.config_name);
  const omitted: string[] = [];
  if (byStatus("failed").length > 0) {
    omitted.push(`Not shown (failed): ${_list(byStatus("failed"))}`);
  }
  if (byStatus("skipped").length > 0) {
    omitted.push(`Not shown (skipped): ${_list(byStatus("skipped"))}`);
  }
  const withoutEvaluations = shown.filter((item) => item.points.length === 0)
    .map((item) => item.record.config_name);
  const curveNotes = [...omitted];
  if (withoutEvaluations.length > 0) {
    curveNotes.push(`No evaluations recorded: ${_list(withoutEvaluations)}`);
  }
  const curves: CurveSeries[] = shown.filter((item) => item.points.length > 0).map((item) => ({
    name: item.record.config_name,
    color: item.color,
    points: item.points,
  }));

  const directory = nodePath.resolve(outDir, FIGURES_DIR_NAME);
  await mkdirNoFollow(directory);
  const files: FigureFile[] = [];
  const notes: string[] = [];
  const warnings: string[] = [];
  let png = options.png ?? true;
  if (png) {
    try {
      await _loadResvg();
    } catch (error) {
      png = false;
      notes.push(
        `PNG copies not written: the resvg addon did not load (it needs --allow-ffi, and ` +
          `--allow-sys on Linux): ${(error as Error).message}`,
      );
    }
  }
  if (png && font === null) {
    notes.push("No known font file found; PNG text uses the system's fonts, if any");
  }

  const write = async (
    kind: FigureKind,
    extractor: string | null,
    title: string,
    baseName: string,
    spec: TopLevelSpec,
  ) => {
    const started = performance.now();
    const rendered = await renderVegaLiteSvg(spec);
    warnings.push(...rendered.warnings.map((warning) => `${baseName}: ${warning}`));
    const svgPath = nodePath.join(directory, `${baseName}.svg`);
    await writeTextFileAtomic(svgPath, rendered.svg);
    let pngPath: string | null = null;
    if (png) {
      pngPath = nodePath.join(directory, `${baseName}.png`);
      await writeFileAtomic(pngPath, await svgToPng(rendered.svg, { scale, font }));
    }
    files.push({
      kind,
      extractor,
      title,
      svg: svgPath,
      png: pngPath,
      renderMs: performance.now() - started,
    });
  };

  const common = { font: fontList };
  if (curves.length > 0) {
    const title = "Learning curves: evaluation reward vs training timesteps";
    await write(
      "learning_curves",
      null,
      "Learning curves, all extractors",
      LEARNING_CURVES_FIGURE_NAME,
      learningCurveSpec(curves, {
        ...common,
        width,
        height,
        title,
        notes: curveNotes,
        legend: true,
      }),
    );
  } else {
    notes.push("No learning curves: no successful extractor has an evaluation");
  }
  notes.push(...curveNotes);

  const metricNotes: string[] = [];
  const panels = shown.length === 0 ? [] : _metricPanels(shown, metricNotes);
  if (panels.length > 0) {
    await write(
      "final_metrics",
      null,
      "Final metrics",
      FINAL_METRICS_FIGURE_NAME,
      finalMetricsSpec(
        panels,
        shown.map((item) => ({ name: item.record.config_name, color: item.color })),
        {
          ...common,
          width: Math.round(width * 0.75),
          height: 22,
          title: "Final metrics per extractor",
          notes: [...omitted, ...metricNotes],
        },
      ),
    );
  } else {
    metricNotes.push("No final metrics: no successful extractor");
  }
  notes.push(...metricNotes);

  await _comparisonFigures(
    input.comparison,
    colorOf,
    {
      ...common,
      width,
      height,
    },
    write,
    notes,
  );

  const fileNames = _uniqueFileNames(curves.map((curve) => curve.name));
  for (const curve of curves) {
    await write(
      "learning_curve",
      curve.name,
      `Learning curve, ${curve.name}`,
      fileNames.get(curve.name) as string,
      learningCurveSpec([curve], {
        ...common,
        width: Math.round(width * 0.75),
        height: Math.round(height * 0.75),
        title: `Learning curve: ${curve.name}`,
        notes: [],
        legend: false,
      }),
    );
  }
  return { directory, files, notes: [...new Set(notes)], warnings };
}

type _Write = (
  kind: FigureKind,
  extractor: string | null,
  title: string,
  baseName: string,
  spec: TopLevelSpec,
) => Promise<void>;

/** The comparison's figures: aggregated learning curves and performance profiles. */
async function _comparisonFigures(
  comparison: Comparison | undefined,
  colorOf: (extractor: string) => string,
  layout: { font: string; width: number; height: number },
  write: _Write,
  notes: string[],
): Promise<void> {
  if (comparison === undefined || comparison.extractors.length === 0) return;
  const curves = comparison.extractors.filter((e) => (e.learning_curve?.length ?? 0) > 0)
    .map((e) => ({ name: e.name, color: colorOf(e.name), points: e.learning_curve! }));
  if (curves.length > 0) {
    await write(
      "learning_curves_iqm",
      null,
      "Learning curves aggregated over seeds (IQM, bootstrap interval)",
      AGGREGATE_CURVES_FIGURE_NAME,
      aggregateCurveSpec(curves, {
        ...layout,
        title: "Learning curves over seeds: IQM of evaluation reward",
        notes: comparison.budget_too_small
          ? ["Budget too small: the curves show too little training to compare (see summary.md)"]
          : [],
      }),
    );
  } else {
    notes.push("No aggregated learning curves: no timestep was evaluated in every seed");
  }
  for (const profile of comparison.performance_profiles ?? []) {
    await write(
      "performance_profile",
      null,
      `Performance profile, held-out ${profile.metric}`,
      `${PERFORMANCE_PROFILE_FIGURE_PREFIX}${profile.metric}`,
      performanceProfileSpec(
        profile.metric,
        profile.thresholds,
        Object.entries(profile.fractions).map(([name, fractions]) => ({
          name,
          color: colorOf(name),
          fractions,
        })),
        {
          ...layout,
          width: Math.round(layout.width * 0.75),
          height: Math.round(layout.height * 0.75),
          title: `Performance profile: held-out ${profile.metric}`,
          notes: [],
        },
      ),
    );
  }
}

function _relative(from: string, path: string): string {
  return nodePath.relative(nodePath.resolve(from), path).split(nodePath.sep).join("/");
}

/**
 * Links and notes for the Figures section of summary.md.
 *
 * @param result What {@linkcode writeComparisonFigures} wrote.
 * @param directory Directory of summary.md; links are relative to it.
 * @returns Links in the order written, and the notes.
 */
export function summaryFigures(result: FiguresResult, directory: string): SummaryFigures {
  const links: FigureLink[] = result.files.map((file) => ({
    title: file.title,
    svg: _relative(directory, file.svg),
    png: file.png === null ? null : _relative(directory, file.png),
  }));
  return { links, notes: [...result.notes] };
}

/**
 * Copies of the records with each extractor's own learning-curve figure in its
 * `artifacts` ({@linkcode FIGURE_ARTIFACT_KEYS}, paths relative to `outputRoot`); stale
 * figure keys are removed from records without a figure. Records without artifacts
 * (failed, skipped) are returned unchanged.
 *
 * @param records Run records.
 * @param result What {@linkcode writeComparisonFigures} wrote.
 * @param outputRoot The summary's output_root (artifact paths are relative to it).
 * @returns Record copies.
 */
export function withFigureArtifacts(
  records: readonly ExtractorRunRecord[],
  result: FiguresResult,
  outputRoot: string,
): ExtractorRunRecord[] {
  const byName = new Map(
    result.files.filter((file) => file.kind === "learning_curve").map((file) => [
      file.extractor,
      file,
    ]),
  );
  return records.map((original) => {
    const record = structuredClone(original);
    if (record.artifacts === undefined) return record;
    delete record.artifacts[FIGURE_ARTIFACT_KEYS.svg];
    delete record.artifacts[FIGURE_ARTIFACT_KEYS.png];
    const file = byName.get(record.config_name);
    if (file !== undefined && record.status === "success") {
      record.artifacts[FIGURE_ARTIFACT_KEYS.svg] = _relative(outputRoot, file.svg);
      if (file.png !== null) {
        record.artifacts[FIGURE_ARTIFACT_KEYS.png] = _relative(outputRoot, file.png);
      }
    }
    return record;
  });
}
