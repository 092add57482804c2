/**
 * Run directory layout: `<output_root>/<YYYYMMDD-HHMMSS>-<run_id>/extractors/<name>/`.
 * Names are made directory-safe, the output root is resolved from flag, config and
 * environment, run directories are never reused, and no path may leave the root.
 *
 * Source of the rules: robot_sf `robot_sf/training/multi_extractor_paths.py`.
 *
 * @module
 */
import * as nodePath from "node:path";
import { escapeControlCharacters, firstControlCharacter } from "../internal/control_chars.ts";
import { readInputFile } from "../internal/input_file.ts";
import { mkdirNoFollow } from "../internal/safe_path.ts";
import { MANIFEST_FILE_NAME } from "./manifest.ts";
import { readEnv } from "../internal/env.ts";

/** Environment variable naming the output root (ours). */
export const OUTPUT_ROOT_ENV = "MULTI_EXTRACTOR_TMP";
/** Environment variable naming the output root (the reference's name, also honoured). */
export const REFERENCE_OUTPUT_ROOT_ENV = "ROBOT_SF_MULTI_EXTRACTOR_TMP";
/** Output root used when nothing overrides it, relative to the working directory. */
export const DEFAULT_OUTPUT_ROOT = "tmp/multi_extractor_training";
/** Name of the per-extractor folder inside a run directory. */
export const EXTRACTORS_DIR_NAME = "extractors";
/** Pattern of a run timestamp (UTC). */
export const RUN_TIMESTAMP_PATTERN = /^\d{8}-\d{6}$/;
/** Longest directory name a normalised name may produce. */
export const MAX_NAME_LENGTH = 128;

/**
 * Make a name directory-safe: every run of characters outside `[A-Za-z0-9._-]` becomes
 * `_`, then leading and trailing `.`, `_`, `-` are removed (so `.`, `..` and hidden
 * names cannot appear).
 *
 * @param name Extractor name or run id.
 * @returns The normalised name.
 * @throws {RangeError} When the name holds a control character (U+0000-U+001F,
 * U+007F-U+009F, U+2028, U+2029), nothing alphanumeric is left, or the result is longer
 * than {@linkcode MAX_NAME_LENGTH}.
 */
export function normalizeName(name: string): string {
  const control = firstControlCharacter(name);
  if (control !== null) {
    throw new RangeError(
      `Name "${escapeControlCharacters(name)}" holds the control character ${control}; ` +
        "names may not hold control characters",
    );
  }
  const normalized = name.trim().replace(/[^A-Za-z0-9._-]+/g, "_").replace(/^[._-]+|[._-]+$/g, "");
  if (!/[A-Za-z0-9]/.test(normalized)) {
    throw new RangeError(
      `Name "${name}" has no ASCII letter or digit left after making it directory-safe`,
    );
  }
  if (normalized.length > MAX_NAME_LENGTH) {
    throw new RangeError(
      `Name "${name.slice(0, 40)}..." is ${normalized.length} characters after normalisation; ` +
        `the limit is ${MAX_NAME_LENGTH}`,
    );
  }
  return normalized;
}

/**
 * Make a run id directory-safe, keeping letters and digits of every script: the id is
 * put in Unicode NFC, every run of characters other than letters (with their combining
 * marks), digits, `.`, `_` and `-` becomes `_`, then leading and trailing `.`, `_`, `-`
 * are removed. `Läufe über Nacht` stays `Läufe_über_Nacht`, `実験 1` becomes `実験_1`.
 * (Extractor directories keep {@linkcode normalizeName}'s ASCII form.)
 *
 * @param runId run.run_id or --run-id.
 * @returns The normalised id.
 * @throws {RangeError} When the id holds a control character (as in
 * {@linkcode normalizeName}: a newline or escape is refused, not silently replaced), no
 * letter or digit is left, or the result is longer than {@linkcode MAX_NAME_LENGTH}
 * characters.
 */
export function normalizeRunId(runId: string): string {
  const control = firstControlCharacter(runId);
  if (control !== null) {
    throw new RangeError(
      `Run id "${escapeControlCharacters(runId)}" holds the control character ${control}; ` +
        "run ids may not hold control characters",
    );
  }
  const normalized = runId.normalize("NFC").trim()
    .replace(/[^\p{L}\p{M}\p{N}._-]+/gu, "_")
    .replace(/^[._-]+|[._-]+$/g, "");
  if (!/[\p{L}\p{N}]/u.test(normalized)) {
    throw new RangeError(
      `Run id "${runId}" has no ASCII letter or digit, nor a letter or digit of another ` +
        "script, left after making it directory-safe",
    );
  }
  if ([...normalized].length > MAX_NAME_LENGTH) {
    throw new RangeError(
      `Run id "${runId.slice(0, 40)}..." is ${
        [...normalized].length
      } characters after normalisation; the limit is ${MAX_NAME_LENGTH}`,
    );
  }
  return normalized;
}

/** Two names that map to the same directory. */
export interface NameCollision {
  /** Position of the first name in the input list. */
  firstIndex: number;
  /** Position of the later, colliding name. */
  secondIndex: number;
  /** The first name as given. */
  first: string;
  /** The colliding name as given. */
  second: string;
  /** The directory name both map to (case-folded comparison). */
  directory: string;
}

/**
 * Find names that collide after normalisation or case folding (directories on
 * case-insensitive file systems would clash).
 *
 * @param names Names in scenario order; each must normalise (see {@linkcode normalizeName}).
 * @returns One entry per colliding later name.
 * @throws {RangeError} When a name cannot be normalised.
 */
export function findNameCollisions(names: readonly string[]): NameCollision[] {
  const seen = new Map<string, number>();
  const collisions: NameCollision[] = [];
  names.forEach((name, index) => {
    const directory = normalizeName(name);
    const key = directory.toLowerCase();
    const firstIndex = seen.get(key);
    if (firstIndex === undefined) {
      seen.set(key, index);
    } else {
      collisions.push({
        firstIndex,
        secondIndex: index,
        first: names[firstIndex],
        second: name,
        directory,
      });
    }
  });
  return collisions;
}

/**
 * Throw when two names collide after normalisation or case folding.
 *
 * @param names Names to check.
 * @throws {RangeError} Naming both colliding names and the directory they share.
 */
export function assertUniqueNames(names: readonly string[]): void {
  const [collision] = findNameCollisions(names);
  if (collision !== undefined) {
    throw new RangeError(
      `Names "${collision.first}" and "${collision.second}" collide after normalisation or ` +
        `case folding (both map to directory "${collision.directory}")`,
    );
  }
}

/**
 * UTC timestamp of a run directory, `YYYYMMDD-HHMMSS`.
 *
 * @param date Moment to format.
 * @returns e.g. "20261129-174501".
 */
export function formatRunTimestamp(date: Date): string {
  const pad = (value: number) => String(value).padStart(2, "0");
  return `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}-` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`;
}

/** Where the output root came from. */
export type OutputRootSource =
  | "flag"
  | "config"
  | typeof OUTPUT_ROOT_ENV
  | typeof REFERENCE_OUTPUT_ROOT_ENV
  | "default";

/** A resolved output root. */
export interface OutputRoot {
  /** Absolute path. */
  path: string;
  /** Which setting decided it. */
  source: OutputRootSource;
}

/** Options of {@linkcode resolveOutputRoot}. */
export interface ResolveOutputRootOptions {
  /** `--output-root` flag value. */
  flag?: string | null;
  /** `run.output_root` from the scenario. */
  config?: string | null;
  /**
   * Reads an environment variable; return undefined when unset.
   * @default a reader of Deno.env that treats a missing permission as unset
   */
  env?: (name: string) => string | undefined;
  /**
   * Directory relative paths are resolved against.
   * @default Deno.cwd()
   */
  cwd?: string;
}

function _expandHome(
  value: string,
  source: OutputRootSource,
  env: (name: string) => string | undefined,
): string {
  if (value !== "~" && !value.startsWith("~/")) return value;
  const home = env("HOME");
  if (home === undefined || home.trim() === "") {
    throw new RangeError(
      `Output root "${value}" (from ${source}) starts with ~, but HOME is not set; ` +
        "give the path without ~",
    );
  }
  return nodePath.join(home, value.slice(1));
}

/**
 * Decide the output root: `--output-root`, then `run.output_root`, then the
 * environment variables MULTI_EXTRACTOR_TMP and ROBOT_SF_MULTI_EXTRACTOR_TMP, then
 * `./tmp/multi_extractor_training`. Empty values count as unset. A leading `~` or
 * `~/` stands for the home directory (HOME), as in a shell, also where no shell
 * expands it (the config file, `--output-root=~/runs`); `~user` is not expanded.
 *
 * @param options Flag, config value, environment reader, working directory.
 * @returns The absolute root and its source.
 * @throws {RangeError} When the chosen value starts with `~` and HOME is not set
 * (or not readable).
 */
export function resolveOutputRoot(options: ResolveOutputRootOptions = {}): OutputRoot {
  const env = options.env ?? readEnv;
  const cwd = options.cwd ?? Deno.cwd();
  const candidates: [OutputRootSource, string | null | undefined][] = [
    ["flag", options.flag],
    ["config", options.config],
    [OUTPUT_ROOT_ENV, env(OUTPUT_ROOT_ENV)],
    [REFERENCE_OUTPUT_ROOT_ENV, env(REFERENCE_OUTPUT_ROOT_ENV)],
    ["default", DEFAULT_OUTPUT_ROOT],
  ];
  for (const [source, value] of candidates) {
    if (value !== undefined && value !== null && value.trim() !== "") {
      return { path: nodePath.resolve(cwd, _expandHome(value, source, env)), source };
    }
  }
  throw new Error("Unreachable: the default output root is always set");
}

/**
 * Why `root` cannot receive run directories, or null when it can be used or created:
 * the root, or its nearest existing ancestor, is not a directory, or (when this
 * process may write there) that directory does not accept new entries (read-only,
 * no write permission, or a system directory such as /proc). The write check makes
 * and removes an empty temporary directory in it; nothing is left behind.
 *
 * @param root Absolute output root.
 * @returns The problem (naming the path that is in the way), or null.
 */
export async function outputRootProblem(root: string): Promise<string | null> {
  const target = nodePath.resolve(root);
  for (let path = target;; path = nodePath.dirname(path)) {
    let info: Deno.FileInfo;
    try {
      info = await Deno.stat(path);
    } catch (error) {
      const missing = error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory; // a path below a file
      if (missing && nodePath.dirname(path) !== path) continue;
      if (error instanceof Deno.errors.NotCapable) {
        return `${root} is a system path that runs cannot write to`;
      }
      return null; // nothing in the way that we can see: creating it reports the rest
    }
    if (!info.isDirectory) {
      return path === target
        ? `${path} is not a directory`
        : `${root} cannot be created: ${path} is not a directory`;
    }
    const unwritable = await _notWritable(path);
    if (unwritable === null) return null;
    return path === target
      ? `${path} is not writable (${unwritable})`
      : `${root} cannot be created: ${path} is not writable (${unwritable})`;
  }
}

/**
 * Why new entries cannot be made in the existing directory `dir`, or null when they
 * can (or when this process has no write permission there, e.g. `validate`, so the
 * check cannot be made).
 */
async function _notWritable(dir: string): Promise<string | null> {
  const permission = await Deno.permissions.query({ name: "write", path: dir });
  if (permission.state !== "granted") return null;
  let probe: string;
  try {
    probe = await Deno.makeTempDir({ dir, prefix: ".multi-extractor-write-check-" });
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) return "a system directory";
    if (error instanceof Deno.errors.PermissionDenied) return "permission denied";
    const message = (error as Error).message;
    if (/read-only file system/i.test(message)) return "read-only file system";
    return message;
  }
  await Deno.remove(probe).catch(() => {});
  return null;
}

/**
 * Join `segments` onto `root` and refuse results outside `root` (`..`, absolute
 * segments). The check is lexical; the run never creates symlinks.
 *
 * @param root Absolute directory that must contain the result.
 * @param segments Relative path segments.
 * @returns The absolute joined path.
 * @throws {RangeError} When the result would leave `root`.
 */
export function resolveInside(root: string, ...segments: string[]): string {
  const base = nodePath.resolve(root);
  const target = nodePath.resolve(base, ...segments);
  const relative = nodePath.relative(base, target);
  if (
    relative === ".." || relative.startsWith(`..${nodePath.sep}`) || nodePath.isAbsolute(relative)
  ) {
    throw new RangeError(`Path "${segments.join("/")}" would leave the directory ${base}`);
  }
  return target;
}

/**
 * Directory name of a run: `<YYYYMMDD-HHMMSS>-<normalised run id>`.
 *
 * @param runId run.run_id.
 * @param date Start time (formatted in UTC).
 * @returns e.g. "20261129-174501-default".
 * @throws {RangeError} When the run id cannot be normalised.
 */
export function runDirectoryName(runId: string, date: Date): string {
  return `${formatRunTimestamp(date)}-${normalizeRunId(runId)}`;
}

/** A run directory that was just created. */
export interface RunDirectory {
  /** Absolute path. */
  path: string;
  /** Directory name (timestamp, run id, and a `-<n>` suffix when the second was taken). */
  name: string;
  /** `YYYYMMDD-HHMMSS` of the start time. */
  timestamp: string;
}

/** Options of {@linkcode createRunDirectory}. */
export interface CreateRunDirectoryOptions {
  /**
   * Start time of the run.
   * @default new Date()
   */
  now?: Date;
}

/**
 * Create `<root>/<YYYYMMDD-HHMMSS>-<run_id>/extractors/`. The run directory itself is
 * created with a non-recursive mkdir, so an existing directory is never reused: when
 * the name is taken (a second run in the same second), `-2`, `-3`, ... is appended.
 *
 * @param root Absolute output root (created when missing).
 * @param runId run.run_id.
 * @param options Start time.
 * @returns The created directory.
 * @throws {RangeError} When the run id cannot be normalised.
 * @throws {Deno.errors.AlreadyExists} When 1000 candidate names are all taken.
 */
export async function createRunDirectory(
  root: string,
  runId: string,
  options: CreateRunDirectoryOptions = {},
): Promise<RunDirectory> {
  const now = options.now ?? new Date();
  const baseName = runDirectoryName(runId, now);
  await Deno.mkdir(root, { recursive: true });
  for (let attempt = 1; attempt <= 1000; attempt++) {
    const name = attempt === 1 ? baseName : `${baseName}-${attempt}`;
    const path = resolveInside(root, name);
    try {
      await Deno.mkdir(path);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    await Deno.mkdir(nodePath.join(path, EXTRACTORS_DIR_NAME));
    return { path, name, timestamp: formatRunTimestamp(now) };
  }
  throw new Deno.errors.AlreadyExists(
    `Run directories ${baseName}-2 to -1000 all exist in ${root}`,
  );
}

/**
 * Path of an extractor's directory, `<runDir>/extractors/<normalised name>`, or of a
 * trial's in a multi-seed run, `<runDir>/extractors/<normalised name>/seed_<seed>`,
 * without touching the file system.
 *
 * @param runDir Absolute run directory.
 * @param name Extractor name.
 * @param seed Trial seed of a multi-seed run, or null.
 * @returns Absolute path.
 * @throws {RangeError} When the name cannot be normalised.
 */
export function extractorDirectory(
  runDir: string,
  name: string,
  seed: number | null = null,
): string {
  return seed === null
    ? resolveInside(runDir, EXTRACTORS_DIR_NAME, normalizeName(name))
    : resolveInside(runDir, EXTRACTORS_DIR_NAME, normalizeName(name), `seed_${seed}`);
}

/**
 * Create an extractor's directory (and `extractors/` if missing); an existing one is
 * kept as is (resume continues in it).
 *
 * @param runDir Absolute run directory.
 * @param name Extractor name.
 * @param seed Trial seed of a multi-seed run (`extractors/<name>/seed_<seed>/`), or null.
 * @returns Absolute path of the directory.
 * @throws {RangeError} When the name cannot be normalised.
 * @throws {UnsafePathError} When `extractors/` or the extractor's directory is a
 * symlink in a guarded run directory.
 */
export async function createExtractorDirectory(
  runDir: string,
  name: string,
  seed: number | null = null,
): Promise<string> {
  const path = extractorDirectory(runDir, name, seed);
  await mkdirNoFollow(path);
  return path;
}

/**
 * Path relative to the run directory, with `/` separators, as artifacts are recorded.
 *
 * @param runDir Absolute run directory.
 * @param path Absolute path inside it.
 * @returns e.g. "extractors/mlp_small/metrics.json".
 * @throws {RangeError} When `path` is outside `runDir`.
 */
export function relativeToRun(runDir: string, path: string): string {
  const relative = nodePath.relative(nodePath.resolve(runDir), nodePath.resolve(path));
  if (
    relative === ".." || relative.startsWith(`..${nodePath.sep}`) || nodePath.isAbsolute(relative)
  ) {
    throw new RangeError(`Path ${path} is outside the run directory ${runDir}`);
  }
  return relative.split(nodePath.sep).join("/");
}

/** Pattern of a run directory name: timestamp, run id, optional `-<n>` suffix. */
const _RUN_DIR_NAME = /^(\d{8}-\d{6})-.+$/;

/**
 * The newest run directory under an output root: the one whose name has the latest
 * timestamp (`YYYYMMDD-HHMMSS-...`), among directories holding a non-empty
 * `manifest.jsonl`; runs started in the same second are ordered by the time of their
 * manifest's first line, then by name.
 *
 * @param root Output root.
 * @returns Absolute path of the newest run directory, or null when there is none.
 * @throws {Deno.errors.PermissionDenied} When the root cannot be read.
 */
export async function findLatestRun(root: string): Promise<string | null> {
  const base = nodePath.resolve(root);
  const candidates: { name: string; stamp: string }[] = [];
  try {
    for await (const entry of Deno.readDir(base)) {
      const match = entry.isDirectory ? _RUN_DIR_NAME.exec(entry.name) : null;
      if (match === null) continue;
      try {
        const info = await Deno.stat(nodePath.join(base, entry.name, MANIFEST_FILE_NAME));
        if (info.isFile && info.size > 0) candidates.push({ name: entry.name, stamp: match[1] });
      } catch {
        // not a run directory (yet)
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  if (candidates.length === 0) return null;
  const newest = candidates.reduce((a, b) => (b.stamp > a.stamp ? b : a)).stamp;
  const tied = candidates.filter((c) => c.stamp === newest);
  const firstTime = async (name: string): Promise<string> => {
    try {
      const path = nodePath.join(base, name, MANIFEST_FILE_NAME);
      const text = new TextDecoder().decode(await readInputFile(path, { kind: "manifest" }));
      const end = text.indexOf("\n");
      const time =
        (JSON.parse(text.slice(0, end < 0 ? undefined : end)) as { time?: unknown }).time;
      return typeof time === "string" ? time : "";
    } catch {
      return "";
    }
  };
  const keyed = await Promise.all(tied.map(async (c) => ({ ...c, time: await firstTime(c.name) })));
  keyed.sort((a, b) => a.time.localeCompare(b.time) || a.name.localeCompare(b.name));
  return nodePath.join(base, keyed[keyed.length - 1].name);
}
