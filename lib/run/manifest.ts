/**
 * The append-only run manifest, `<run_dir>/manifest.jsonl`: one JSON object per line,
 * `{"format_version":2,"event":...,"time":...,...}`, validated against
 * contracts/manifest_event.schema.json on write and on read.
 *
 * Format versions: 1 has run_started, extractor_started, checkpoint_written,
 * evaluation_done, extractor_finished and summary_written; 2 adds run_resumed and the
 * `resumed_from` / `step` fields of a continued extractor_started. This version
 * writes 2 and reads both; a line of a newer version is refused.
 *
 * Each line is written with one append (O_APPEND) while holding an exclusive lock on
 * the file and is flushed with fsync before `append()` returns, so several processes
 * (workers, hosts sharing a file system with working locks) may append to one
 * manifest. A process killed mid-write can leave a torn last line: the reader reports
 * and skips it, and the next writer removes it before appending.
 *
 * @module
 */
import { checkInputFile, readInputFile } from "../internal/input_file.ts";
import { assertNoSymlinks } from "../internal/safe_path.ts";
import type { ExtractorRunRecord, HardwareProfile } from "./models.ts";
import { formatSchemaIssues, validateManifestEvent } from "./schemas.ts";

/** Manifest format written by this version (it reads every version up to this one). */
export const MANIFEST_FORMAT_VERSION = 2;

/** Format versions a manifest line may carry. */
export type ManifestFormatVersion = 1 | 2;
/** File name of the manifest inside a run directory. */
export const MANIFEST_FILE_NAME = "manifest.jsonl";

/** Fields every manifest line has. */
export interface ManifestEventBase {
  /** Manifest format of the line. */
  format_version: ManifestFormatVersion;
  /** ISO 8601 time the event was written (UTC). */
  time: string;
}

/** The run began: resolved scenario, its file and hash, and the host. */
export interface RunStartedEvent extends ManifestEventBase {
  /** Event kind. */
  event: "run_started";
  /** run.run_id from the scenario. */
  run_id: string;
  /** Name of the run directory. */
  run_dir_name: string;
  /** Absolute path of the scenario file. */
  config_file: string;
  /** SHA-256 (hex) of the scenario file's bytes. */
  config_sha256: string;
  /** Absolute path of the map file (absent for a built-in map). */
  map_file?: string;
  /** SHA-256 (hex) of the map file's bytes when the run started (absent for a built-in map). */
  map_sha256?: string;
  /** Resolved scenario, defaults filled in. */
  config: Record<string, unknown>;
  /** Host profile. */
  hardware: HardwareProfile;
  /** Command-line arguments of the run. */
  argv?: string[];
}

/** An extractor began training. */
export interface ExtractorStartedEvent extends ManifestEventBase {
  /** Event kind. */
  event: "extractor_started";
  /** Extractor entry name. */
  extractor: string;
  /** Trial seed in a multi-seed run; absent in a single-seed run. */
  seed?: number;
  /** Its directory relative to the run directory. */
  directory: string;
  /** Preset name. */
  preset?: string;
  /** Resolved parameters. */
  parameters?: Record<string, unknown>;
  /** A continued extractor: the checkpoint it continues from, relative to the run directory (format 2). */
  resumed_from?: string;
  /** A continued extractor: environment steps of that checkpoint (format 2). */
  step?: number;
}

/** A checkpoint file was written. */
export interface CheckpointWrittenEvent extends ManifestEventBase {
  /** Event kind. */
  event: "checkpoint_written";
  /** Extractor entry name. */
  extractor: string;
  /** Trial seed in a multi-seed run; absent in a single-seed run. */
  seed?: number;
  /** Checkpoint path relative to the run directory. */
  path: string;
  /** Environment steps trained when it was taken. */
  step: number;
  /** SHA-256 (hex) of the file. */
  sha256: string;
}

/** An evaluation finished. */
export interface EvaluationDoneEvent extends ManifestEventBase {
  /** Event kind. */
  event: "evaluation_done";
  /** Extractor entry name. */
  extractor: string;
  /** Trial seed in a multi-seed run; absent in a single-seed run. */
  seed?: number;
  /** Environment steps trained before the evaluation. */
  timestep: number;
  /** Mean episode reward. */
  mean_reward: number;
  /** Standard deviation of the episode reward. */
  std_reward: number;
  /** Episodes evaluated. */
  n_episodes?: number;
  /** Mean episode length (steps). */
  mean_ep_length?: number;
  /** Fraction of episodes that reached the goal. */
  success_rate?: number;
}

/** An extractor finished (any status); carries its run record. */
export interface ExtractorFinishedEvent extends ManifestEventBase {
  /** Event kind. */
  event: "extractor_finished";
  /** Extractor entry name. */
  extractor: string;
  /** Trial seed in a multi-seed run; absent in a single-seed run. */
  seed?: number;
  /** The final record. */
  record: ExtractorRunRecord;
}

/** Summary files were written. */
export interface SummaryWrittenEvent extends ManifestEventBase {
  /** Event kind. */
  event: "summary_written";
  /** Files by role (json, markdown, legacy), relative to output_dir. */
  files: Record<string, string>;
  /** Absolute directory the files were written to. */
  output_dir: string;
}

/** What a resume does with one extractor (see docs/file-formats.md). */
export type ResumeAction = "keep" | "continue" | "restart" | "retry" | "start" | "skip";

/** A resume began on an existing run (format 2). */
export interface RunResumedEvent extends ManifestEventBase {
  /** Event kind. */
  event: "run_resumed";
  /** Profile of the host that resumes. */
  hardware: HardwareProfile;
  /** Action per extractor the resume covers, by name. */
  actions: Record<string, ResumeAction>;
  /** The extractors the resume was limited to (--only). */
  only?: string[];
  /** Command-line arguments of the resume. */
  argv?: string[];
}

/** Any manifest line. */
export type ManifestEvent =
  | RunStartedEvent
  | ExtractorStartedEvent
  | CheckpointWrittenEvent
  | EvaluationDoneEvent
  | ExtractorFinishedEvent
  | SummaryWrittenEvent
  | RunResumedEvent;

/** Event kinds. */
export type ManifestEventKind = ManifestEvent["event"];

/** An event's fields without format_version, with an optional time (distributes over unions). */
export type ManifestEventFields<T> = T extends ManifestEvent
  ? Omit<T, "format_version" | "time"> & { time?: string }
  : never;

/** What callers pass to {@linkcode ManifestWriter.append}: an event without version, time optional. */
export type ManifestEventInput = ManifestEventFields<ManifestEvent>;

/** A manifest file that cannot be read. */
export class ManifestError extends Error {
  /** Manifest path. */
  readonly path: string;
  /** 1-based line of the problem, or null for file-level problems. */
  readonly line: number | null;
  /** The line's format_version when it is newer than this version reads, else null. */
  readonly newerFormat: number | null;

  /**
   * Create the error; the message is prefixed with `path:line:`.
   *
   * @param message What is wrong.
   * @param path Manifest path.
   * @param line 1-based line, or null.
   * @param options `newerFormat`: the line's format_version when it is newer than this
   * version reads (default null).
   */
  constructor(
    message: string,
    path: string,
    line: number | null,
    options: { newerFormat?: number | null } = {},
  ) {
    super(line === null ? `${path}: ${message}` : `${path}:${line}: ${message}`);
    this.name = "ManifestError";
    this.path = path;
    this.line = line;
    this.newerFormat = options.newerFormat ?? null;
  }
}

/** A last line that was cut short by a crash. */
export interface TornLine {
  /** 1-based line number. */
  line: number;
  /** Its length in bytes. */
  bytes: number;
  /** Its first 120 characters. */
  preview: string;
}

/** Result of {@linkcode readManifest}. */
export interface ManifestContents {
  /** Complete, valid events in file order. */
  events: ManifestEvent[];
  /** The skipped torn last line, or null. */
  torn: TornLine | null;
}

const _encoder = new TextEncoder();
const _decoder = new TextDecoder();

function _parseLine(
  text: string,
): { event: ManifestEvent } | { problem: string; newerFormat: number | null } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { problem: `not valid JSON (${(error as Error).message})`, newerFormat: null };
  }
  const version = (value as { format_version?: unknown } | null)?.format_version;
  if (typeof version === "number" && version > MANIFEST_FORMAT_VERSION) {
    return {
      problem: `written by a newer version (format_version ${version}); ` +
        `this reader understands up to ${MANIFEST_FORMAT_VERSION}`,
      newerFormat: version,
    };
  }
  const issues = validateManifestEvent(value);
  if (issues.length > 0) {
    return { problem: formatSchemaIssues(issues).replaceAll("\n", "; "), newerFormat: null };
  }
  return { event: value as ManifestEvent };
}

/**
 * Parse manifest text. Complete lines must be valid events; the last line may be torn
 * (no final newline and not a valid event), in which case it is reported and skipped.
 *
 * @param text Manifest content.
 * @param path Manifest path, for messages.
 * @returns Events and the torn line, if any.
 * @throws {ManifestError} When a complete line is invalid or from a newer format.
 */
export function parseManifest(text: string, path = MANIFEST_FILE_NAME): ManifestContents {
  const lines = text.split("\n");
  const last = lines.pop() as string; // "" when the text ends with a newline
  const events: ManifestEvent[] = [];
  lines.forEach((line, index) => {
    if (line.trim() === "") return;
    const parsed = _parseLine(line);
    if ("problem" in parsed) {
      throw new ManifestError(parsed.problem, path, index + 1, { newerFormat: parsed.newerFormat });
    }
    events.push(parsed.event);
  });
  let torn: TornLine | null = null;
  if (last.trim() !== "") {
    const parsed = _parseLine(last);
    if ("event" in parsed) {
      events.push(parsed.event); // complete line whose newline was lost
    } else {
      torn = {
        line: lines.length + 1,
        bytes: _encoder.encode(last).length,
        preview: last.slice(0, 120),
      };
    }
  }
  return { events, torn };
}

/**
 * Read and parse a manifest file.
 *
 * @param path Path of manifest.jsonl.
 * @returns Events and the torn line, if any.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {ManifestError} When a complete line is invalid.
 */
export async function readManifest(path: string): Promise<ManifestContents> {
  const bytes = await readInputFile(path, { kind: "manifest", nativeNotFound: true });
  return parseManifest(_decoder.decode(bytes), path);
}

/** What {@linkcode ManifestWriter.open} did with an unterminated last line. */
export interface TailRepair {
  /** "removed": a torn line was cut off; "terminated": a complete line got its newline. */
  action: "removed" | "terminated";
  /** Bytes of the affected line. */
  bytes: number;
}

async function _readAllFrom(file: Deno.FsFile, size: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(size);
  await file.seek(0, Deno.SeekMode.Start);
  let offset = 0;
  while (offset < size) {
    const read = await file.read(buffer.subarray(offset));
    if (read === null) break;
    offset += read;
  }
  return buffer.subarray(0, offset);
}

async function _writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

async function _repairTail(path: string): Promise<TailRepair | null> {
  await checkInputFile(path, { kind: "manifest", nativeNotFound: true });
  const file = await Deno.open(path, { read: true, write: true });
  try {
    await file.lock(true);
    const size = (await file.stat()).size;
    if (size === 0) return null;
    const bytes = await _readAllFrom(file, size);
    if (bytes[bytes.length - 1] === 0x0a) return null;
    const cut = bytes.lastIndexOf(0x0a) + 1;
    const tail = _decoder.decode(bytes.subarray(cut));
    if ("event" in _parseLine(tail)) {
      await file.seek(0, Deno.SeekMode.End);
      await _writeAll(file, _encoder.encode("\n"));
      await file.sync();
      return { action: "terminated", bytes: bytes.length - cut };
    }
    await file.truncate(cut);
    await file.sync();
    return { action: "removed", bytes: bytes.length - cut };
  } finally {
    await file.unlock().catch(() => {});
    file.close();
  }
}

/**
 * Where a trainer sends its manifest events: a {@linkcode ManifestWriter}, or a proxy
 * that forwards them to the one writer of the run (an extractor worker posts them to
 * the main thread, which appends them).
 */
export interface ManifestSink {
  /**
   * Append one event; resolves once it is on disk.
   * @param input Event fields; `time` defaults to now.
   * @throws {TypeError} When the event breaks the schema.
   */
  append(input: ManifestEventInput): Promise<unknown>;
}

/** Options of {@linkcode ManifestWriter.open}. */
export interface ManifestWriterOptions {
  /**
   * Create the file when missing (false: it must exist, e.g. on resume).
   * @default true
   */
  create?: boolean;
}

/**
 * Appends validated events to a manifest.
 *
 * @example Record a run
 * ```ts
 * const manifest = await ManifestWriter.open(`${runDir}/manifest.jsonl`);
 * await manifest.append({ event: "extractor_started", extractor: "mlp_small", directory: "extractors/mlp_small" });
 * manifest.close();
 * ```
 */
export class ManifestWriter implements ManifestSink {
  #file: Deno.FsFile;
  #path: string;
  #repair: TailRepair | null;
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(file: Deno.FsFile, path: string, repair: TailRepair | null) {
    this.#file = file;
    this.#path = path;
    this.#repair = repair;
  }

  /**
   * Open a manifest for appending. An unterminated last line left by a crash is
   * repaired first (under the file lock): a torn line is removed, a complete one gets
   * its newline; see {@linkcode ManifestWriter.repair}.
   *
   * @param path Path of manifest.jsonl.
   * @param options Whether to create it.
   * @returns An open writer; call close() when done.
   * @throws {Deno.errors.NotFound} When `create` is false and the file is missing.
   */
  static async open(path: string, options: ManifestWriterOptions = {}): Promise<ManifestWriter> {
    const create = options.create ?? true;
    await assertNoSymlinks(path);
    const file = await Deno.open(path, { append: true, create });
    let repair: TailRepair | null = null;
    try {
      repair = await _repairTail(path);
    } catch (error) {
      file.close();
      throw error;
    }
    return new ManifestWriter(file, path, repair);
  }

  /** Path of the manifest. */
  get path(): string {
    return this.#path;
  }

  /** What open() did with an unterminated last line, or null when there was none. */
  get repair(): TailRepair | null {
    return this.#repair;
  }

  /**
   * Append one event as one line: adds format_version and time, validates against
   * the schema, writes under an exclusive lock and flushes to disk.
   *
   * @param input Event fields; `time` defaults to now.
   * @returns The event as written.
   * @throws {TypeError} When the event breaks the schema (nothing is written).
   */
  async append(input: ManifestEventInput): Promise<ManifestEvent> {
    const { time, event: kind, ...fields } = input;
    const event = {
      format_version: MANIFEST_FORMAT_VERSION,
      event: kind,
      time: time ?? new Date().toISOString(),
      ...fields,
    } as ManifestEvent;
    const issues = validateManifestEvent(event);
    if (issues.length > 0) {
      throw new TypeError(
        `Invalid ${input.event} manifest event: ${
          formatSchemaIssues(issues).replaceAll("\n", "; ")
        }`,
      );
    }
    const bytes = _encoder.encode(`${JSON.stringify(event)}\n`);
    // Appends through one writer run one after another; the file lock orders writers.
    const write = this.#queue.then(async () => {
      await this.#file.lock(true);
      try {
        const before = (await this.#file.stat()).size;
        try {
          await _writeAll(this.#file, bytes);
          await this.#file.sync();
        } catch (error) {
          // A write cut short (a full disk, an I/O error) must not leave part of a line
          // for the next append to continue: cut the file back to where it was.
          await this.#file.truncate(before).catch(() => {});
          throw error;
        }
      } finally {
        await this.#file.unlock();
      }
    });
    this.#queue = write.catch(() => {});
    await write;
    return event;
  }

  /** Close the file. */
  close(): void {
    this.#file.close();
  }
}
