/**
 * Vega-Lite specifications of the comparison figures, as pure functions of the data:
 * learning curves (evaluation mean reward vs training timesteps, a band of one
 * standard deviation, a point per evaluation) and final-metric bars.
 *
 * Scales are explicit so a figure can be checked pixel by pixel:
 * - x (timesteps): domain [0, max plotted timestep] (at least [0, 1]), not rounded;
 * - y (reward): domain [lo - 5% span, hi + 5% span] with lo = min(mean - std) and
 *   hi = max(mean + std) over the plotted points (span 1 when lo = hi), not rounded.
 * Bars start at zero, so bar lengths are proportional to the values.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import type { EvaluationPoint } from "../run/artifacts.ts";

/** Colours of the extractors, in run order (Tableau 10, the Vega default), cycled. */
export const EXTRACTOR_PALETTE: readonly string[] = Object.freeze([
  "#4c78a8",
  "#f58518",
  "#e45756",
  "#72b7b2",
  "#54a24b",
  "#eeca3b",
  "#b279a2",
  "#ff9da6",
  "#9d755d",
  "#bab0ac",
]);

/** Fraction of the reward span added above and below the learning-curve data. */
export const REWARD_DOMAIN_PADDING = 0.05;

/** One extractor's learning curve. */
export interface CurveSeries {
  /** Extractor name. */
  name: string;
  /** Its colour. */
  color: string;
  /** Evaluations, sorted by timestep. */
  points: readonly EvaluationPoint[];
}

/** Size and text shared by the spec builders. */
export interface SpecLayout {
  /** Plot area width, px. */
  width: number;
  /** Plot area height, px. */
  height: number;
  /** Font families, CSS list. */
  font: string;
  /** Title. */
  title: string;
  /** Subtitle lines (notes about missing data). */
  notes: readonly string[];
}

/**
 * x and y domains of learning curves (see the module doc).
 *
 * @param series Curves with at least one point in total.
 * @returns `x: [0, max timestep]`, `y: [lo, hi]` padded.
 */
export function curveDomains(series: readonly CurveSeries[]): {
  x: [number, number];
  y: [number, number];
} {
  let maxT = 0;
  let lo = Infinity;
  let hi = -Infinity;
  for (const { points } of series) {
    for (const p of points) {
      maxT = Math.max(maxT, p.timestep);
      lo = Math.min(lo, p.mean_reward - p.std_reward);
      hi = Math.max(hi, p.mean_reward + p.std_reward);
    }
  }
  const span = hi > lo ? hi - lo : 1;
  const pad = span * REWARD_DOMAIN_PADDING;
  const [low, high] = hi > lo ? [lo, hi] : [lo - 0.5, hi + 0.5];
  return { x: [0, maxT > 0 ? maxT : 1], y: [low - pad, high + pad] };
}

function _title(layout: SpecLayout) {
  return layout.notes.length === 0
    ? { text: layout.title, anchor: "start" as const }
    : { text: layout.title, subtitle: [...layout.notes], anchor: "start" as const };
}

function _config(font: string) {
  return {
    font,
    view: { stroke: "#ddd" },
    axis: { labelFontSize: 11, titleFontSize: 12 },
    legend: { labelFontSize: 11, titleFontSize: 12, labelLimit: 0 },
    title: { fontSize: 14, subtitleFontSize: 11, subtitleColor: "#555" },
  };
}

/**
 * Learning curves: one line per series (mean reward), a band mean ± std, a point per
 * evaluation (so a single evaluation still shows), colour per extractor.
 *
 * Data rows: `{extractor, timestep, mean_reward, std_reward, lower, upper}`.
 *
 * @param series Curves (non-empty, each with at least one point).
 * @param layout Size, font, title, notes; `legend` false hides the colour legend.
 * @returns A Vega-Lite spec with inline data.
 */
export function learningCurveSpec(
  series: readonly CurveSeries[],
  layout: SpecLayout & { legend: boolean },
): TopLevelSpec {
  const domains = curveDomains(series);
  const values = series.flatMap(({ name, points }) =>
    points.map((p) => ({
      extractor: name,
      timestep: p.timestep,
      mean_reward: p.mean_reward,
      std_reward: p.std_reward,
      lower: p.mean_reward - p.std_reward,
      upper: p.mean_reward + p.std_reward,
    }))
  );
  const x = {
    field: "timestep",
    type: "quantitative" as const,
    title: "Training timesteps (env steps)",
    scale: { domain: domains.x, nice: false, zero: true },
  };
  const y = {
    field: "mean_reward",
    type: "quantitative" as const,
    title: "Eval reward, mean ± 1 std",
    scale: { domain: domains.y, nice: false, zero: false },
  };
  const color = {
    ..._extractorColor(series),
    legend: layout.legend
      ? { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolOpacity: 1 }
      : null,
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: _title(layout),
    width: layout.width,
    height: layout.height,
    background: "white",
    data: { values },
    layer: [
      {
        name: "curve_band",
        mark: { type: "area", opacity: 0.18 },
        encoding: {
          x,
          y: { ...y, field: "lower" },
          y2: { field: "upper" },
          color,
        },
      },
      {
        name: "curve_line",
        mark: { type: "line", strokeWidth: 2 },
        encoding: {
          x,
          y,
          color,
        },
      },
      {
        name: "curve_point",
        mark: { type: "point", filled: true, size: 36, opacity: 1 },
        encoding: {
          x,
          y,
          color,
          tooltip: [
            { field: "extractor", type: "nominal" },
            { field: "timestep", type: "quantitative", title: "timestep (env steps)" },
            { field: "mean_reward", type: "quantitative", format: ".3f" },
            { field: "std_reward", type: "quantitative", format: ".3f" },
          ],
        },
      },
    ],
    config: _config(layout.font),
  } as TopLevelSpec;
}

/**
 * The text layer writing each bar's value past its end (right of a value >= 0, left of
 * a negative one), marks `values_<panel>_marks`.
 */
function _valueLabels(id: string, encoding: Record<string, unknown>): Record<string, unknown> {
  return {
    name: `values_${id}`,
    mark: {
      type: "text",
      align: { expr: "datum.value < 0 ? 'right' : 'left'" },
      dx: { expr: "datum.value < 0 ? -3 : 3" },
      baseline: "middle",
      color: "#333333",
    },
    encoding: { ...encoding, text: { field: "value", type: "quantitative", format: ".3~f" } },
  };
}

/** Fill of the statistic legend's swatches (opacity per statistic, as the bars). */
const _LEGEND_SWATCH = "#4c4c4c";

/** One bar of the final-metrics figure. */
export interface BarValue {
  /** Extractor name. */
  extractor: string;
  /** Statistic within a grouped panel ("Best", "Last"), or "" for a plain panel. */
  statistic: string;
  /** Bar value in the panel's unit. */
  value: number;
}

/** One panel of the final-metrics figure. */
export interface BarPanel {
  /** Panel name; its bars are the marks named `bars_<id>_marks`. */
  id: string;
  /** Panel title. */
  title: string;
  /** y axis title with unit. */
  axisTitle: string;
  /** Bars (extractors in run order). */
  bars: readonly BarValue[];
  /** Statistics shown side by side per extractor (grouped panel); empty = one bar each. */
  statistics: readonly string[];
  /** Fixed y domain, e.g. [0, 1] for rates; undefined = from zero to the data. */
  domain?: [number, number];
}

/**
 * Final metrics: panels stacked vertically, one horizontal bar per extractor (grouped
 * by statistic where a panel has several), colour per extractor, statistics told apart
 * by opacity. Extractor names read horizontally on the y axis, however long.
 *
 * @param panels Panels with at least one bar each.
 * @param extractors Extractor names and colours, in run order.
 * @param layout Font, title, notes; `width` is the panel width, `height` the thickness
 * of one bar (px).
 * @returns A Vega-Lite spec with inline data.
 */
export function finalMetricsSpec(
  panels: readonly BarPanel[],
  extractors: readonly { name: string; color: string }[],
  layout: SpecLayout,
): TopLevelSpec {
  const names = extractors.map((e) => e.name);
  const color = {
    field: "extractor",
    type: "nominal" as const,
    scale: { domain: names, range: extractors.map((e) => e.color) },
    legend: null,
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: _title(layout),
    background: "white",
    spacing: 28,
    vconcat: panels.map((panel) => {
      const grouped = panel.statistics.length > 1;
      const encoding: Record<string, unknown> = {
        y: {
          field: "extractor",
          type: "nominal",
          sort: names,
          scale: { domain: names, paddingInner: 0.25 },
          title: null,
          axis: { labelLimit: 0 },
        },
        x: {
          field: "value",
          type: "quantitative",
          title: panel.axisTitle,
          axis: { tickCount: 5 },
          scale: panel.domain === undefined
            ? { zero: true, nice: true }
            : { domain: panel.domain, zero: true },
        },
        color,
        tooltip: [
          { field: "extractor", type: "nominal" },
          ...(grouped ? [{ field: "statistic", type: "nominal" }] : []),
          { field: "value", type: "quantitative", format: ".4~f", title: panel.axisTitle },
        ],
      };
      if (grouped) {
        encoding.yOffset = { field: "statistic", type: "nominal", sort: [...panel.statistics] };
        encoding.opacity = {
          field: "statistic",
          type: "ordinal",
          sort: [...panel.statistics],
          title: null,
          scale: {
            domain: [...panel.statistics],
            range: panel.statistics.map((_, i) => 1 - 0.55 * i / (panel.statistics.length - 1)),
          },
          // Swatches drawn like the bars: filled squares, no outline.
          legend: {
            orient: "top",
            direction: "horizontal",
            offset: 4,
            symbolType: "square",
            symbolFillColor: _LEGEND_SWATCH,
            symbolStrokeWidth: 0,
          },
        };
      }
      // The value beside each bar, so a bar of length zero still shows (as "0").
      const { color: _color, opacity: _opacity, ...labelEncoding } = encoding;
      return {
        title: { text: panel.title, anchor: "start" },
        width: layout.width,
        height: { step: layout.height },
        data: { values: panel.bars.map((bar) => ({ ...bar })) },
        layer: [
          { name: `bars_${panel.id}`, mark: { type: "bar" }, encoding },
          _valueLabels(panel.id, labelEncoding),
        ],
      };
    }),
    resolve: { scale: { x: "independent", opacity: "independent" } },
    config: _config(layout.font),
  } as unknown as TopLevelSpec;
}

/** One extractor's learning curve aggregated over seeds. */
export interface AggregateCurveSeries {
  /** Extractor name. */
  name: string;
  /** Its colour. */
  color: string;
  /** Points by timestep: IQM over seeds and its bootstrap interval. */
  points: readonly {
    timestep: number;
    iqm: number;
    ci: readonly [number, number];
    seeds: number;
  }[];
}

/**
 * Learning curves aggregated over seeds: per extractor a line through the IQM of the
 * evaluation mean reward and a band of its bootstrap interval, one colour per extractor.
 *
 * @param series Curves (non-empty, each with at least one point).
 * @param layout Size, font, title, notes.
 * @returns A Vega-Lite spec with inline data.
 */
export function aggregateCurveSpec(
  series: readonly AggregateCurveSeries[],
  layout: SpecLayout,
): TopLevelSpec {
  const values = series.flatMap(({ name, points }) =>
    points.map((p) => ({
      extractor: name,
      timestep: p.timestep,
      iqm: p.iqm,
      lower: p.ci[0],
      upper: p.ci[1],
      seeds: p.seeds,
    }))
  );
  const lo = Math.min(...values.map((v) => v.lower));
  const hi = Math.max(...values.map((v) => v.upper));
  const span = hi > lo ? hi - lo : 1;
  const pad = span * REWARD_DOMAIN_PADDING;
  const maxT = Math.max(1, ...values.map((v) => v.timestep));
  const x = {
    field: "timestep",
    type: "quantitative" as const,
    title: "Training timesteps (env steps)",
    scale: { domain: [0, maxT], nice: false, zero: true },
  };
  const y = {
    field: "iqm",
    type: "quantitative" as const,
    title: "Eval reward, IQM over seeds (band: bootstrap CI)",
    scale: {
      domain: hi > lo ? [lo - pad, hi + pad] : [lo - 0.5, hi + 0.5],
      nice: false,
      zero: false,
    },
  };
  const color = {
    ..._extractorColor(series),
    legend: { symbolType: "stroke", symbolStrokeWidth: 2.5, symbolOpacity: 1 },
  };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: _title(layout),
    width: layout.width,
    height: layout.height,
    background: "white",
    data: { values },
    layer: [
      {
        name: "iqm_band",
        mark: { type: "area", opacity: 0.18 },
        encoding: { x, y: { ...y, field: "lower" }, y2: { field: "upper" }, color },
      },
      { name: "iqm_line", mark: { type: "line", strokeWidth: 2 }, encoding: { x, y, color } },
      {
        name: "iqm_point",
        mark: { type: "point", filled: true, size: 30, opacity: 1 },
        encoding: { x, y, color },
      },
    ],
    config: _config(layout.font),
  } as TopLevelSpec;
}

/** One extractor's performance profile. */
export interface ProfileSeries {
  /** Extractor name. */
  name: string;
  /** Its colour. */
  color: string;
  /** Fraction of trials scoring above each threshold. */
  fractions: readonly number[];
}

/**
 * Performance profile (Agarwal et al. 2021, fig. 5): for each threshold tau on the
 * x axis, the fraction of trials whose held-out score exceeds tau, a step line per
 * extractor.
 *
 * @param metric Metric name (x axis title).
 * @param thresholds Thresholds, ascending.
 * @param series Profiles (one fraction per threshold).
 * @param layout Size, font, title, notes.
 * @returns A Vega-Lite spec with inline data.
 */
export function performanceProfileSpec(
  metric: string,
  thresholds: readonly number[],
  series: readonly ProfileSeries[],
  layout: SpecLayout,
): TopLevelSpec {
  const values = series.flatMap(({ name, fractions }) =>
    thresholds.map((tau, i) => ({ extractor: name, tau, fraction: fractions[i] }))
  );
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v6.json",
    title: _title(layout),
    width: layout.width,
    height: layout.height,
    background: "white",
    data: { values },
    mark: { type: "line", interpolate: "step-after", strokeWidth: 2 },
    encoding: {
      x: {
        field: "tau",
        type: "quantitative",
        title: `Held-out ${metric} threshold τ`,
        scale: { domain: [thresholds[0], thresholds.at(-1)], nice: false, zero: false },
      },
      y: {
        field: "fraction",
        type: "quantitative",
        title: `Fraction of trials with ${metric} > τ`,
        scale: { domain: [0, 1] },
      },
      color: _extractorColor(series),
    },
    config: _config(layout.font),
  } as TopLevelSpec;
}

/**
 * The colour encoding every figure shares: one fixed colour per extractor, in the
 * series' order, so an extractor looks the same in every figure of a comparison.
 */
function _extractorColor(series: readonly { name: string; color: string }[]) {
  return {
    field: "extractor",
    type: "nominal" as const,
    title: "Extractor",
    scale: { domain: series.map((s) => s.name), range: series.map((s) => s.color) },
    sort: series.map((s) => s.name),
  };
}
