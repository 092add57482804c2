/**
 * The trainer boundary this folder calls (lib/rl/train_extractor.ts). Until that file
 * is on this branch, the shapes are declared here from its agreed signature.
 *
 * @module
 */
import type { ScenarioSettings } from "../config/scenario.ts";
import type { ManifestWriter } from "../run/manifest.ts";
import type { ExtractorConfigurationProfile } from "../run/models.ts";

/** Progress of one extractor's training. */
export interface TrainingProgress {
  /** Environment steps trained so far. */
  steps: number;
  /** Environment steps to train. */
  totalSteps: number;
  /** Environment steps per second so far (including updates). */
  fps: number;
  /** Estimated seconds left, or null when unknown. */
  etaSeconds: number | null;
  /** Mean reward of the last evaluation (or recent episodes), or null. */
  lastMeanReward: number | null;
}

/** Options of the trainer. */
export interface TrainExtractorOptions {
  /** The extractor. */
  profile: ExtractorConfigurationProfile;
  /** Resolved settings. */
  settings: ScenarioSettings;
  /** Absolute extractor directory. */
  extractorDir: string;
  /** Absolute run directory. */
  runDir: string;
  /** Run manifest. */
  manifest?: ManifestWriter;
  /** Interruption. */
  signal?: AbortSignal;
  /** Checkpoint to continue from. */
  resumeFrom?: string;
  /** Progress callback. */
  onProgress?: (progress: TrainingProgress) => void;
}

/** What the trainer returns. */
export interface TrainExtractorResult {
  /** Environment steps trained. */
  trainingSteps: number;
  /** Metrics (metrics.json). */
  metrics: Record<string, number>;
  /** Artifacts relative to the run directory. */
  artifacts: Record<string, string>;
  /** Wall-clock seconds. */
  wallTimeSeconds: number;
  /** True when stopped by the signal. */
  interrupted: boolean;
}
