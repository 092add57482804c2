/**
 * The trainer boundary this folder calls: lib/rl's trainExtractor, its options,
 * result and progress reports.
 *
 * @module
 */
export { trainExtractor } from "../rl/train_extractor.ts";
export type {
  TrainExtractorOptions,
  TrainExtractorResult,
  VecEnvFactory,
} from "../rl/train_extractor.ts";
export type { TrainingProgress } from "../rl/callbacks.ts";
