/**
 * Checked reads of input files: before a byte is read, the path must name a regular
 * file (not a directory, device, FIFO or socket; a symlink counts as what it points
 * to, and a symlink loop is refused) no larger than a limit suited to its kind. The
 * read itself stops at the limit, so a file that grows, or a special file that claims
 * size 0 (as /proc files do), can never exhaust memory. Errors name the file and the
 * limit and never quote the file's content.
 *
 * Inside a guarded run directory (lib/internal/safe_path.ts) a symlink on the way to
 * the file is refused as well.
 *
 * @module
 */
import { assertNoSymlinks } from "./safe_path.ts";

/** Kinds of input file, each with its own size limit. */
export type InputFileKind =
  | "scenario"
  | "map"
  | "manifest"
  | "checkpoint"
  | "policy"
  | "json"
  | "jsonl";

/** Default size limits in bytes, by kind. */
export const DEFAULT_INPUT_LIMITS: Readonly<Record<InputFileKind, number>> = {
  /** A scenario (YAML); also the scenario copy of a run. */
  scenario: 1024 * 1024,
  /** A map file (.json or .svg). */
  map: 64 * 1024 * 1024,
  /** A run's manifest.jsonl (about 1 KB per event; 1M-step runs stay below 10 MB). */
  manifest: 256 * 1024 * 1024,
  /** A network or trainer checkpoint (weights and optimiser state). */
  checkpoint: 2 * 1024 * 1024 * 1024 - 1,
  /** An exported ONNX policy (final_model.onnx, best_model.onnx). */
  policy: 2 * 1024 * 1024 * 1024 - 1,
  /** A JSON file of a run (metrics.json, jobs.json, summaries). */
  json: 64 * 1024 * 1024,
  /** A JSONL log of a run (eval_history.jsonl, the train log). */
  jsonl: 256 * 1024 * 1024,
};

/**
 * Environment variables that raise (or lower) a limit, in MiB, for the kinds a user
 * may need more of.
 */
export const INPUT_LIMIT_ENV: Readonly<Partial<Record<InputFileKind, string>>> = {
  scenario: "MULTI_EXTRACTOR_MAX_SCENARIO_MB",
  map: "MULTI_EXTRACTOR_MAX_MAP_MB",
};

/** Why an input file was refused. */
export type InputFileProblem =
  | "not_found"
  | "not_regular"
  | "too_large"
  | "symlink_loop"
  | "not_text"
  | "unreadable";

/** An input file that cannot be read as one; the message names the file (and the limit). */
export class InputFileError extends Error {
  /** The file as given. */
  readonly path: string;
  /** What is wrong. */
  readonly problem: InputFileProblem;
  /** The size limit in bytes (too_large), else null. */
  readonly limit: number | null;

  /**
   * Create the error.
   *
   * @param message What is wrong, naming the file.
   * @param options The file, the problem and the limit.
   */
  constructor(
    message: string,
    options: { path: string; problem: InputFileProblem; limit?: number | null },
  ) {
    super(message);
    this.name = "InputFileError";
    this.path = options.path;
    this.problem = options.problem;
    this.limit = options.limit ?? null;
  }
}

function _readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no permission to read it: the default applies
  }
}

/**
 * The size limit of a kind: the environment variable of {@linkcode INPUT_LIMIT_ENV}
 * (MiB, a positive number) when set, else {@linkcode DEFAULT_INPUT_LIMITS}.
 *
 * @param kind Kind of file.
 * @returns Limit in bytes.
 * @throws {RangeError} When the environment variable is set but not a positive number.
 */
export function inputLimit(kind: InputFileKind): number {
  const name = INPUT_LIMIT_ENV[kind];
  const value = name === undefined ? undefined : _readEnv(name);
  if (value === undefined || value.trim() === "") return DEFAULT_INPUT_LIMITS[kind];
  const mib = Number(value);
  if (!Number.isFinite(mib) || mib <= 0) {
    throw new RangeError(`${name}=${value} is not a positive number of MiB`);
  }
  return Math.floor(mib * 1024 * 1024);
}

/**
 * Format a byte count for messages: "1 MiB", "64 MiB", "1.5 KiB", "12 bytes".
 *
 * @param bytes Byte count.
 * @returns Human-readable size.
 */
export function formatBytes(bytes: number): string {
  const units = [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const;
  for (const [unit, size] of units) {
    if (bytes >= size) return `${Number((bytes / size).toFixed(1))} ${unit}`;
  }
  return `${bytes} bytes`;
}

function _typeName(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSocket) return "a socket";
  return "not a regular file";
}

/** Options of the checked reads. */
export interface InputFileOptions {
  /** Kind of file: decides the limit and names the file in messages. */
  kind: InputFileKind;
  /**
   * Size limit in bytes.
   * @default inputLimit(kind)
   */
  limit?: number;
  /**
   * Throw Deno's own NotFound error for a missing file (for callers that tell a missing
   * file apart that way) instead of an InputFileError.
   * @default false
   */
  nativeNotFound?: boolean;
}

function _label(kind: InputFileKind): string {
  return kind === "jsonl"
    ? "JSONL file"
    : kind === "json"
    ? "JSON file"
    : kind === "policy"
    ? "policy file"
    : kind;
}

function _tooLarge(path: string, kind: InputFileKind, size: string, limit: number): InputFileError {
  const env = INPUT_LIMIT_ENV[kind];
  return new InputFileError(
    `${_label(kind)} ${path} is ${size}; the limit is ${formatBytes(limit)}` +
      (env === undefined ? "" : ` (set ${env} to raise it)`),
    { path, problem: "too_large", limit },
  );
}

/**
 * Check that `path` can be read as an input file of its kind, without opening it.
 *
 * @param path File path (a symlink is followed).
 * @param options Kind and limit.
 * @returns The file's information.
 * @throws {InputFileError} When it does not exist (not_found), is a symlink loop, is no
 * regular file, or is larger than the limit.
 */
export async function checkInputFile(
  path: string | URL,
  options: InputFileOptions,
): Promise<Deno.FileInfo> {
  const name = String(path instanceof URL ? path.pathname : path);
  const label = _label(options.kind);
  const limit = options.limit ?? inputLimit(options.kind);
  if (typeof path === "string") await assertNoSymlinks(path);
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && options.nativeNotFound) throw error;
    if (error instanceof Deno.errors.NotFound) {
      throw new InputFileError(`${label} ${name} does not exist`, {
        path: name,
        problem: "not_found",
      });
    }
    if (
      error instanceof Deno.errors.FilesystemLoop || /ELOOP|too many levels/i.test(String(error))
    ) {
      throw new InputFileError(`${label} ${name} is a symlink loop`, {
        path: name,
        problem: "symlink_loop",
      });
    }
    throw new InputFileError(`${label} ${name} cannot be read (${(error as Error).message})`, {
      path: name,
      problem: "unreadable",
    });
  }
  if (!info.isFile) {
    throw new InputFileError(`${label} ${name} is ${_typeName(info)}, not a regular file`, {
      path: name,
      problem: "not_regular",
    });
  }
  if (info.size > limit) throw _tooLarge(name, options.kind, formatBytes(info.size), limit);
  return info;
}

/**
 * Read `file` to its end into one buffer of the expected size, growing it only when
 * the file holds more than it claimed, and never past `limit` bytes.
 */
async function _readBounded(
  file: Deno.FsFile,
  expected: number,
  limit: number,
  tooLarge: () => InputFileError,
): Promise<Uint8Array> {
  let buffer = new Uint8Array(expected);
  let total = 0;
  for (;;) {
    if (total === buffer.length) {
      // Full: is there more than the file claimed (a /proc file, a file growing)?
      const probe = new Uint8Array(Math.min(65536, limit + 1 - total));
      const read = await file.read(probe);
      if (read === null) return buffer;
      if (total + read > limit) throw tooLarge();
      const grown = new Uint8Array(Math.min(Math.max(2 * buffer.length, total + read), limit));
      grown.set(buffer.subarray(0, total));
      grown.set(probe.subarray(0, read), total);
      buffer = grown;
      total += read;
      continue;
    }
    const read = await file.read(buffer.subarray(total));
    if (read === null) return buffer.slice(0, total); // it shrank meanwhile
    total += read;
  }
}

/**
 * Read an input file's bytes after {@linkcode checkInputFile}; the read stops one byte
 * past the limit, so the file cannot exhaust memory even if it grows meanwhile.
 *
 * @param path File path.
 * @param options Kind and limit.
 * @returns The content.
 * @throws {InputFileError} As checkInputFile, and when the file grew past the limit.
 */
export async function readInputFile(
  path: string | URL,
  options: InputFileOptions,
): Promise<Uint8Array> {
  const name = String(path instanceof URL ? path.pathname : path);
  const limit = options.limit ?? inputLimit(options.kind);
  const info = await checkInputFile(path, { ...options, limit });
  let file: Deno.FsFile;
  try {
    file = await Deno.open(path, { read: true });
  } catch (error) {
    throw new InputFileError(
      `${_label(options.kind)} ${name} cannot be read (${(error as Error).message})`,
      { path: name, problem: "unreadable" },
    );
  }
  try {
    const opened = await file.stat();
    if (!opened.isFile) {
      throw new InputFileError(`${_label(options.kind)} ${name} is not a regular file`, {
        path: name,
        problem: "not_regular",
      });
    }
    return await _readBounded(
      file,
      Math.min(info.size, limit),
      limit,
      () => _tooLarge(name, options.kind, `over ${formatBytes(limit)}`, limit),
    );
  } finally {
    file.close();
  }
}

/**
 * Read an input file as UTF-8 text (checked and bounded as {@linkcode readInputFile}).
 *
 * @param path File path.
 * @param options Kind and limit.
 * @returns The text.
 * @throws {InputFileError} As readInputFile, and when the bytes are not UTF-8 text
 * (not_text; a NUL byte counts as binary). The message quotes none of the content.
 */
export async function readInputText(
  path: string | URL,
  options: InputFileOptions,
): Promise<string> {
  const bytes = await readInputFile(path, options);
  return decodeInputText(bytes, String(path instanceof URL ? path.pathname : path), options.kind);
}

/**
 * Decode bytes read from an input file as UTF-8 text.
 *
 * @param bytes The content.
 * @param path File path, for the message.
 * @param kind Kind of file, for the message.
 * @returns The text.
 * @throws {InputFileError} When the bytes are not UTF-8 or hold a NUL byte (not_text).
 */
export function decodeInputText(bytes: Uint8Array, path: string, kind: InputFileKind): string {
  let text: string | null = null;
  if (!bytes.includes(0)) {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
    } catch {
      text = null;
    }
  }
  if (text === null) {
    throw new InputFileError(`${_label(kind)} ${path} is not UTF-8 text (a binary file?)`, {
      path,
      problem: "not_text",
    });
  }
  return text;
}
