/**
 * Deno Workers with explicit permissions: the permission builders and
 * `spawnWorker`, the one place that decides what a worker may do and starts it.
 * Generic: the environment-worker pool built on it is lib/sim's `WorkerVecEnv`.
 *
 * @module
 */
export {
  computeWorkerPermissions,
  envWorkerPermissions,
  extractorWorkerPermissions,
  PROJECT_ROOT,
  projectReadPaths,
  spawnWorker,
} from "./permissions.ts";
export type {
  SpawnWorkerOptions,
  WorkerPermissionOptions,
  WorkerPermissions,
} from "./permissions.ts";
