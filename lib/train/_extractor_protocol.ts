/**
 * Messages between the main thread and an extractor worker (see
 * `extractor_worker.ts`). The main thread sends one `start`, then `abort` on
 * interruption and the answers to manifest requests; the worker sends manifest
 * requests (it holds no manifest writer), progress, and one `done` or `failed`.
 *
 * @module
 */
import type { ScenarioSettings } from "../config/scenario.ts";
import type { ExecutionProviderProbe } from "../nn/session.ts";
import type { ExtractorConfigurationProfile } from "../config/profile.ts";
import type { ManifestEventInput } from "../run/manifest.ts";
import type { ForwardedLogRecord, TrainingProgress } from "../log/mod.ts";
import type { TrainExtractorResult } from "./train_extractor.ts";

/** An error as it crosses the worker boundary, with ExtractorRunError's fields. */
export interface _WireError {
  name: string;
  message: string;
  stack?: string;
  /** ExtractorRunError's one-line reason. */
  reason?: string;
  /** ExtractorRunError's hint. */
  hint?: string;
  /** Env step the error happened at. */
  step?: number;
}

/** The one message that starts training in a worker. */
export interface _StartMessage {
  type: "start";
  profile: ExtractorConfigurationProfile;
  settings: ScenarioSettings;
  extractorDir: string;
  runDir: string;
  /** Trainer checkpoint to continue from, or null for a fresh start. */
  resumeFrom: string | null;
  /** Vectorized mode: env workers of a WorkerVecEnv; null: lib/sim's in-thread VecEnv. */
  envWorkers: number | null;
  /** Whether to send progress messages. */
  progress: boolean;
  /** trainExtractor's `prefetchMasks`. */
  prefetchMasks: boolean;
  /** The main thread's execution provider probe, or null to probe in the worker. */
  executionProviders: ExecutionProviderProbe | null;
}

/** Messages from the main thread to an extractor worker. */
export type _ToExtractorWorker =
  | _StartMessage
  | { type: "abort" }
  | { type: "manifest-done"; id: number }
  | { type: "manifest-failed"; id: number; error: _WireError };

/** Messages from an extractor worker to the main thread. */
export type _FromExtractorWorker =
  | { type: "manifest"; id: number; event: ManifestEventInput }
  | { type: "progress"; progress: TrainingProgress }
  | { type: "log"; record: ForwardedLogRecord }
  | { type: "done"; result: TrainExtractorResult }
  | { type: "failed"; error: _WireError };

/** Flatten an error for postMessage, keeping ExtractorRunError's reason, hint and step. */
export function _toWire(error: unknown): _WireError {
  if (!(error instanceof Error)) return { name: "Error", message: String(error) };
  const wire: _WireError = { name: error.name, message: error.message, stack: error.stack };
  const { reason, hint, step } = error as Error & {
    reason?: unknown;
    hint?: unknown;
    step?: unknown;
  };
  if (typeof reason === "string") wire.reason = reason;
  if (typeof hint === "string") wire.hint = hint;
  if (typeof step === "number") wire.step = step;
  return wire;
}

/**
 * Rebuild an error that crossed the boundary: an Error with the original name,
 * message and fields (describeFailure recognises ExtractorRunError by name and fields).
 */
export function _fromWire(wire: _WireError): Error {
  const error = new Error(wire.message) as Error & Record<string, unknown>;
  error.name = wire.name;
  if (wire.reason !== undefined) error.reason = wire.reason;
  if (wire.hint !== undefined) error.hint = wire.hint;
  if (wire.step !== undefined) error.step = wire.step;
  if (wire.stack) error.stack = `${wire.stack}\n    [in extractor worker]`;
  return error;
}
