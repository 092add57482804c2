/**
 * Deno Workers with explicit permissions: the permission builders (the one
 * place that decides what a worker may do), and {@linkcode WorkerVecEnv},
 * a vector env whose envs run in workers over SharedArrayBuffers.
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
export { WorkerVecEnv } from "./worker_vec_env.ts";
export type { WorkerVecEnvOptions } from "./worker_vec_env.ts";
