/**
 * The env snapshot format: the complete dynamic state of a
 * {@linkcode RobotEnv} or {@linkcode VecEnv} as a plain JSON-serialisable
 * object, versioned. Restoring a snapshot into a fresh env built from the same
 * map and settings continues bit for bit where the snapshot was taken. The
 * format is described in docs/simulator.md ("Snapshots").
 *
 * @module
 */
import type { SeededRngState } from "../rng/mod.ts";
import { _decode, _encode, type EncodedArray, type EncodedDtype, SnapshotError } from "./_codec.ts";

export { type EncodedArray, type EncodedDtype, SnapshotError };

/** `format` tag of a {@linkcode RobotEnvSnapshot}. */
export const ENV_SNAPSHOT_FORMAT = "multi-extractor-env-snapshot";
/** `format` tag of a {@linkcode VecEnvSnapshot}. */
export const VEC_ENV_SNAPSHOT_FORMAT = "multi-extractor-vec-env-snapshot";
/** Snapshot format version written by this build; newer versions are refused. */
export const SNAPSHOT_VERSION = 1;

/** State of a {@linkcode PedestrianSimulation}. */
export interface PedestrianSnapshot {
  /** Number of pedestrians. */
  count: number;
  /** Number of groups. */
  groupCount: number;
  /** Positions, m, `[count]` float64 each. */
  px: EncodedArray;
  /** See `px`. */
  py: EncodedArray;
  /** Velocities, m/s, `[count]` float64 each. */
  vx: EncodedArray;
  /** See `vx`. */
  vy: EncodedArray;
  /** Goals, m, `[count]` float64 each. */
  gx: EncodedArray;
  /** See `gx`. */
  gy: EncodedArray;
  /** Maximum speeds, m/s, `[count]` float64. */
  maxSpeed: EncodedArray;
  /** Forces of the last step, `[count]` float64 each. */
  fx: EncodedArray;
  /** See `fx`. */
  fy: EncodedArray;
  /** Group of each pedestrian, `[count]` int32. */
  groupOf: EncodedArray;
  /** First pedestrian of each group, `[groupCount + 1]` int32. */
  groupStart: EncodedArray;
  /** Behaviour of each group (0 crowd, 1 route, 2 scripted), `[groupCount]` uint8. */
  groupKind: EncodedArray;
  /** Zone or route index of each group, `[groupCount]` int32. */
  groupTarget: EncodedArray;
  /** Current route waypoint of each group, `[groupCount]` int32. */
  groupWaypoint: EncodedArray;
}

/** Complete dynamic state of one {@linkcode RobotEnv}. */
export interface RobotEnvSnapshot {
  /** Always {@linkcode ENV_SNAPSHOT_FORMAT}. */
  format: typeof ENV_SNAPSHOT_FORMAT;
  /** Format version, {@linkcode SNAPSHOT_VERSION}. */
  version: number;
  /** Name of the map (informative). */
  map: string;
  /** Digest of the map geometry and the settings; restore requires a match. */
  fingerprint: string;
  /** Random stream index of the env (used by `reset(seed)`). */
  streamIndex: number;
  /** The env's random generator. */
  rng: SeededRngState;
  /** Episodes started so far. */
  episode: number;
  /** Steps taken in the current episode. */
  timestep: number;
  /** Whether `step` must wait for a `reset` (episode ended, or never started). */
  needsReset: boolean;
  /** The robot's route: waypoints (m, float64 `[count]` each) and the current index. */
  navigation: { count: number; current: number; x: EncodedArray; y: EncodedArray };
  /** Robot kind and state (`Robot.getState()`, float64). */
  robot: { kind: "differential" | "bicycle"; state: EncodedArray };
  /** Pedestrians. */
  pedestrians: PedestrianSnapshot;
  /** Observation stacks: rays `[stack * rays]`, drive_state `[stack * 5]`, float32. */
  observation: { rays: EncodedArray; drive_state: EncodedArray };
}

/** Names of the per-env output buffers a {@linkcode VecEnvSnapshot} keeps. */
export const VEC_ENV_OUTPUT_BUFFERS = [
  "rewards",
  "terminated",
  "truncated",
  "terminal_rays",
  "terminal_drive_state",
  "episode_return",
  "episode_length",
  "episode_success",
  "episode_collision",
] as const;

/** One of {@linkcode VEC_ENV_OUTPUT_BUFFERS}. */
export type VecEnvOutputBuffer = typeof VEC_ENV_OUTPUT_BUFFERS[number];

/** Complete dynamic state of a {@linkcode VecEnv} (or a worker-backed one). */
export interface VecEnvSnapshot {
  /** Always {@linkcode VEC_ENV_SNAPSHOT_FORMAT}. */
  format: typeof VEC_ENV_SNAPSHOT_FORMAT;
  /** Format version, {@linkcode SNAPSHOT_VERSION}. */
  version: number;
  /** Number of envs. */
  numEnvs: number;
  /** Episodes finished so far, all envs together. */
  episodesFinished: number;
  /** One snapshot per env, in env order. */
  envs: RobotEnvSnapshot[];
  /** Return accumulated so far in each env's running episode, float64 `[N]`. */
  runningReturn: EncodedArray;
  /** Output buffers of the last step (rewards, flags, terminal observations, episode statistics). */
  lastStep: Record<VecEnvOutputBuffer, EncodedArray>;
}

/**
 * Check the format tag and version of a snapshot.
 * @throws {SnapshotError} When the tag differs or the version is newer than {@linkcode SNAPSHOT_VERSION}.
 */
export function checkSnapshotHeader(
  snapshot: { format?: unknown; version?: unknown },
  format: typeof ENV_SNAPSHOT_FORMAT | typeof VEC_ENV_SNAPSHOT_FORMAT,
): void {
  if (typeof snapshot !== "object" || snapshot === null || snapshot.format !== format) {
    throw new SnapshotError(
      `Not a ${format} snapshot (format: ${JSON.stringify(snapshot?.format)})`,
    );
  }
  const v = snapshot.version;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 1) {
    throw new SnapshotError(`Snapshot version must be a positive integer, got ${v}`);
  }
  if (v > SNAPSHOT_VERSION) {
    throw new SnapshotError(
      `Snapshot version ${v} is newer than this build reads (${SNAPSHOT_VERSION})`,
    );
  }
}

/**
 * Join vector env snapshots of consecutive env ranges into one (envs in the
 * order given; `episodesFinished` summed). A worker-backed vector env uses it
 * to assemble its workers' parts.
 * @param parts Snapshots, first env range first.
 * @returns One snapshot of all envs.
 * @throws {SnapshotError} When a part is not a readable vector env snapshot.
 */
export function mergeVecEnvSnapshots(parts: VecEnvSnapshot[]): VecEnvSnapshot {
  if (parts.length === 0) throw new RangeError("Cannot merge zero vector env snapshots");
  for (const p of parts) checkSnapshotHeader(p, VEC_ENV_SNAPSHOT_FORMAT);
  const join = (get: (p: VecEnvSnapshot) => EncodedArray, where: string) => {
    const arrays = parts.map((p, i) => _decode(get(p), `parts[${i}].${where}`));
    const total = arrays.reduce((n, a) => n + a.length, 0);
    const out = new (arrays[0].constructor as Float64ArrayConstructor)(total);
    let o = 0;
    for (const a of arrays) {
      out.set(a as Float64Array, o);
      o += a.length;
    }
    return _encode(out);
  };
  const lastStep = {} as Record<VecEnvOutputBuffer, EncodedArray>;
  for (const key of VEC_ENV_OUTPUT_BUFFERS) {
    lastStep[key] = join((p) => p.lastStep?.[key], `lastStep.${key}`);
  }
  return {
    format: VEC_ENV_SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    numEnvs: parts.reduce((n, p) => n + p.numEnvs, 0),
    episodesFinished: parts.reduce((n, p) => n + p.episodesFinished, 0),
    envs: parts.flatMap((p) => p.envs),
    runningReturn: join((p) => p.runningReturn, "runningReturn"),
    lastStep,
  };
}

/**
 * Cut a vector env snapshot into consecutive env ranges (the inverse of
 * {@linkcode mergeVecEnvSnapshots}); the first part carries `episodesFinished`.
 * @param snapshot The whole snapshot.
 * @param counts Envs per part; they must add up to `snapshot.numEnvs`.
 * @returns One snapshot per part.
 * @throws {SnapshotError} When the snapshot is unreadable or the counts do not add up.
 */
export function splitVecEnvSnapshot(
  snapshot: VecEnvSnapshot,
  counts: number[],
): VecEnvSnapshot[] {
  checkSnapshotHeader(snapshot, VEC_ENV_SNAPSHOT_FORMAT);
  const n = snapshot.numEnvs;
  if (counts.reduce((a, b) => a + b, 0) !== n || snapshot.envs?.length !== n) {
    throw new SnapshotError(
      `Vector env snapshot of ${snapshot.envs?.length} envs (numEnvs ${n}) cannot be cut into [${counts}]`,
    );
  }
  const decoded = new Map<string, ReturnType<typeof _decode>>();
  decoded.set("runningReturn", _decode(snapshot.runningReturn, "runningReturn"));
  for (const key of VEC_ENV_OUTPUT_BUFFERS) {
    decoded.set(key, _decode(snapshot.lastStep?.[key], `lastStep.${key}`));
  }
  const parts: VecEnvSnapshot[] = [];
  let first = 0;
  counts.forEach((count, part) => {
    const cut = (key: string) => {
      const a = decoded.get(key)!;
      const row = a.length / n;
      return _encode(a.subarray(first * row, (first + count) * row) as Float64Array);
    };
    const lastStep = {} as Record<VecEnvOutputBuffer, EncodedArray>;
    for (const key of VEC_ENV_OUTPUT_BUFFERS) lastStep[key] = cut(key);
    parts.push({
      format: VEC_ENV_SNAPSHOT_FORMAT,
      version: snapshot.version,
      numEnvs: count,
      episodesFinished: part === 0 ? snapshot.episodesFinished : 0,
      envs: snapshot.envs.slice(first, first + count),
      runningReturn: cut("runningReturn"),
      lastStep,
    });
    first += count;
  });
  return parts;
}
