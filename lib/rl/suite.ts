/**
 * Evaluation over a scenario suite: one policy or controller on several maps, the
 * same env seeds on each, with per-map and overall social-navigation aggregates.
 * Maps that cannot be loaded are reported, not fatal, so a suite still runs on
 * the rest (see `evaluation.maps`).
 *
 * @module
 */
import { InputFileError } from "../internal/input_file.ts";
import {
  aggregateNavMetrics,
  createController,
  type EnvSettings,
  loadMap,
  type MapDefinition,
  MapError,
  type NavAggregate,
  RobotEnv,
} from "../sim/mod.ts";
import {
  controllerActor,
  type EpisodeOutcome,
  evaluateActor,
  type EvaluationActor,
} from "./evaluation.ts";

/** A loaded suite map. */
export interface SuiteMap {
  /** The map's name (file stem or built-in name). */
  name: string;
  /** How it was named (path or built-in name). */
  source: string;
  /** The map. */
  map: MapDefinition;
}

/** Maps of a suite: those that loaded and those that did not (with why). */
export interface LoadedSuite {
  /** Loaded maps in the given order. */
  maps: SuiteMap[];
  /** Maps that did not load. */
  failed: { source: string; message: string }[];
}

/**
 * Load the maps of a suite.
 * @param sources Built-in names or `.json`/`.svg` paths.
 * @returns Loaded maps and failures (missing files, unreadable maps).
 */
export async function loadSuiteMaps(sources: readonly string[]): Promise<LoadedSuite> {
  const maps: SuiteMap[] = [];
  const failed: LoadedSuite["failed"] = [];
  for (const source of sources) {
    try {
      const map = await loadMap(source);
      const name = source.replace(/^.*[\\/]/, "").replace(/\.(json|svg)$/i, "");
      maps.push({ name, source, map });
    } catch (error) {
      if (
        error instanceof MapError || error instanceof InputFileError ||
        error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.PermissionDenied || error instanceof Deno.errors.IsADirectory
      ) {
        failed.push({ source, message: (error as Error).message });
        continue;
      }
      throw error;
    }
  }
  return { maps, failed };
}

/** Result of {@linkcode evaluateSuite}. */
export interface SuiteResult {
  /** Aggregates per map name. */
  maps: Record<string, NavAggregate>;
  /** Aggregate over every episode of every map. */
  overall: NavAggregate;
  /** Episodes per map name, in seed order. */
  episodes: Record<string, EpisodeOutcome[]>;
}

/**
 * Evaluate an actor on every map of a suite with the same seeds.
 * @param makeActor A fresh actor per map (e.g. `() => policyActor(policy)`).
 * @param maps The suite's maps.
 * @param settings Env settings (the `map` field is ignored).
 * @param seeds Env seeds (the same on every map).
 * @param options Batch size and comfort distance.
 * @throws {RangeError} When there is no map or no seed.
 */
export async function evaluateSuite(
  makeActor: () => EvaluationActor,
  maps: readonly SuiteMap[],
  settings: EnvSettings,
  seeds: readonly number[],
  options: { batchSize?: number; comfortDistance?: number } = {},
): Promise<SuiteResult> {
  if (maps.length === 0) throw new RangeError("A suite evaluation needs at least one map");
  const result: SuiteResult = {
    maps: {},
    overall: undefined as unknown as NavAggregate,
    episodes: {},
  };
  const all: EpisodeOutcome[] = [];
  for (const m of maps) {
    const env = new RobotEnv(m.map, settings);
    const r = await evaluateActor(makeActor(), { env, seeds, ...options });
    result.maps[m.name] = r.navigation;
    result.episodes[m.name] = r.episodes;
    all.push(...r.episodes);
  }
  result.overall = aggregateNavMetrics(all);
  return result;
}

/** An actor factory for a built-in controller. */
export function controllerActorFactory(name: string): () => EvaluationActor {
  createController(name); // throws RangeError for unknown names now
  return () => controllerActor(() => createController(name));
}
