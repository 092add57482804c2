/**
 * Options of a comparison run (`runComparison`, `resumeComparison`): the trainer,
 * interruption and the callbacks a script uses for its console output.
 *
 * @module
 */
import type { SummaryFigureOptions } from "../report/summarize_run.ts";
import type { ExtractorConfigurationProfile } from "../config/profile.ts";
import type { ExtractorRunRecord } from "../run/models.ts";
import type { RunDirectory } from "../run/paths.ts";
import type { TrainingProgress } from "../log/mod.ts";
import type { TrainExtractorOptions, TrainExtractorResult } from "./train_extractor.ts";

/** Trains one extractor (trainExtractor, or another with its contract). */
export type TrainExtractorFn = (options: TrainExtractorOptions) => Promise<TrainExtractorResult>;

/** Options of `runComparison` (and `resumeComparison`). */
export interface RunComparisonOptions {
  /**
   * Trains one extractor in the main thread (with run.parallel_extractors K > 1, up
   * to K calls at once).
   * @default trainExtractor; with K > 1, each extractor in an extractor worker
   */
  trainer?: TrainExtractorFn;
  /**
   * Entry module of the extractor workers (K > 1 without `trainer`); it must speak
   * the extractor worker protocol (lib/train/_extractor_worker.ts).
   * @default EXTRACTOR_WORKER_MODULE
   */
  extractorWorkerModule?: URL;
  /**
   * Interruption (SIGINT/SIGTERM): passed to every running trainer (and extractor
   * worker), which checkpoints and returns; no further extractor starts.
   * @default no interruption
   */
  signal?: AbortSignal;
  /**
   * Command-line arguments recorded in run_started.
   * @default undefined
   */
  argv?: string[];
  /**
   * Called once the run directory exists, before anything else is written to it
   * (e.g. to attach run.log.jsonl).
   * @default undefined
   */
  onRunCreated?: (run: RunDirectory) => void | Promise<void>;
  /**
   * Called when an extractor starts training (with K > 1, several may be training).
   * @default undefined
   */
  onExtractorStart?: (profile: ExtractorConfigurationProfile) => void;
  /**
   * Training progress of a running extractor.
   * @default undefined
   */
  onProgress?: (extractor: string, progress: TrainingProgress) => void;
  /**
   * Called with each extractor's final record (any status).
   * @default undefined
   */
  onExtractorEnd?: (record: ExtractorRunRecord) => void;
  /**
   * Figure options for the summaries, or false for none.
   * @default {} (SVG and PNG)
   */
  figures?: SummaryFigureOptions;
}
