/**
 * Containment of run directories: every file the suite reads or writes inside a
 * guarded directory (a run directory) is reached without following a symbolic link.
 * Deno has no O_NOFOLLOW open flag, so before each read, write, append, lock or mkdir
 * the path's components below the guarded directory are examined with lstat (a
 * component that is a symlink is refused), and the resolved path must lie inside the
 * guarded directory's resolved path. The guarded directory itself, and the folders
 * above it (the output root), may be symlinks: that is the user's choice.
 *
 * The checks see links that exist when an operation starts; a process that swaps a
 * component for a link between the check and the open (a race) is outside what they
 * cover (docs/security.md).
 *
 * Directories are guarded per process and per worker ({@linkcode guardDirectory}):
 * `train`, `resume` and `summarize` guard the run directory before touching it; the
 * trainer guards its extractor directory (in an extractor worker, which may read only
 * that directory, the main thread has checked the way to it before starting it).
 *
 * @module
 */
import * as nodePath from "node:path";

/** A path inside a guarded directory that crosses a symbolic link (or leaves it). */
export class UnsafePathError extends Error {
  /** The offending path (the link itself, or the path that resolves outside). */
  readonly path: string;
  /** The guarded directory. */
  readonly root: string;

  /**
   * Create the error.
   *
   * @param message What is wrong, naming the path.
   * @param options The offending path and the guarded directory.
   */
  constructor(message: string, options: { path: string; root: string }) {
    super(message);
    this.name = "UnsafePathError";
    this.path = options.path;
    this.root = options.root;
  }
}

const _roots = new Set<string>();

/**
 * Guard `dir`: from now on, in this process or worker, the suite's file helpers refuse
 * symlinks below it (see the module description). Idempotent.
 *
 * @param dir A run directory (absolute or relative to the working directory).
 */
export function guardDirectory(dir: string): void {
  _roots.add(nodePath.resolve(dir));
}

/**
 * Stop guarding `dir` (tests; a finished run needs no unguarding).
 *
 * @param dir A directory given to {@linkcode guardDirectory}.
 */
export function unguardDirectory(dir: string): void {
  _roots.delete(nodePath.resolve(dir));
}

/**
 * The guarded directory that contains `path` (the outermost one: the most components
 * are checked), or null.
 *
 * @param path Absolute or relative path.
 * @returns The guarded directory, or null when `path` lies in none.
 */
export function guardedRootOf(path: string): string | null {
  const target = nodePath.resolve(path);
  let best: string | null = null;
  for (const root of _roots) {
    const relative = nodePath.relative(root, target);
    const inside = relative === "" ||
      (!relative.startsWith("..") && !nodePath.isAbsolute(relative));
    if (inside && (best === null || root.length < best.length)) best = root;
  }
  return best;
}

function _linkError(component: string, root: string): UnsafePathError {
  return new UnsafePathError(
    `${component} is a symbolic link inside the run directory ${root}; the suite does not ` +
      "follow links there (replace it by the file or directory itself, or remove it)",
    { path: component, root },
  );
}

function _isInside(root: string, target: string): boolean {
  const relative = nodePath.relative(root, target);
  return relative === "" || (!relative.startsWith(`..`) && !nodePath.isAbsolute(relative));
}

/**
 * Refuse `path` when it lies in a guarded directory and one of its components below
 * that directory is a symbolic link, or it resolves outside the directory. Components
 * that do not exist yet are fine (they will be created as plain entries). Paths in no
 * guarded directory pass unchecked.
 *
 * @param path File or directory about to be read, written, locked or created.
 * @param root The directory that must contain it.
 * @default root the guarded directory containing `path` ({@linkcode guardedRootOf})
 * @throws {UnsafePathError} Naming the link (or the path) and the run directory.
 */
export async function assertNoSymlinks(path: string, root?: string): Promise<void> {
  const base = root === undefined ? guardedRootOf(path) : nodePath.resolve(root);
  if (base === null) return;
  const target = nodePath.resolve(path);
  if (!_isInside(base, target)) {
    throw new UnsafePathError(`${target} lies outside the run directory ${base}`, {
      path: target,
      root: base,
    });
  }
  const parts = nodePath.relative(base, target).split(nodePath.sep).filter((p) => p !== "");
  let current = base;
  let existing = base;
  for (const part of parts) {
    current = nodePath.join(current, part);
    let info: Deno.FileInfo;
    try {
      info = await Deno.lstat(current);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
        break;
      }
      throw error;
    }
    if (info.isSymlink) throw _linkError(current, base);
    existing = current;
  }
  // The components are plain entries; the resolved path must still be inside (a bind
  // mount or a link swapped in since is caught here).
  let realBase: string, realExisting: string;
  try {
    [realBase, realExisting] = await Promise.all([Deno.realPath(base), Deno.realPath(existing)]);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return; // the directory is not made yet
    throw error;
  }
  if (!_isInside(realBase, realExisting)) {
    throw new UnsafePathError(
      `${existing} resolves to ${realExisting}, outside the run directory ${base}`,
      { path: existing, root: base },
    );
  }
}

/**
 * {@linkcode assertNoSymlinks} for synchronous callers (the run log's file sink).
 *
 * @param path File or directory about to be used.
 * @throws {UnsafePathError} Naming the link and the run directory.
 */
export function assertNoSymlinksSync(path: string): void {
  const base = guardedRootOf(path);
  if (base === null) return;
  const target = nodePath.resolve(path);
  let current = base;
  for (const part of nodePath.relative(base, target).split(nodePath.sep)) {
    if (part === "") continue;
    current = nodePath.join(current, part);
    let info: Deno.FileInfo;
    try {
      info = Deno.lstatSync(current);
    } catch {
      return;
    }
    if (info.isSymlink) throw _linkError(current, base);
  }
}

/**
 * Create a directory (and missing parents) inside a guarded directory without
 * following a link: the existing components are checked first.
 *
 * @param path Directory to create.
 * @throws {UnsafePathError} When a component is a symbolic link.
 */
export async function mkdirNoFollow(path: string): Promise<void> {
  await assertNoSymlinks(path);
  await Deno.mkdir(path, { recursive: true });
  await assertNoSymlinks(path);
}

/**
 * Refuse a directory tree that holds a symbolic link anywhere below `dir` (`dir`
 * itself may be one). Resume and summarize check a run directory this way before they
 * read it, so a planted link is named at once, before anything is read or written.
 *
 * @param dir The run directory.
 * @param options `maxEntries`: entries examined at most (default 1,000,000).
 * @throws {UnsafePathError} Naming the first link found.
 */
export async function assertNoSymlinksBelow(
  dir: string,
  options: { maxEntries?: number } = {},
): Promise<void> {
  const root = nodePath.resolve(dir);
  let budget = options.maxEntries ?? 1_000_000;
  const walk = async (sub: string): Promise<void> => {
    let entries: Deno.DirEntry[];
    try {
      entries = await Array.fromAsync(Deno.readDir(sub));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      throw error;
    }
    for (const entry of entries) {
      if (--budget < 0) return;
      const path = nodePath.join(sub, entry.name);
      if (entry.isSymlink) throw _linkError(path, root);
      if (entry.isDirectory) await walk(path);
    }
  };
  await walk(root);
}
