/**
 * The "Baseline Controllers" section of summary.md: social-navigation metrics of
 * the trained extractors beside the non-learning baseline controllers
 * (`baselines.json`), verdict sentences naming every extractor that does not beat
 * `goal_seeking`, the deterministic-evaluation pitfall, and links to each
 * extractor's rendered held-out episode.
 *
 * @module
 */
import * as nodePath from "node:path";
import type { ExtractorRunRecord } from "../run/models.ts";
import { readInputText } from "../internal/input_file.ts";
import { BASELINE_SECTION } from "./markdown.ts";

/** File of the baseline controllers' results in a run directory. */
export const BASELINES_FILE = "baselines.json";
/** An extractor's rendered held-out episode, in its directory. */
export const HELD_OUT_EPISODE_FILE = "heldout_episode.svg";

/** The navigation metrics of one row. */
export type NavigationRow = Record<string, number | null>;

/** Contents of `baselines.json` that the summary uses. */
export interface BaselinesFile {
  /** Map evaluated. */
  map: string;
  /** Held-out seeds used. */
  held_out_seeds: { start: number; count: number };
  /** Aggregate metrics per controller. */
  controllers: Record<string, { metrics: NavigationRow }>;
}

/** What the section shows. */
export interface NavigationSection {
  /** Markdown lines (heading included). */
  lines: string[];
  /** Verdict sentences (one per extractor that does not beat goal_seeking). */
  verdict: string[];
}

const COLUMNS: [string, string][] = [
  ["success_rate", "Success"],
  ["collision_rate", "Collision"],
  ["timeout_rate", "Timeout"],
  ["mean_time_to_goal", "Time to Goal (s)"],
  ["path_efficiency", "Path Efficiency"],
  ["near_miss_rate", "Near Miss"],
  ["snqi", "SNQI"],
  ["mean_return", "Return"],
];

/**
 * Read `baselines.json` of a run; null when absent or unreadable.
 * @param runDir Run directory.
 */
export async function readBaselines(runDir: string): Promise<BaselinesFile | null> {
  try {
    const data = JSON.parse(
      await readInputText(nodePath.join(runDir, BASELINES_FILE), { kind: "json" }),
    );
    if (data?.format !== "multi-extractor-baselines" || typeof data.controllers !== "object") {
      return null;
    }
    return data as BaselinesFile;
  } catch {
    return null;
  }
}

/** An extractor's navigation metrics: held-out ones (`heldout_` keys) when present. */
function _extractorRow(record: ExtractorRunRecord): { row: NavigationRow; heldOut: boolean } {
  const m = record.metrics ?? {};
  const heldOut = "heldout_success_rate" in m;
  const row: NavigationRow = {};
  for (const [key] of COLUMNS) {
    const value = heldOut
      ? m[`heldout_${key}`]
      : key === "mean_return"
      ? m.last_mean_reward
      : m[key];
    row[key] = typeof value === "number" && Number.isFinite(value) ? value : null;
  }
  return { row, heldOut };
}

function _value(v: number | null | undefined): string {
  return v === null || v === undefined ? "N/A" : Number.isInteger(v) ? String(v) : v.toFixed(3);
}

/**
 * Whether `row` beats `reference`: a higher success rate, or the same non-zero
 * success rate and a higher SNQI. With no success on either side nothing is beaten:
 * SNQI alone would rank a robot that never moves above a controller that tries and
 * fails (its time and collision terms are smaller).
 */
export function beats(row: NavigationRow, reference: NavigationRow): boolean {
  const s = row.success_rate ?? 0, r = reference.success_rate ?? 0;
  if (s !== r) return s > r;
  if (s === 0) return false;
  return (row.snqi ?? -Infinity) > (reference.snqi ?? -Infinity);
}

/**
 * Build the section, or null when there is neither a baseline nor a navigation
 * metric to show.
 * @param records The run's extractor records.
 * @param baselines `baselines.json`, or null.
 * @param links Held-out episode renders by extractor, paths relative to summary.md.
 */
export function navigationSection(
  records: readonly ExtractorRunRecord[],
  baselines: BaselinesFile | null,
  links: Readonly<Record<string, string>>,
): NavigationSection | null {
  const groups = _groups(records);
  if (baselines === null && groups.length === 0) return null;
  const lines = [BASELINE_SECTION, ""];
  const rows: [string, string, NavigationRow][] = [];
  for (const g of groups) {
    const counts = [...new Set(g.episodes)].sort((a, b) => a - b);
    const episodes = counts.length === 0
      ? ""
      : `, ${counts.length === 1 ? counts[0] : `${counts[0]}-${counts.at(-1)}`} episodes`;
    const what = g.heldOut ? `held-out${episodes}` : "last evaluation";
    const seeds = g.trials > 1 ? `, mean of ${g.trials} seeds` : "";
    rows.push([g.name, `trained (${what}${seeds})`, g.row]);
  }
  for (const [name, c] of Object.entries(baselines?.controllers ?? {})) {
    rows.push([name, "baseline controller", c.metrics]);
  }
  if (baselines !== null) {
    const { start, count } = baselines.held_out_seeds;
    lines.push(
      `Baseline controllers ran ${count} held-out episodes (env seeds ${start}..${
        start + count - 1
      }) on map ${baselines.map}; rates are fractions of episodes, SNQI as robot_sf (docs/evaluation.md).`,
    );
  } else {
    lines.push("Baseline controllers were not evaluated in this run (evaluation.baselines).");
  }
  if (groups.some((g) => !g.heldOut)) {
    lines.push(
      'Rows marked "last evaluation" show the last periodic evaluation (run.n_eval_episodes episodes from run.seed), not the held-out episodes.',
    );
  }
  lines.push("");
  lines.push(`| Policy | Kind | ${COLUMNS.map(([, h]) => h).join(" | ")} |`);
  lines.push(`| --- | --- | ${COLUMNS.map(() => "---").join(" | ")} |`);
  for (const [name, kind, row] of rows) {
    lines.push(`| ${name} | ${kind} | ${COLUMNS.map(([k]) => _value(row[k])).join(" | ")} |`);
  }
  lines.push("");
  const verdict: string[] = [];
  const goal = baselines?.controllers.goal_seeking?.metrics;
  if (goal !== undefined) {
    for (const g of groups) {
      if (!beats(g.row, goal)) {
        verdict.push(
          `${g.name} does not beat the goal_seeking controller (success ${
            _value(g.row.success_rate)
          } vs ${_value(goal.success_rate)}, SNQI ${_value(g.row.snqi)} vs ${_value(goal.snqi)}).`,
        );
      }
    }
  }
  for (const sentence of verdict) lines.push(`- Verdict: ${sentence}`);
  for (const g of groups) {
    if (g.still === 0) continue;
    const trials = g.trials > 1 ? ` (${g.still} of ${g.trials} seeds)` : "";
    lines.push(
      `- Note: ${g.name}'s deterministic policy (action means) never moved the robot in its last evaluation${trials}${
        g.stillMoving > 0
          ? ", while its sampled actions do: its success is understated by deterministic evaluation (set evaluation.deterministic: false to evaluate sampled actions)"
          : ", nor did its sampled actions"
      }.`,
    );
  }
  const rendered = Object.entries(links);
  if (rendered.length > 0) {
    lines.push(
      `- Held-out episode (animated SVG): ${
        rendered.map(([name, path]) => `[${name}](${path.replace(/[ ()]/g, encodeURIComponent)})`)
          .join(", ")
      }`,
    );
  }
  if (lines.at(-1) !== "") lines.push("");
  return { lines, verdict };
}

interface _Group {
  name: string;
  trials: number;
  heldOut: boolean;
  /** Mean over the trials of each metric (null when no trial has it). */
  row: NavigationRow;
  /** Held-out episodes of each trial that records them (`heldout_episodes`). */
  episodes: number[];
  /** Trials whose deterministic policy never moved, and of those, trials whose samples moved. */
  still: number;
  stillMoving: number;
}

/** Successful trials with navigation metrics, grouped by extractor in run order. */
function _groups(records: readonly ExtractorRunRecord[]): _Group[] {
  const byName = new Map<string, ExtractorRunRecord[]>();
  for (const r of records) {
    if (r.status !== "success" || r.metrics?.success_rate === undefined) continue;
    const list = byName.get(r.config_name) ?? [];
    list.push(r);
    byName.set(r.config_name, list);
  }
  return [...byName].map(([name, trials]) => {
    const rows = trials.map(_extractorRow);
    const heldOut = rows.every((r) => r.heldOut);
    const row: NavigationRow = {};
    for (const [key] of COLUMNS) {
      const values = rows.map((r) => r.row[key]).filter((v): v is number => v !== null);
      row[key] = values.length === 0 ? null : values.reduce((a, b) => a + b, 0) / values.length;
    }
    const still = trials.filter((t) => t.metrics?.deterministic_policy_still === 1);
    return {
      name,
      trials: trials.length,
      heldOut,
      row,
      episodes: trials.map((t) => t.metrics?.heldout_episodes).filter((v): v is number =>
        typeof v === "number" && Number.isFinite(v)
      ),
      still: still.length,
      stillMoving: still.filter((t) => t.metrics?.sampled_policy_moves === 1).length,
    };
  });
}

/**
 * Held-out episode renders of a run's extractors that exist on disk.
 * @param runDir Run directory.
 * @param outDir Directory of summary.md (links are relative to it).
 * @param records The records (their `artifacts.extractor_dir`).
 */
export async function heldOutEpisodeLinks(
  runDir: string,
  outDir: string,
  records: readonly ExtractorRunRecord[],
): Promise<Record<string, string>> {
  const links: Record<string, string> = {};
  for (const record of records) {
    const dir = record.artifacts?.extractor_dir;
    if (record.status !== "success" || dir === undefined) continue;
    const file = nodePath.resolve(runDir, dir, HELD_OUT_EPISODE_FILE);
    if (record.config_name in links) continue; // one render per extractor (its first trial)
    try {
      await Deno.stat(file);
      links[record.config_name] = nodePath.relative(outDir, file).split(nodePath.sep).join("/");
    } catch {
      // not rendered
    }
  }
  return links;
}
