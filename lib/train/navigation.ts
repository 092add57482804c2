/**
 * Navigation evaluation of a finished run: the baseline controllers on the
 * held-out episodes (written to `baselines.json`, read by the summary) and one
 * rendered held-out episode per trained extractor (an animated SVG in its
 * directory, linked from summary.md).
 *
 * @module
 */
import * as nodePath from "node:path";
import type { ScenarioSettings } from "../config/mod.ts";
import { DEFAULT_HELD_OUT_SEED_START, heldOutSeeds } from "../rl/held_out.ts";
import { controllerActor, evaluateActor, policyActor } from "../rl/evaluation.ts";
import { ExportedPolicy, PolicyFileError } from "../rl/exported_policy.ts";
import { BASELINES_FILE, HELD_OUT_EPISODE_FILE } from "../report/navigation.ts";
import { writeJsonFileAtomic, writeTextFileAtomic } from "../run/mod.ts";
import {
  createController,
  type EnvSettings,
  loadMap,
  NAV_AGGREGATE_KEYS,
  recordEpisode,
  renderEpisodeAnimation,
  resolveScenarioEnv,
  RobotEnv,
} from "../sim/mod.ts";

/** File of the baseline controllers' results in a run directory. */
export const BASELINES_FILE_NAME = BASELINES_FILE;
/** File of an extractor's rendered held-out episode, in its directory. */
export const HELD_OUT_EPISODE_FILE_NAME = HELD_OUT_EPISODE_FILE;
/** Steps of the rendered held-out episode at most (keeps the file small and quick to write). */
export const RENDERED_EPISODE_MAX_STEPS = 300;

/** Env settings of a scenario's `env:` block. */
export function scenarioEnvSettings(settings: ScenarioSettings): EnvSettings {
  const env = settings.env;
  return resolveScenarioEnv({
    map: env.map_path ?? env.map,
    difficulty: env.difficulty,
    ped_density_by_difficulty: env.ped_density_by_difficulty,
    episode_seconds: env.episode_seconds,
    robot: env.robot,
    time_limit: env.time_limit,
  });
}

/** First held-out env seed of a scenario (`evaluation.held_out_seed_start` when set). */
function _heldOutStart(settings: ScenarioSettings): number {
  const start = (settings.evaluation as { held_out_seed_start?: number }).held_out_seed_start;
  return typeof start === "number" ? start : DEFAULT_HELD_OUT_SEED_START;
}

function _finite(value: number): number | null {
  return Number.isFinite(value) ? value : null;
}

/**
 * Evaluate the scenario's baseline controllers on the first
 * `evaluation.baselines.episodes` held-out episodes (default: `evaluation.final_episodes`,
 * the trained policies' held-out episodes) and write `baselines.json`
 * into the run directory. Does nothing when baselines are off.
 * @param runDir Run directory.
 * @param settings The scenario's settings.
 * @returns The file written, or null when baselines are off.
 * @throws {MapError} When the map cannot be loaded.
 */
export async function writeRunBaselines(
  runDir: string,
  settings: ScenarioSettings,
): Promise<string | null> {
  const baselines = settings.evaluation.baselines;
  if (!baselines.enabled || baselines.controllers.length === 0) return null;
  const envSettings = scenarioEnvSettings(settings);
  const map = await loadMap(envSettings.map);
  const env = new RobotEnv(map, envSettings);
  const episodes = baselines.episodes ?? settings.evaluation.final_episodes;
  const seeds = heldOutSeeds(episodes, _heldOutStart(settings));
  const controllers: Record<string, unknown> = {};
  const started = performance.now();
  for (const name of baselines.controllers) {
    const result = await evaluateActor(controllerActor(() => createController(name)), {
      env,
      seeds,
      comfortDistance: settings.evaluation.comfort_distance,
    });
    controllers[name] = {
      metrics: Object.fromEntries(
        NAV_AGGREGATE_KEYS.map((k) => [k, _finite(result.navigation[k])]),
      ),
      episodes: result.episodes.map((e) => ({ ...e })),
    };
  }
  const path = nodePath.join(runDir, BASELINES_FILE_NAME);
  await writeJsonFileAtomic(path, {
    format: "multi-extractor-baselines",
    version: 1,
    map: map.name,
    held_out_seeds: { start: seeds[0], count: seeds.length },
    episode_seconds: envSettings.episodeSeconds,
    comfort_distance: settings.evaluation.comfort_distance,
    // Wall-clock seconds the controllers' episodes took (a timing, not a result).
    eval_time_seconds: (performance.now() - started) / 1000,
    controllers,
  });
  return path;
}

/**
 * Render the first held-out episode of an extractor's final policy (deterministic
 * unless `evaluation.deterministic` is false, at most
 * {@linkcode RENDERED_EPISODE_MAX_STEPS} steps) as an animated SVG in its directory.
 * @param extractorDir The extractor's directory (holds final_model.onnx).
 * @param settings The scenario's settings.
 * @returns The file written, or null when there is no readable final model.
 */
export async function writeHeldOutEpisode(
  extractorDir: string,
  settings: ScenarioSettings,
): Promise<string | null> {
  let policy: ExportedPolicy;
  try {
    policy = await ExportedPolicy.load(nodePath.join(extractorDir, "final_model.onnx"));
  } catch (error) {
    if (error instanceof PolicyFileError) return null;
    throw error;
  }
  try {
    const envSettings = scenarioEnvSettings(settings);
    const env = new RobotEnv(await loadMap(envSettings.map), envSettings);
    policy.checkEnv(env);
    const seed = heldOutSeeds(1, _heldOutStart(settings))[0];
    const actor = policyActor(policy, settings.evaluation.deterministic);
    actor.start(0, env, seed);
    const slots = [0];
    const rec = await recordEpisode(env, async (obs, action) => {
      await actor.act({ rays: obs.rays, driveState: obs.drive_state, n: 1 }, [env], slots, action);
    }, { seed, maxSteps: RENDERED_EPISODE_MAX_STEPS });
    const path = nodePath.join(extractorDir, HELD_OUT_EPISODE_FILE_NAME);
    await writeTextFileAtomic(
      path,
      renderEpisodeAnimation(rec, {
        title: `${
          nodePath.basename(extractorDir)
        }, held-out seed ${seed}: ${rec.steps} steps, ${rec.outcome}`,
      }),
    );
    return path;
  } finally {
    await policy.release();
  }
}
