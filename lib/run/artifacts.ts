/**
 * Per-extractor result files in `<run_dir>/extractors/<name>/`:
 * - `metrics.json`: one JSON object of finite numbers (the reference's file), written
 *   atomically;
 * - `eval_history.jsonl`: one evaluation per line
 *   `{"timestep":512,"mean_reward":-0.8,"std_reward":0.3,...}`, appended and flushed
 *   after each evaluation (a torn last line is tolerated on read).
 *
 * @module
 */
import * as nodePath from "node:path";
import { readInputFile } from "../internal/input_file.ts";
import { assertNoSymlinks } from "../internal/safe_path.ts";
import { writeJsonFileAtomic } from "../internal/atomic_write.ts";

/** File names inside an extractor directory (`<run_dir>/extractors/<name>/`). */
export const EXTRACTOR_FILES = {
  /** The policy at the end of training (standalone eval-mode ONNX). */
  finalModel: "final_model.onnx",
  /** The policy of the best evaluation (standalone eval-mode ONNX). */
  bestModel: "best_model.onnx",
  /** Folder of trainer checkpoints. */
  checkpoints: "checkpoints",
  /** Metrics of the finished extractor. */
  metrics: "metrics.json",
  /** One evaluation per line. */
  evalHistory: "eval_history.jsonl",
  /** One PPO update per line (SB3 logger keys). */
  trainLog: "train_log.jsonl",
  /** Settings and system the extractor was trained with. */
  resolvedSettings: "resolved_settings.json",
} as const;

/** File name of an extractor's metrics. */
export const METRICS_FILE_NAME: "metrics.json" = EXTRACTOR_FILES.metrics;
/** File name of an extractor's evaluation history. */
export const EVAL_HISTORY_FILE_NAME: "eval_history.jsonl" = EXTRACTOR_FILES.evalHistory;

/** One evaluation of a policy during training. */
export interface EvaluationPoint {
  /** Environment steps trained before the evaluation (integer >= 0). */
  timestep: number;
  /** Mean episode reward over the evaluation episodes. */
  mean_reward: number;
  /** Standard deviation of the episode reward (>= 0). */
  std_reward: number;
  /** Episodes evaluated. */
  n_episodes?: number;
  /** Mean episode length in steps. */
  mean_ep_length?: number;
  /** Fraction of episodes that reached the goal, in [0, 1]. */
  success_rate?: number;
}

function _isFiniteNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/**
 * Check a metrics object: every value a finite number.
 *
 * @param value Parsed metrics.json content.
 * @param source Where it came from, for messages.
 * @returns The same object, typed.
 * @throws {TypeError} Naming the first offending key.
 */
export function checkMetrics(value: unknown, source: string): Record<string, number> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${source}: metrics must be a JSON object of numbers`);
  }
  for (const [key, metric] of Object.entries(value)) {
    if (!_isFiniteNumber(metric)) {
      throw new TypeError(
        `${source}: metric "${key}" must be a finite number, got ${JSON.stringify(metric)}`,
      );
    }
  }
  return value as Record<string, number>;
}

/**
 * Write `metrics.json` into an extractor directory (atomic).
 *
 * @param extractorDir Absolute extractor directory.
 * @param metrics Finite numbers by name.
 * @returns Path of the written file.
 * @throws {TypeError} When a value is not a finite number.
 */
export async function writeMetricsFile(
  extractorDir: string,
  metrics: Readonly<Record<string, number>>,
): Promise<string> {
  const path = nodePath.join(extractorDir, METRICS_FILE_NAME);
  checkMetrics(metrics, path);
  await writeJsonFileAtomic(path, metrics);
  return path;
}

/**
 * Read and check a `metrics.json` file.
 *
 * @param path File path.
 * @returns Metrics by name.
 * @throws {Deno.errors.NotFound} When the file is missing.
 * @throws {SyntaxError} When it is not JSON.
 * @throws {TypeError} When a value is not a finite number.
 */
export async function readMetricsFile(path: string): Promise<Record<string, number>> {
  const bytes = await readInputFile(path, { kind: "json", nativeNotFound: true });
  return checkMetrics(JSON.parse(new TextDecoder().decode(bytes)), path);
}

/**
 * Check one evaluation point.
 *
 * @param value Parsed line.
 * @param source Where it came from, for messages.
 * @returns The typed point.
 * @throws {TypeError} Naming the offending field.
 */
export function checkEvaluationPoint(value: unknown, source: string): EvaluationPoint {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new TypeError(`${source}: an evaluation must be a JSON object`);
  }
  const point = value as Record<string, unknown>;
  if (!Number.isInteger(point.timestep) || (point.timestep as number) < 0) {
    throw new TypeError(`${source}: "timestep" must be an integer >= 0`);
  }
  if (!_isFiniteNumber(point.mean_reward)) {
    throw new TypeError(`${source}: "mean_reward" must be a finite number`);
  }
  if (!_isFiniteNumber(point.std_reward) || point.std_reward < 0) {
    throw new TypeError(`${source}: "std_reward" must be a finite number >= 0`);
  }
  for (const key of ["n_episodes", "mean_ep_length", "success_rate"]) {
    if (point[key] !== undefined && !_isFiniteNumber(point[key])) {
      throw new TypeError(`${source}: "${key}" must be a finite number when present`);
    }
  }
  return point as unknown as EvaluationPoint;
}

/**
 * Append one evaluation to `eval_history.jsonl` and flush it to disk.
 *
 * @param path History file (created when missing).
 * @param point The evaluation.
 * @throws {TypeError} When the point is invalid (nothing is written).
 */
export async function appendEvaluation(path: string, point: EvaluationPoint): Promise<void> {
  checkEvaluationPoint(point, path);
  await assertNoSymlinks(path);
  const file = await Deno.open(path, { append: true, create: true });
  try {
    const bytes = new TextEncoder().encode(`${JSON.stringify(point)}\n`);
    let offset = 0;
    while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
    await file.sync();
  } finally {
    file.close();
  }
}

/** Result of {@linkcode readEvalHistory}. */
export interface EvalHistoryContents {
  /** Evaluations in file order. */
  points: EvaluationPoint[];
  /** 1-based number of a skipped torn last line, or null. */
  tornLine: number | null;
}

/**
 * Read `eval_history.jsonl`. Complete lines must be valid; an unterminated last line
 * that does not parse is skipped and reported.
 *
 * @param path History file.
 * @returns Points and the torn line number.
 * @throws {Deno.errors.NotFound} When the file is missing.
 * @throws {TypeError} When a complete line is invalid (message names file and line).
 */
export async function readEvalHistory(path: string): Promise<EvalHistoryContents> {
  const bytes = await readInputFile(path, { kind: "jsonl", nativeNotFound: true });
  const lines = new TextDecoder().decode(bytes).split("\n");
  const last = lines.pop() as string;
  const points: EvaluationPoint[] = [];
  const parse = (text: string, line: number) => {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw new TypeError(`${path}:${line}: not valid JSON`);
    }
    return checkEvaluationPoint(value, `${path}:${line}`);
  };
  lines.forEach((text, index) => {
    if (text.trim() !== "") points.push(parse(text, index + 1));
  });
  let tornLine: number | null = null;
  if (last.trim() !== "") {
    try {
      points.push(parse(last, lines.length + 1));
    } catch {
      tornLine = lines.length + 1;
    }
  }
  return { points, tornLine };
}
