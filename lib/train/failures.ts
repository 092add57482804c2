/**
 * What to record when one extractor's training throws: a one-line reason and an
 * actionable hint, by kind of error (the trainer's ExtractorRunError, running out of
 * memory, an ONNX Runtime error, anything else). The comparison records the extractor
 * as failed and continues with the next one; and logging a skipped extractor as a
 * warning, a failed one as an error, each with its name, reason and hint.
 *
 * @module
 */
import type { Logger } from "../log/mod.ts";

/** What to tell the user about a skipped or failed extractor. */
export interface ExtractorProblem {
  /** Why it was skipped or failed. */
  reason: string;
  /** What the user can do about it. */
  hint: string;
}

/**
 * Log a skipped extractor as a warning with its name, reason and hint.
 *
 * @param logger Logger to use.
 * @param extractor Extractor name.
 * @param problem Reason and hint.
 */
export function logExtractorSkipped(
  logger: Logger,
  extractor: string,
  problem: ExtractorProblem,
): void {
  logger.warn("Extractor {extractor} skipped: {reason} (hint: {hint})", {
    extractor,
    reason: problem.reason,
    hint: problem.hint,
  });
}

/**
 * Log a failed extractor as an error with its name, reason and hint.
 *
 * @param logger Logger to use.
 * @param extractor Extractor name.
 * @param problem Reason and hint.
 */
export function logExtractorFailed(
  logger: Logger,
  extractor: string,
  problem: ExtractorProblem,
): void {
  logger.error("Extractor {extractor} failed: {reason} (hint: {hint})", {
    extractor,
    reason: problem.reason,
    hint: problem.hint,
  });
}
/** Reason of the failed record of an extractor stopped by SIGINT/SIGTERM. */
export const INTERRUPTED_REASON = "interrupted";

/** Kinds of training failure {@linkcode describeFailure} tells apart. */
export type FailureKind =
  | "extractor"
  | "worker_crashed"
  | "out_of_memory"
  | "onnxruntime"
  | "unexpected";

/** A failure with its kind. */
export interface FailureDescription extends ExtractorProblem {
  /** Kind of error. */
  kind: FailureKind;
}

/** Options of {@linkcode describeFailure}. */
export interface DescribeFailureOptions {
  /** Extractor name, used in the hint (`--only <name>`). */
  extractor: string;
}

const _OUT_OF_MEMORY =
  /array buffer allocation failed|out of memory|invalid typed array length|invalid array length|bad_alloc|failed to allocate|allocation failed/i;
const _ORT = /onnxruntime|\bORT\b|non-zero status code|ort_|execution provider|InferenceSession/i;

function _firstLine(text: string): string {
  return text.split("\n").map((line) => line.trim()).find((line) => line !== "") ?? "";
}

function _message(error: unknown): string {
  if (error instanceof Error) return _firstLine(error.message) || error.name;
  if (typeof error === "string") return _firstLine(error) || "unknown error";
  try {
    return _firstLine(JSON.stringify(error) ?? String(error)) || "unknown error";
  } catch {
    return String(error);
  }
}

/**
 * Whether `error` carries the trainer's own reason and hint (an ExtractorRunError from
 * lib/rl, recognised by name and fields so that copies from other module instances
 * count too).
 */
function _extractorRunError(error: unknown): ExtractorProblem | null {
  if (!(error instanceof Error) || error.name !== "ExtractorRunError") return null;
  const { reason, hint } = error as Error & { reason?: unknown; hint?: unknown };
  if (typeof reason !== "string" || reason === "") return null;
  return { reason, hint: typeof hint === "string" && hint !== "" ? hint : "" };
}

/**
 * Reason and hint for an error thrown while training one extractor:
 * - ExtractorRunError (NaN/Inf loss, parameter or reward, ...): its own reason and hint;
 * - ExtractorWorkerError (an extractor worker crashed): its message, with a hint to
 *   train the extractor alone or in the main thread;
 * - out of memory (`RangeError: Array buffer allocation failed`, ONNX Runtime's
 *   allocation failures): "out of memory: ..." with a hint to shrink the rollout,
 *   the minibatch or the extractor, or to run it alone;
 * - ONNX Runtime errors: "ONNX Runtime error: ..." with a hint about the session;
 * - anything else: "<ErrorName>: <first line>" and a hint pointing to run.log.jsonl.
 *
 * @param error What was thrown.
 * @param options Extractor name for the hints.
 * @returns Kind, reason (one line, non-empty) and hint.
 */
export function describeFailure(
  error: unknown,
  options: DescribeFailureOptions,
): FailureDescription {
  const alone = `run it alone with --only ${options.extractor} --verbose`;
  const own = _extractorRunError(error);
  if (own !== null) {
    return {
      kind: "extractor",
      reason: own.reason,
      hint: own.hint || `check the extractor's parameters and run.ppo settings; ${alone}`,
    };
  }
  const message = _message(error);
  const name = error instanceof Error ? error.name : "Error";
  if (name === "ExtractorWorkerError") {
    return {
      kind: "worker_crashed",
      reason: message,
      hint: "the extractor's worker stopped with an uncaught error (run.log.jsonl has it); " +
        `${alone}, or set run.parallel_extractors: 1 to train it in the main thread`,
    };
  }
  if (_OUT_OF_MEMORY.test(message)) {
    return {
      kind: "out_of_memory",
      reason: `out of memory: ${message}`,
      hint: "reduce run.ppo.n_steps x run.num_envs (rollout size), run.ppo.batch_size or the " +
        `extractor's size, or close other programs; ${alone}`,
    };
  }
  if (_ORT.test(message) || _ORT.test(name)) {
    return {
      kind: "onnxruntime",
      reason: `ONNX Runtime error: ${message}`,
      hint: "the network's ONNX Runtime session failed; check run.device and the extractor's " +
        `parameters, then ${alone} (run.log.jsonl has the full error)`,
    };
  }
  return {
    kind: "unexpected",
    reason: `${name}: ${message}`,
    hint: `this looks like a bug; run.log.jsonl has the stack trace; ${alone} and report it`,
  };
}
