/**
 * Crash-safe file writes: write a temporary file beside the target, fsync it,
 * rename it over the target, then fsync the directory (where the platform
 * allows), so a reader sees either the old or the new complete file.
 *
 * @module
 */
import { assertNoSymlinks } from "../internal/safe_path.ts";
import { dirname } from "node:path";

let counter = 0;

/**
 * Write `bytes` to `path` atomically.
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 * @throws {UnsafePathError} When a component inside a guarded run directory is a symlink.
 */
export async function writeFileAtomic(path: string, bytes: Uint8Array): Promise<void> {
  await assertNoSymlinks(path);
  const tmp = `${path}.${Deno.pid}.${++counter}.tmp`;
  const file = await Deno.open(tmp, { write: true, createNew: true });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } catch (e) {
    file.close();
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  file.close();
  try {
    await Deno.rename(tmp, path);
  } catch (e) {
    await Deno.remove(tmp).catch(() => {});
    throw e;
  }
  try {
    const dir = await Deno.open(dirname(path), { read: true });
    try {
      await dir.sync();
    } finally {
      dir.close();
    }
  } catch {
    // Directory fsync is not supported everywhere; the rename itself is atomic.
  }
}
