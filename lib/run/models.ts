/**
 * Typed models of a multi-extractor run: the hardware profile of a host, the per-extractor run record and the run summary.
 * Field names are the JSON names of summary.json (contracts/training_summary.schema.json),
 * so the objects serialise as they are.
 *
 * @module
 */
import { formatSchemaIssues, validateHardwareProfile, validateRunRecord } from "./schemas.ts";

/** Outcome of one extractor. */
export type RunStatus = "success" | "failed" | "skipped";

/** How environments are stepped: one env in-process, or several in workers. */
export type WorkerMode = "single-thread" | "vectorized";

/** Snapshot of the machine that ran (part of) a comparison. */
export interface HardwareProfile {
  /** Operating system name and version, e.g. "Debian GNU/Linux 12 (linux 6.1.0)". */
  platform: string;
  /** CPU architecture, e.g. "x86_64". */
  arch: string;
  /** The runtime and its version ("deno 2.9.6"); the name is kept from the reference. */
  python_version: string;
  /** Runtime name ("deno"). */
  runtime?: string;
  /** Deno version, e.g. "2.9.6". */
  deno_version?: string;
  /** V8 version. */
  v8_version?: string;
  /** TypeScript version bundled with Deno. */
  typescript_version?: string;
  /** Environment workers the run uses (>= 1). */
  workers: number;
  /** Trials the run trains at the same time (>= 1). */
  parallel_extractors?: number;
  /** GPU model; present exactly when cuda_version is. */
  gpu_model?: string;
  /** CUDA version the driver supports; present exactly when gpu_model is. */
  cuda_version?: string;
  /** Host name, to tell hosts apart in merged comparisons. */
  hostname?: string;
  /** CPU model. */
  cpu_model?: string;
  /** Physical CPU cores. */
  physical_cores?: number;
  /** Logical CPU cores (hardware threads). */
  logical_cores?: number;
  /** Total memory in bytes. */
  memory_bytes?: number;
  /** onnxruntime-node version. */
  onnxruntime_version?: string;
  /** ONNX Runtime execution providers that could create a session ("cpu", "cuda"). */
  execution_providers?: string[];
}

/** What happened to one extractor entry. */
export interface ExtractorRunRecord {
  /** Extractor entry name from the scenario. */
  config_name: string;
  /** Outcome. */
  status: RunStatus;
  /** ISO 8601 start time (UTC). */
  start_time: string;
  /** ISO 8601 end time (UTC). */
  end_time?: string;
  /** Wall-clock seconds from start to end (>= 0). */
  duration_seconds?: number;
  /** Host the extractor ran on. */
  hardware_profile?: HardwareProfile;
  /** Worker mode of the run. */
  worker_mode: WorkerMode;
  /** Environment steps trained (integer >= 0). */
  training_steps?: number;
  /** Numeric metrics (required and non-empty for success). */
  metrics?: Record<string, number>;
  /** Artifact paths relative to the run directory (required for success). */
  artifacts?: Record<string, string>;
  /** Why the extractor failed or was skipped (required for those statuses). */
  reason?: string;
}

/** The aggregated comparison written as summary.json. */
export interface TrainingRunSummary {
  /** Run directory name, or the label of a merged comparison. */
  run_id: string;
  /** ISO 8601 time the run started (UTC). */
  created_at: string;
  /** Absolute path of the run directory (or merged output directory). */
  output_root: string;
  /** One profile per host. */
  hardware_overview: HardwareProfile[];
  /** One record per extractor entry. */
  extractor_results: ExtractorRunRecord[];
  /** Run-level metrics. */
  aggregate_metrics: Record<string, number>;
  /** Human-readable warnings and guidance. */
  notes?: string[];
}

/**
 * Check a hardware profile against the schema (GPU model and CUDA version both or
 * neither; workers an integer >= 1) and return a copy without undefined fields.
 *
 * @param profile Profile fields.
 * @returns A validated copy.
 * @throws {TypeError} When a field is missing, has the wrong type, or breaks the GPU pairing.
 */
export function createHardwareProfile(profile: HardwareProfile): HardwareProfile {
  const copy = _withoutUndefined(profile);
  const issues = validateHardwareProfile(copy);
  if (issues.length > 0) {
    throw new TypeError(`Invalid hardware profile: ${formatSchemaIssues(issues)}`);
  }
  return copy;
}

/**
 * Check an extractor run record against the schema and return a copy without
 * undefined fields. Invariants: success needs non-empty metrics and artifacts;
 * failed and skipped need a reason; times are ISO 8601 date-times; durations >= 0.
 *
 * @param record Record fields.
 * @returns A validated deep copy.
 * @throws {TypeError} When the record breaks the schema (message lists every problem).
 */
export function createRunRecord(record: ExtractorRunRecord): ExtractorRunRecord {
  const copy = _withoutUndefined(structuredClone(record));
  const issues = validateRunRecord(copy);
  if (issues.length > 0) {
    throw new TypeError(
      `Invalid run record for "${record.config_name}": ${formatSchemaIssues(issues)}`,
    );
  }
  return copy;
}

/** Options of {@linkcode createSkippedRecord} and {@linkcode createFailedRecord}. */
export interface ClosedRecordOptions {
  /** Worker mode of the run. */
  workerMode: WorkerMode;
  /**
   * Time the extractor was skipped or started.
   * @default new Date()
   */
  startTime?: Date;
  /**
   * Time it ended; for skips the same as startTime.
   * @default startTime
   */
  endTime?: Date;
  /** Host profile. */
  hardwareProfile?: HardwareProfile;
  /**
   * Artifact paths relative to the run directory.
   * @default {}
   */
  artifacts?: Record<string, string>;
  /**
   * Metrics collected before a failure.
   * @default undefined
   */
  metrics?: Record<string, number>;
  /**
   * Environment steps trained before the failure.
   * @default 0
   */
  trainingSteps?: number;
}

function _closedRecord(
  status: "failed" | "skipped",
  name: string,
  reason: string,
  options: ClosedRecordOptions,
): ExtractorRunRecord {
  const start = options.startTime ?? new Date();
  const end = options.endTime ?? start;
  return createRunRecord({
    config_name: name,
    status,
    start_time: start.toISOString(),
    end_time: end.toISOString(),
    duration_seconds: Math.max(0, (end.getTime() - start.getTime()) / 1000),
    hardware_profile: options.hardwareProfile,
    worker_mode: options.workerMode,
    training_steps: options.trainingSteps ?? 0,
    metrics: options.metrics,
    artifacts: options.artifacts ?? {},
    reason,
  });
}

/**
 * A `skipped` record for an extractor that did not run.
 *
 * @param name Extractor entry name.
 * @param reason Why it was skipped (non-empty).
 * @param options Worker mode, times, host, artifacts.
 * @returns A validated record.
 * @throws {TypeError} When the reason is empty or a field is invalid.
 */
export function createSkippedRecord(
  name: string,
  reason: string,
  options: ClosedRecordOptions,
): ExtractorRunRecord {
  return _closedRecord("skipped", name, reason, options);
}

/**
 * A `failed` record for an extractor that started but did not finish.
 *
 * @param name Extractor entry name.
 * @param reason What went wrong (non-empty).
 * @param options Worker mode, times, host, artifacts, partial metrics.
 * @returns A validated record.
 * @throws {TypeError} When the reason is empty or a field is invalid.
 */
export function createFailedRecord(
  name: string,
  reason: string,
  options: ClosedRecordOptions,
): ExtractorRunRecord {
  return _closedRecord("failed", name, reason, options);
}

function _withoutUndefined<T>(value: T): T {
  const out: Record<string, unknown> = {};
  for (const [key, field] of Object.entries(value as Record<string, unknown>)) {
    if (field !== undefined) out[key] = field;
  }
  return out as T;
}
