/**
 * Crash-safe file writes: data goes to a temporary file in the destination's
 * directory, is flushed to disk (fsync), then renamed over the destination, and the
 * directory entry is flushed. A reader sees the old file or the new one, never a
 * partial file; a failed write leaves the old file untouched and removes the
 * temporary file.
 *
 * @module
 */
import * as nodePath from "node:path";
import { assertNoSymlinks } from "./safe_path.ts";

/** Bytes to write: one buffer, or chunks produced one after another. */
export type AtomicData = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/** Options of the atomic write functions. */
export interface AtomicWriteOptions {
  /**
   * Permission bits of the new file (before umask).
   * @default 0o644
   */
  mode?: number;
  /**
   * Flush the directory after the rename so the new name survives a power loss.
   * @default true
   */
  syncDirectory?: boolean;
}

let _tempCounter = 0;

async function _writeAll(file: Deno.FsFile, bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await file.write(bytes.subarray(offset));
}

async function _syncDirectory(dir: string): Promise<void> {
  if (Deno.build.os === "windows") return; // directories cannot be opened for fsync there
  const handle = await Deno.open(dir, { read: true });
  try {
    await handle.sync();
  } finally {
    handle.close();
  }
}

/**
 * Create a new temporary file beside the destination. The name holds the process id and
 * a counter; processes on different hosts sharing the directory (SLURM array tasks) can
 * have the same process id, so a name that exists already is skipped, never reused.
 */
async function _createTemp(
  dir: string,
  base: string,
  mode: number,
): Promise<{ file: Deno.FsFile; temp: string }> {
  for (let attempt = 0;; attempt++) {
    const temp = nodePath.join(dir, `.${base}.${Deno.pid}-${++_tempCounter}.tmp`);
    try {
      return { file: await Deno.open(temp, { write: true, createNew: true, mode }), temp };
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists) || attempt >= 1000) throw error;
    }
  }
}

/**
 * Write bytes to `path` atomically (temp file + fsync + rename + directory fsync).
 *
 * @param path Destination file; its directory must exist.
 * @param data One buffer, or chunks (e.g. a checkpoint streamed in parts).
 * @param options File mode and directory flush.
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 * @throws {UnsafePathError} When a component inside a guarded run directory is a symlink.
 * @throws Whatever producing `data` throws; the destination is then unchanged.
 */
export async function writeFileAtomic(
  path: string,
  data: AtomicData,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await assertNoSymlinks(path);
  const dir = nodePath.dirname(nodePath.resolve(path));
  const { file, temp } = await _createTemp(dir, nodePath.basename(path), options.mode ?? 0o644);
  let closed = false;
  try {
    if (data instanceof Uint8Array) {
      await _writeAll(file, data);
    } else {
      for await (const chunk of data) await _writeAll(file, chunk);
    }
    await file.sync();
    file.close();
    closed = true;
    await Deno.rename(temp, path);
  } catch (error) {
    if (!closed) file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  if (options.syncDirectory ?? true) await _syncDirectory(dir);
}

/**
 * Write UTF-8 text to `path` atomically.
 *
 * @param path Destination file.
 * @param text Content.
 * @param options File mode and directory flush.
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 */
export async function writeTextFileAtomic(
  path: string,
  text: string,
  options: AtomicWriteOptions = {},
): Promise<void> {
  await writeFileAtomic(path, new TextEncoder().encode(text), options);
}

/** Options of {@linkcode writeJsonFileAtomic}. */
export interface AtomicJsonOptions extends AtomicWriteOptions {
  /**
   * Spaces of indentation.
   * @default 2
   */
  indent?: number;
}

/**
 * Serialise `value` as JSON (with a final newline) and write it atomically. The value
 * is serialised before anything touches the disk, so a value that cannot be
 * serialised leaves the destination unchanged.
 *
 * @param path Destination file.
 * @param value JSON-serialisable value.
 * @param options Indentation, file mode and directory flush.
 * @throws {TypeError} When `value` cannot be serialised (cycles, BigInt) or serialises to nothing.
 */
export async function writeJsonFileAtomic(
  path: string,
  value: unknown,
  options: AtomicJsonOptions = {},
): Promise<void> {
  const text = JSON.stringify(value, null, options.indent ?? 2);
  if (text === undefined) throw new TypeError(`Value for ${path} does not serialise to JSON`);
  await writeTextFileAtomic(path, `${text}\n`, options);
}

/**
 * Temporary files of interrupted atomic writes: `.<name>.<pid>-<n>.tmp`, and
 * `<name>.<pid>.<n>.tmp` of earlier versions' network writes.
 */
const _TEMP_FILE = /^(?:\..+\.(\d+)-\d+|.+\.(\d+)\.\d+)\.tmp$/;

/**
 * Remove the temporary files that atomic writes killed before their rename left in
 * `dir` (not in subdirectories). Call it only while no other process writes into
 * `dir` (e.g. holding the lock that guards it); files of this process are kept.
 *
 * @param dir Directory to clean; a missing one is ignored.
 * @returns Names of the removed files.
 */
export async function removeStaleTempFiles(dir: string): Promise<string[]> {
  const removed: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const match = entry.isFile ? _TEMP_FILE.exec(entry.name) : null;
      if (match === null || Number(match[1] ?? match[2]) === Deno.pid) continue;
      await Deno.remove(nodePath.join(dir, entry.name)).catch(() => {});
      removed.push(entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return removed.sort();
}
