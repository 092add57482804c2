/**
 * Hand-off protocol between {@linkcode WorkerVecEnv} (main thread) and its env
 * workers. Steps and resets go through a shared Int32 control block and
 * Atomics (no messages); snapshots, restores and start-up go through
 * messages, after a `MESSAGE` command pulls the worker out of its wait loop.
 *
 * Control block (Int32Array on a SharedArrayBuffer): slot 0 counts workers
 * still busy with the current command (the last one to finish notifies);
 * slot 1 is 1 when a reset carries a seed; then 4 slots per worker:
 * command, status, episodes ended, spare. The seed itself is a Float64 slot.
 *
 * @module
 */
import type { BoxSpace } from "./robot_env.ts";
import type { EnvSettings } from "./settings.ts";
import type { MapDefinition } from "./map_definition.ts";
import type { VecEnvSnapshot } from "./snapshot.ts";
import type { VecEnvBuffers } from "./vec_env.ts";

/** Control slot: workers still running the current command. */
export const _REMAINING = 0;
/** Control slot: 1 when the pending reset has a seed (in the seed slot). */
export const _SEED_GIVEN = 1;
/** Slots before the per-worker blocks. */
export const _HEADER = 4;
/** Slots per worker. */
export const _PER_WORKER = 4;

/** Index of worker w's command slot. */
export function _cmdSlot(w: number): number {
  return _HEADER + _PER_WORKER * w;
}
/** Index of worker w's status slot (0 ok, 1 error). */
export function _statusSlot(w: number): number {
  return _HEADER + _PER_WORKER * w + 1;
}
/** Index of worker w's "episodes ended in the last step" slot. */
export function _endedSlot(w: number): number {
  return _HEADER + _PER_WORKER * w + 2;
}

/** Commands in a worker's command slot. */
export const _CMD_NONE = 0;
export const _CMD_STEP = 1;
export const _CMD_RESET = 2;
/** Leave the wait loop and handle the message that was posted before this command. */
export const _CMD_MESSAGE = 3;
export const _CMD_CLOSE = 4;

export const _STATUS_OK = 0;
export const _STATUS_ERROR = 1;

/** An error as it crosses the worker boundary. */
export interface _WireError {
  name: string;
  message: string;
  stack?: string;
}

/** Start-up message to an env worker. */
export interface _InitMessage {
  type: "init";
  /** This worker's index. */
  worker: number;
  /** First env (and random stream) index of this worker. */
  first: number;
  /** Number of envs in this worker. */
  count: number;
  seed: number;
  settings: EnvSettings;
  /** A loaded map, or null to load `settings.map` in the worker. */
  map: MapDefinition | null;
  /** The whole vector env's buffers (on SharedArrayBuffers). */
  buffers: VecEnvBuffers;
  control: Int32Array;
  seedSlot: Float64Array;
}

/** Messages from the main thread to an env worker. */
export type _ToWorker =
  | _InitMessage
  | { type: "snapshot" }
  | { type: "restore"; snapshot: VecEnvSnapshot };

/** Messages from an env worker to the main thread. */
export type _FromWorker =
  | {
    type: "ready";
    observationSpace: { rays: BoxSpace; drive_state: BoxSpace };
    actionSpace: BoxSpace;
  }
  | { type: "snapshot"; snapshot: VecEnvSnapshot }
  | { type: "restored" }
  | { type: "closed" }
  | { type: "error"; error: _WireError; envIndex: number | null }
  | { type: "crash"; error: _WireError; envIndex: null };

/** Flatten an error for postMessage. */
export function _toWire(err: unknown): _WireError {
  if (err instanceof Error) return { name: err.name, message: err.message, stack: err.stack };
  return { name: "Error", message: String(err) };
}
