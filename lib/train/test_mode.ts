/**
 * Test mode: an environment variable that shortens every run of a comparison while
 * still training for real (real rollouts, losses, evaluations, checkpoints). The
 * reference (robot_sf `scripts/multi_extractor_training.py`, env
 * `ROBOT_SF_MULTI_EXTRACTOR_TEST_MODE`) fakes zero metrics in this mode; we do not.
 *
 * @module
 */
import type { ScenarioSettings } from "../config/scenario.ts";

/** Environment variable that turns test mode on (ours). */
export const TEST_MODE_ENV = "MULTI_EXTRACTOR_TEST_MODE";
/** The reference's environment variable for test mode, also honoured. */
export const REFERENCE_TEST_MODE_ENV = "ROBOT_SF_MULTI_EXTRACTOR_TEST_MODE";

/** Values of the variables that mean "on" (case-insensitive), as in the reference. */
const _ON = new Set(["1", "true", "yes", "on"]);

/**
 * Upper bounds test mode puts on a scenario's settings. A setting already below its
 * bound keeps its value.
 */
export const TEST_MODE_LIMITS: Readonly<{
  /** run.total_timesteps, environment steps per extractor. */
  totalTimesteps: number;
  /** Environment steps of one rollout over all environments (n_steps x envs). */
  rolloutSteps: number;
  /** run.ppo.batch_size. */
  batchSize: number;
  /** run.ppo.n_epochs. */
  nEpochs: number;
  /** run.eval_freq, environment steps. */
  evalFreq: number;
  /** run.save_freq, environment steps. */
  saveFreq: number;
  /** run.n_eval_episodes. */
  nEvalEpisodes: number;
  /** env.episode_seconds, simulated seconds. */
  episodeSeconds: number;
  /** evaluation.final_episodes (held-out episodes per policy). */
  finalEpisodes: number;
}> = Object.freeze({
  totalTimesteps: 256,
  rolloutSteps: 64,
  batchSize: 32,
  nEpochs: 2,
  evalFreq: 128,
  saveFreq: 128,
  nEvalEpisodes: 2,
  episodeSeconds: 20,
  finalEpisodes: 2,
});

/** The note a test-mode run carries in its summary. */
export const TEST_MODE_NOTE: string =
  `Test mode (${TEST_MODE_ENV}): runs shortened to at most ${TEST_MODE_LIMITS.totalTimesteps} ` +
  "steps per extractor with small rollouts, evaluations and checkpoints; training is real " +
  "but far too short to compare extractors";

/**
 * Whether test mode is on: MULTI_EXTRACTOR_TEST_MODE or
 * ROBOT_SF_MULTI_EXTRACTOR_TEST_MODE is `1`, `true`, `yes` or `on` (any case).
 *
 * @param env Reads an environment variable; undefined when unset.
 * @returns True when either variable is on.
 */
export function testModeFromEnv(env: (name: string) => string | undefined): boolean {
  return [TEST_MODE_ENV, REFERENCE_TEST_MODE_ENV].some((name) =>
    _ON.has((env(name) ?? "").trim().toLowerCase())
  );
}

/**
 * Environments one rollout steps: num_envs in vectorized mode, 1 in single-thread
 * mode (where num_envs is ignored).
 *
 * @param settings Scenario settings.
 * @returns Environment count >= 1.
 */
export function rolloutEnvs(settings: Pick<ScenarioSettings, "run">): number {
  return settings.run.worker_mode === "vectorized" ? settings.run.num_envs : 1;
}

/**
 * The settings of a test-mode run: each bound of {@linkcode TEST_MODE_LIMITS} applied
 * with `min` (total_timesteps, batch_size, n_epochs, eval_freq, save_freq,
 * n_eval_episodes, episode_seconds, evaluation.final_episodes), and run.ppo.n_steps =
 * min(n_steps, max(1, floor(64 / envs))) so that one rollout is about 64 environment
 * steps. Nothing else changes.
 *
 * @example Shorten the default scenario
 * ```ts
 * const short = testModeSettings(scenario.settings);
 * short.run.total_timesteps; // 256 (4096 in the file)
 * short.ppo.n_steps; // 64 (2048), 32 with 2 vectorized envs
 * ```
 *
 * @param settings Validated settings.
 * @returns A new settings object; `settings` is not changed.
 */
export function testModeSettings(settings: ScenarioSettings): ScenarioSettings {
  const out = structuredClone(settings);
  const limits = TEST_MODE_LIMITS;
  const envs = rolloutEnvs(settings);
  out.run.total_timesteps = Math.min(out.run.total_timesteps, limits.totalTimesteps);
  out.run.eval_freq = Math.min(out.run.eval_freq, limits.evalFreq);
  out.run.save_freq = Math.min(out.run.save_freq, limits.saveFreq);
  out.run.n_eval_episodes = Math.min(out.run.n_eval_episodes, limits.nEvalEpisodes);
  out.ppo.n_steps = Math.min(out.ppo.n_steps, Math.max(1, Math.floor(limits.rolloutSteps / envs)));
  out.ppo.batch_size = Math.min(out.ppo.batch_size, limits.batchSize);
  out.ppo.n_epochs = Math.min(out.ppo.n_epochs, limits.nEpochs);
  out.env.episode_seconds = Math.min(out.env.episode_seconds, limits.episodeSeconds);
  out.evaluation.final_episodes = Math.min(out.evaluation.final_episodes, limits.finalEpisodes);
  return out;
}
