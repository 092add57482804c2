/**
 * What to record when one extractor's training throws: a one-line reason and an
 * actionable hint, by kind of error (the trainer's ExtractorRunError, running out of
 * memory, a full disk, an I/O error, a crashed worker, an ONNX Runtime error, anything
 * else). The comparison records the extractor as failed and continues with the next
 * one.
 *
 * Transient failures (a full disk, an I/O error, running out of memory, a crashed or
 * killed worker) say what happened, and their reasons start with one of
 * {@linkcode TRANSIENT_REASON_PREFIXES}: `resume` continues such an extractor from its
 * newest good checkpoint once the cause is gone ({@linkcode isTransientFailure}).
 * `resume --retry-failed` continues every other failure from its checkpoint too,
 * except a divergence ({@linkcode isDivergence}), which restarts from scratch.
 *
 * Also: logging a skipped extractor as a warning, a failed one as an error, each with
 * its name, reason and hint.
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
  | "no_space"
  | "io_error"
  | "onnxruntime"
  | "unexpected";

/** Start of the recorded reason of each transient kind (a record keeps only its reason). */
export const TRANSIENT_REASON_PREFIXES = {
  no_space: "no space left on device: ",
  io_error: "I/O error: ",
  out_of_memory: "out of memory: ",
  worker_crashed: "Extractor worker of ",
  env_worker_crashed: "env worker stopped: ",
} as const;

/**
 * Whether a failed record's reason is a transient failure (see the module
 * description): resume continues it from its newest good checkpoint.
 *
 * @param reason The record's reason.
 * @returns True for a full disk, an I/O error, running out of memory or a crashed worker.
 */
export function isTransientFailure(reason: string): boolean {
  return Object.values(TRANSIENT_REASON_PREFIXES).some((prefix) => reason.startsWith(prefix));
}

const _DIVERGENCE = /\bnon-finite\b|\bnot finite\b|\bNaN\b|\bInfinity\b/;

/**
 * Whether a failed record's reason is a divergence (a NaN or infinite loss, parameter,
 * output or reward): its checkpoints lead back to it, so `--retry-failed` restarts it
 * from scratch.
 *
 * @param reason The record's reason.
 * @returns True when the reason names a non-finite value.
 */
export function isDivergence(reason: string): boolean {
  return _DIVERGENCE.test(reason);
}

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
const _NO_SPACE = /no space left on device|ENOSPC|os error 28\b|disk quota exceeded|EDQUOT/i;
const _IO_ERROR = /input\/output error|\bEIO\b|os error 5\b|stale file handle|ESTALE/i;
const _ENV_WORKER_CRASHED = /\bEnv worker \d+ crashed\b/;
const _RESUME_LATER = "plain resume continues it from its newest checkpoint";
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
 * - ExtractorWorkerError (an extractor worker crashed or was killed): its message,
 *   with a hint to resume, to train the extractor alone or in the main thread;
 * - a full disk (ENOSPC, EDQUOT): "no space left on device: ..." with a hint to free
 *   space and resume;
 * - an I/O error (EIO, ESTALE): "I/O error: ..." with a hint to check the file system
 *   and resume;
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
      hint: "the extractor's worker stopped (run.log.jsonl has why); " +
        `${_RESUME_LATER}; if it recurs, ${alone}, or set run.parallel_extractors: 1 to ` +
        "train it in the main thread",
    };
  }
  if (_ENV_WORKER_CRASHED.test(message)) {
    return {
      kind: "worker_crashed",
      reason: `${TRANSIENT_REASON_PREFIXES.env_worker_crashed}${message}`,
      hint: "a worker stepping the environments stopped (run.log.jsonl has why); " +
        `${_RESUME_LATER}; if it recurs, ${alone}, or set run.worker_mode: single-thread`,
    };
  }
  if (_NO_SPACE.test(message)) {
    return {
      kind: "no_space",
      reason: `${TRANSIENT_REASON_PREFIXES.no_space}${message}`,
      hint: "free space (or quota) on the run directory's file system, then resume: " +
        _RESUME_LATER,
    };
  }
  if (_IO_ERROR.test(message)) {
    return {
      kind: "io_error",
      reason: `${TRANSIENT_REASON_PREFIXES.io_error}${message}`,
      hint: "the file system of the run directory reported an I/O error; check it (dmesg, " +
        `the storage's status), then resume: ${_RESUME_LATER}`,
    };
  }
  if (_OUT_OF_MEMORY.test(message)) {
    return {
      kind: "out_of_memory",
      reason: `${TRANSIENT_REASON_PREFIXES.out_of_memory}${message}`,
      hint: "reduce run.ppo.n_steps x run.num_envs (rollout size), run.ppo.batch_size or the " +
        `extractor's size, or close other programs; ${_RESUME_LATER}; ${alone}`,
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
