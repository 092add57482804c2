/**
 * The one place that decides what a Deno Worker may do. Every worker of the
 * suite is started through {@linkcode spawnWorker} with a permission set built
 * here; docs/security.md lists the table. A worker never gets more than the
 * process that starts it, and starting one needs the `worker-options` unstable
 * feature (`"unstable": ["worker-options"]` in deno.json, or
 * `--unstable-worker-options`; without it Deno exits with code 70).
 *
 * @module
 */
import { basename, dirname, isAbsolute, join, normalize, resolve } from "node:path";
import { fileURLToPath } from "node:url";

/**
 * Permission set of a worker, in the object form of Deno's
 * `WorkerOptions.deno.permissions`: absolute paths where access is granted,
 * `false` where it is revoked. Net, run, sys and remote import are never granted.
 */
export interface WorkerPermissions {
  /** Readable files and folders. */
  read: string[];
  /** Writable files and folders, or none. */
  write: false | string[];
  /** Network: never. */
  net: false;
  /** Subprocesses: never. */
  run: false;
  /** Folders native libraries may be loaded from, or none. */
  ffi: false | string[];
  /** System information: never. */
  sys: false;
  /** Remote module imports: never. */
  import: false;
  /** Readable environment variables, or none. */
  env: false | string[];
}

/** Absolute path of the project root (the folder holding deno.json), from this module's location. */
export const PROJECT_ROOT: string = fileURLToPath(new URL("../../", import.meta.url)).replace(
  /[\\/]$/,
  "",
);

/** Project paths every worker may read: code (`lib/`, `mod.ts`), configs (`configs/`, incl. built-in maps), `deno.json`. */
export function projectReadPaths(): string[] {
  return ["lib", "configs", "mod.ts", "deno.json"].map((p) => join(PROJECT_ROOT, p));
}

/** Options shared by the permission builders. */
export interface WorkerPermissionOptions {
  /**
   * Extra map files or folders the worker may read (the scenario's map path,
   * e.g. robot_sf maps outside the project); relative paths resolve against
   * the current directory. @default []
   */
  mapPaths?: string[];
  /** Names of environment variables the worker may read; no others. @default [] */
  env?: string[];
}

function _absolute(path: string): string {
  return normalize(isAbsolute(path) ? path : resolve(path));
}

/**
 * `path` and, when a symbolic link lies on its way (a run directory reached through a
 * link, an output root that is a link), the path it resolves to: the nearest existing
 * ancestor resolved with realPath, the rest appended. Deno checks a worker's file
 * access against the path a call names, and code in the worker may name either form.
 */
function _withResolved(path: string): string[] {
  let existing = path;
  const rest: string[] = [];
  for (;;) {
    try {
      const real = join(Deno.realPathSync(existing), ...rest);
      return real === path ? [path] : [path, real];
    } catch {
      const parent = dirname(existing);
      if (parent === existing) return [path];
      rest.unshift(basename(existing));
      existing = parent;
    }
  }
}

function _envPermission(names: string[] | undefined): false | string[] {
  if (names === undefined || names.length === 0) return false;
  for (const n of names) {
    if (typeof n !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) {
      throw new TypeError(`Environment variable name must be a plain identifier, got '${n}'`);
    }
  }
  return [...names];
}

/**
 * Permissions of an env worker (one that steps simulator envs): read of the
 * project's code, configs and built-in maps plus the given map paths; env only
 * for the named variables; no write, net, run, ffi, sys or remote import.
 *
 * @param options Extra map paths and environment variable names.
 * @returns The permission object for {@linkcode spawnWorker}.
 * @throws {TypeError} When an environment variable name is not an identifier.
 */
export function envWorkerPermissions(options: WorkerPermissionOptions = {}): WorkerPermissions {
  return {
    read: [...projectReadPaths(), ...(options.mapPaths ?? []).map(_absolute)],
    write: false,
    net: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
    env: _envPermission(options.env),
  };
}

/**
 * Permissions of an extractor-training worker: read of the project's code,
 * configs, built-in maps, the given map paths and `node_modules/` (ONNX
 * Runtime's JavaScript and native binding); write only inside its extractor's
 * directory (which it may also read); ffi only for native code under
 * `node_modules/` (onnxruntime-node); env only for the named variables; no
 * net, run, sys or remote import.
 *
 * @param extractorDir The extractor's output directory, its only writable place.
 * @param options Extra map paths and environment variable names.
 * @returns The permission object for {@linkcode spawnWorker}.
 * @throws {TypeError} When extractorDir is empty or an environment variable name is not an identifier.
 */
export function extractorWorkerPermissions(
  extractorDir: string,
  options: WorkerPermissionOptions = {},
): WorkerPermissions {
  if (typeof extractorDir !== "string" || extractorDir.trim() === "") {
    throw new TypeError("Extractor directory must be a non-empty path");
  }
  const dir = _absolute(extractorDir);
  const modules = join(PROJECT_ROOT, "node_modules");
  return {
    read: [
      ...projectReadPaths(),
      modules,
      ..._withResolved(dir),
      ...(options.mapPaths ?? []).map(_absolute),
    ],
    write: _withResolved(dir),
    net: false,
    run: false,
    ffi: [modules],
    sys: false,
    import: false,
    env: _envPermission(options.env),
  };
}

/**
 * Permissions of a compute-only worker (lib/nn's dropout-mask prefetcher): it
 * loads its modules (module loading is not a file read) and may do nothing else
 * — no read, write, net, run, ffi, sys, env or remote import.
 *
 * @returns The permission object for {@linkcode spawnWorker}.
 */
export function computeWorkerPermissions(): WorkerPermissions {
  return {
    read: [],
    write: false,
    net: false,
    run: false,
    ffi: false,
    sys: false,
    import: false,
    env: false,
  };
}

/** Options of {@linkcode spawnWorker}. */
export interface SpawnWorkerOptions {
  /** Worker name (shown in Deno's error messages). @default the module's file name */
  name?: string;
}

/**
 * Start a module worker with an explicit permission set; the only place in
 * the suite that creates a `Worker`.
 *
 * @param moduleUrl The worker's entry module.
 * @param permissions From {@linkcode envWorkerPermissions}, {@linkcode extractorWorkerPermissions}
 *   or {@linkcode computeWorkerPermissions}.
 * @param options Worker name.
 * @returns The started worker.
 * @throws {Deno.errors.NotCapable} When the permissions exceed the current process's.
 */
export function spawnWorker(
  moduleUrl: URL,
  permissions: WorkerPermissions,
  options: SpawnWorkerOptions = {},
): Worker {
  const name = options.name ?? moduleUrl.pathname.split("/").pop();
  return new Worker(moduleUrl, { type: "module", name, deno: { permissions } });
}
