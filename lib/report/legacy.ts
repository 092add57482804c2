/**
 * complete_results.json, the reference's older results file
 * (`{"comparison_metadata": {...}, "results": {<extractor>: {...}}}`), kept for users'
 * existing tooling. Shape: robot_sf `scripts/multi_extractor_training.py`
 * (write_legacy_results), plus the original script's per-result keys.
 *
 * @module
 */
import type { TrainingRunSummary } from "../run/models.ts";

/** Run settings the legacy metadata repeats. */
export interface LegacyRunSettings {
  /** run.worker_mode. */
  worker_mode: string;
  /** run.num_envs. */
  num_envs: number;
  /** run.total_timesteps. */
  total_timesteps: number;
  /** run.n_eval_episodes. */
  n_eval_episodes: number;
  /** run.device. */
  device: string;
  /** env.difficulty. */
  difficulty: number;
  /** env.ped_density_by_difficulty. */
  ped_densities: number[];
}

/** One extractor in the legacy file. */
export interface LegacyResult {
  /** Extractor name. */
  name: string;
  /** True for status success. */
  completed: boolean;
  /** Status. */
  status: string;
  /** Preset, when known. */
  extractor_type: string | null;
  /** Training seconds. */
  training_time: number | null;
  /** Environment steps trained. */
  total_timesteps: number | null;
  /** metrics.best_mean_reward. */
  best_reward: number | null;
  /** metrics.last_mean_reward. */
  final_reward: number | null;
  /** metrics.total_parameters. */
  total_parameters: number | null;
  /** metrics.trainable_parameters. */
  trainable_parameters: number | null;
  /** Artifact paths relative to the run directory. */
  artifacts: Record<string, string>;
  /** Failure or skip reason. */
  reason: string | null;
  /** Failure or skip reason (the original script's key). */
  error?: string;
  /** End time of the extractor. */
  timestamp: string | null;
}

/** The legacy file. */
export interface CompleteResults {
  /** Run-level facts. */
  comparison_metadata: Record<string, unknown>;
  /** Per-extractor entries keyed by extractor name. */
  results: Record<string, LegacyResult>;
}

/** Options of {@linkcode buildCompleteResults}. */
export interface BuildCompleteResultsOptions {
  /** Run settings repeated in the metadata (null for merged runs with differing settings). */
  settings: LegacyRunSettings | null;
  /**
   * Preset per extractor name.
   * @default {}
   */
  presets?: Record<string, string>;
  /**
   * Run directories a merged comparison came from.
   * @default undefined
   */
  mergedFrom?: string[];
}

/**
 * Build complete_results.json from a summary.
 *
 * @param summary A schema-valid summary.
 * @param options Run settings, presets, merge sources.
 * @returns The legacy object.
 */
export function buildCompleteResults(
  summary: TrainingRunSummary,
  options: BuildCompleteResultsOptions,
): CompleteResults {
  const records = summary.extractor_results;
  const notes = records.flatMap((record) => record.reason ? [record.reason] : []);
  const metadata: Record<string, unknown> = {
    run_dir: summary.output_root,
    run_id: summary.run_id,
    created_at: summary.created_at,
    start_timestamp: summary.created_at,
    total_time: records.reduce((sum, record) => sum + (record.duration_seconds ?? 0), 0),
    notes: [...notes, ...(summary.notes ?? [])],
  };
  if (options.settings !== null) {
    const s = options.settings;
    Object.assign(metadata, {
      worker_mode: s.worker_mode,
      num_envs: s.num_envs,
      total_timesteps_per_extractor: s.total_timesteps,
      n_eval_episodes: s.n_eval_episodes,
      device: s.device,
      difficulty: s.difficulty,
      ped_densities: s.ped_densities,
    });
  }
  metadata.test_mode = false;
  if (options.mergedFrom !== undefined) metadata.merged_from = options.mergedFrom;
  const results: Record<string, LegacyResult> = {};
  // A multi-seed run has one record per trial: keys `<name>/seed_<k>` keep them apart.
  const names = records.map((record) => record.config_name);
  const trials = new Set(names).size < names.length;
  for (const record of records) {
    const metrics = record.metrics ?? {};
    const entry: LegacyResult = {
      name: record.config_name,
      completed: record.status === "success",
      status: record.status,
      extractor_type: options.presets?.[record.config_name] ?? null,
      training_time: record.duration_seconds ?? null,
      total_timesteps: record.training_steps ?? null,
      best_reward: metrics.best_mean_reward ?? null,
      final_reward: metrics.last_mean_reward ?? null,
      total_parameters: metrics.total_parameters ?? null,
      trainable_parameters: metrics.trainable_parameters ?? null,
      artifacts: record.artifacts ?? {},
      reason: record.reason ?? null,
      timestamp: record.end_time ?? null,
    };
    if (record.reason !== undefined && record.status !== "success") entry.error = record.reason;
    const seed = record.metrics?.seed;
    const key = trials && typeof seed === "number"
      ? `${record.config_name}/seed_${seed}`
      : record.config_name;
    results[key] = entry;
  }
  return { comparison_metadata: metadata, results };
}
