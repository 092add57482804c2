/**
 * The trainer boundary this folder calls: lib/rl's trainExtractor, its options,
 * result and progress reports, and the trainer checkpoint decoder resume uses to
 * check checkpoints before continuing from them.
 *
 * @module
 */
export { trainExtractor } from "../rl/train_extractor.ts";
export { decodeTrainerCheckpoint } from "../rl/checkpoint.ts";
export type {
  TrainExtractorOptions,
  TrainExtractorResult,
  VecEnvFactory,
} from "../rl/train_extractor.ts";
export type { TrainingProgress } from "../rl/callbacks.ts";
