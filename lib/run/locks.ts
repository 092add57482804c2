/**
 * Advisory file locks (flock) that keep processes working on one run directory out
 * of each other's way:
 *
 * - `run.lock` in the run directory: held exclusively by `train` and by a `resume`
 *   of the whole run, shared by each `resume --only`, so several `--only` processes
 *   (e.g. SLURM array tasks) may share a run but never with a whole-run process;
 * - `training.lock` in an extractor's directory: held exclusively by the process
 *   training that extractor, so two processes never train one extractor, and readers
 *   can tell "running elsewhere" from "cut short by a crash";
 * - `summary.lock` beside summary.json: held while a summary is read and written, so
 *   concurrent rewrites happen one after another.
 *
 * The kernel releases a lock when its process dies, even by SIGKILL, so a crash never
 * leaves a run locked. On network file systems, locks work where the file system
 * supports them (NFS with a lock manager does; Linux then maps flock onto POSIX
 * locks, which is why lock files are opened for writing).
 *
 * @module
 */

import { assertNoSymlinks } from "../internal/safe_path.ts";

/** File name of the run-level lock inside a run directory. */
export const RUN_LOCK_FILE_NAME = "run.lock";
/** File name of the training lock inside an extractor directory. */
export const TRAINING_LOCK_FILE_NAME = "training.lock";
/** File name of the summary lock beside summary.json. */
export const SUMMARY_LOCK_FILE_NAME = "summary.lock";

/** A lock another process holds. */
export class LockBusyError extends Error {
  /** The lock file. */
  readonly path: string;

  /**
   * Create the error.
   *
   * @param message What is locked, for people.
   * @param path The lock file.
   */
  constructor(message: string, path: string) {
    super(message);
    this.name = "LockBusyError";
    this.path = path;
  }
}

/** Options of {@linkcode FileLock.release}. */
export interface ReleaseFileLockOptions {
  /**
   * Remove the lock file as well, when no other process holds or waits for it (at the
   * end of a clean run, so that no empty lock files are left). A process that opened
   * the file before its removal notices and locks the new file instead.
   * @default false
   */
  remove?: boolean;
}

/** A held lock; release it (or let the process end) to free it. */
export interface FileLock {
  /** The lock file. */
  readonly path: string;
  /** Release the lock and close the file (idempotent). */
  release(options?: ReleaseFileLockOptions): Promise<void>;
}

/** Options of {@linkcode acquireFileLock}. */
export interface AcquireFileLockOptions {
  /**
   * Exclusive (one holder) or shared (any number of shared holders, no exclusive one).
   * @default true
   */
  exclusive?: boolean;
  /**
   * Wait for the lock; false: throw LockBusyError at once when it is held.
   * @default false
   */
  wait?: boolean;
  /**
   * Message of the LockBusyError.
   * @default "<path> is locked by another process"
   */
  busyMessage?: string;
}

/**
 * Take an advisory lock on `path` (created when missing; its content is never
 * touched).
 *
 * @param path Lock file; its directory must exist.
 * @param options Exclusive or shared, wait or fail, busy message.
 * @returns The held lock.
 * @throws {LockBusyError} When `wait` is false and another process holds a conflicting lock.
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 */
export async function acquireFileLock(
  path: string,
  options: AcquireFileLockOptions = {},
): Promise<FileLock> {
  const exclusive = options.exclusive ?? true;
  await assertNoSymlinks(path);
  const file = await _lockCurrentFile(path, exclusive, options);
  let released = false;
  return {
    path,
    async release(releaseOptions: ReleaseFileLockOptions = {}) {
      if (released) return;
      released = true;
      try {
        // Removed only while held exclusively (a shared holder first tries to become
        // the only one), so no other process holds the removed file.
        if (releaseOptions.remove && (exclusive || await file.tryLock(true))) {
          await Deno.remove(path).catch(() => {});
        }
        await file.unlock();
      } finally {
        file.close();
      }
    },
  };
}

/**
 * Open and lock `path`, making sure the file locked is the one the path names now: a
 * holder may have removed the file (release with `remove`) while this process waited
 * on it, and then the lock is taken again on the file now at the path.
 */
async function _lockCurrentFile(
  path: string,
  exclusive: boolean,
  options: AcquireFileLockOptions,
): Promise<Deno.FsFile> {
  for (;;) {
    const file = await Deno.open(path, { read: true, write: true, create: true });
    try {
      if (options.wait ?? false) {
        await file.lock(exclusive);
      } else if (!(await file.tryLock(exclusive))) {
        throw new LockBusyError(
          options.busyMessage ?? `${path} is locked by another process`,
          path,
        );
      }
      if (await _sameFile(file, path)) return file;
      await file.unlock();
    } catch (error) {
      file.close();
      throw error;
    }
    file.close();
  }
}

async function _sameFile(file: Deno.FsFile, path: string): Promise<boolean> {
  const held = await file.stat();
  try {
    const current = await Deno.stat(path);
    return held.ino === current.ino && held.dev === current.dev;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/**
 * Whether another holder has an exclusive lock on `path` right now. A missing or
 * unopenable file counts as unlocked; nothing is created.
 *
 * @param path Lock file.
 * @returns True when an exclusive lock is held.
 */
export async function isExclusivelyLocked(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    await assertNoSymlinks(path);
    file = await Deno.open(path, { read: true, write: true });
  } catch {
    return false;
  }
  try {
    const free = await file.tryLock(false);
    if (free) await file.unlock();
    return !free;
  } catch {
    return false;
  } finally {
    file.close();
  }
}

/**
 * Run `fn` while holding an exclusive lock on `path`, waiting for it when needed; the
 * lock file is removed afterwards unless another process holds or waits for it.
 *
 * @param path Lock file; its directory must exist.
 * @param fn The work.
 * @returns What `fn` returns.
 * @throws Whatever `fn` throws (the lock is released first).
 */
export async function withFileLock<T>(path: string, fn: () => Promise<T>): Promise<T> {
  const lock = await acquireFileLock(path, { wait: true });
  try {
    return await fn();
  } finally {
    await lock.release({ remove: true });
  }
}
