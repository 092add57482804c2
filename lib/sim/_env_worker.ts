/**
 * Entry module of an env worker: builds a {@linkcode VecEnv} over its range of
 * envs, writing straight into the shared buffers, then serves commands from
 * the control block (see `_worker_protocol.ts`) until told to close.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { loadMap } from "./load_map.ts";
import { EnvStepError, VecEnv, type VecEnvBuffers } from "./vec_env.ts";
import {
  _CMD_CLOSE,
  _CMD_MESSAGE,
  _CMD_NONE,
  _CMD_RESET,
  _CMD_STEP,
  _cmdSlot,
  _endedSlot,
  type _FromWorker,
  type _InitMessage,
  _REMAINING,
  _SEED_GIVEN,
  _STATUS_ERROR,
  _STATUS_OK,
  _statusSlot,
  _toWire,
  type _ToWorker,
} from "./_worker_protocol.ts";

let vec: VecEnv | null = null;
let control: Int32Array;
let seedSlot: Float64Array;
let first = 0;
let cmdSlot = 0, statusSlot = 0, endedSlot = 0;

function post(message: _FromWorker): void {
  self.postMessage(message);
}

/** Views of env range [first, first + count) of the whole vector env's buffers. */
function slice(buffers: VecEnvBuffers, start: number, count: number, total: number): VecEnvBuffers {
  const out = {} as Record<string, unknown>;
  for (const [key, array] of Object.entries(buffers)) {
    const row = array.length / total;
    out[key] = array.subarray(start * row, (start + count) * row);
  }
  return out as unknown as VecEnvBuffers;
}

async function init(m: _InitMessage): Promise<void> {
  control = m.control;
  seedSlot = m.seedSlot;
  first = m.first;
  cmdSlot = _cmdSlot(m.worker);
  statusSlot = _statusSlot(m.worker);
  endedSlot = _endedSlot(m.worker);
  const map = m.map ?? await loadMap(m.settings.map);
  const total = m.buffers.rewards.length;
  vec = new VecEnv(map, m.settings, {
    numEnvs: m.count,
    seed: m.seed,
    firstStreamIndex: m.first,
    buffers: slice(m.buffers, m.first, m.count, total),
  });
  post({ type: "ready", observationSpace: vec.observationSpace, actionSpace: vec.actionSpace });
}

/** Run one step or reset command; failures are reported, the loop goes on. */
function run(command: number): void {
  const env = vec!;
  try {
    if (command === _CMD_STEP) {
      control[endedSlot] = env.step();
    } else {
      env.reset(control[_SEED_GIVEN] === 1 ? seedSlot[0] : undefined);
      control[endedSlot] = 0;
    }
    control[statusSlot] = _STATUS_OK;
  } catch (err) {
    control[statusSlot] = _STATUS_ERROR;
    const failing = err instanceof EnvStepError;
    post({
      type: "error",
      error: _toWire(failing ? err.cause : err),
      envIndex: failing ? first + err.envIndex : null,
    });
  }
  // The last worker to finish wakes the main thread.
  if (Atomics.sub(control, _REMAINING, 1) === 1) Atomics.notify(control, _REMAINING);
}

/** Block on the command slot and serve steps and resets until a message or close command. */
function serve(): void {
  for (;;) {
    Atomics.wait(control, cmdSlot, _CMD_NONE);
    const command = Atomics.exchange(control, cmdSlot, _CMD_NONE);
    if (command === _CMD_STEP || command === _CMD_RESET) {
      run(command);
    } else if (command === _CMD_MESSAGE) {
      return; // back to the event loop; the message handler calls serve() again
    } else if (command === _CMD_CLOSE) {
      post({ type: "closed" });
      self.close();
      return;
    }
  }
}

self.onmessage = async (event: MessageEvent<_ToWorker>) => {
  const m = event.data;
  try {
    if (m.type === "init") {
      await init(m);
    } else if (m.type === "snapshot") {
      post({ type: "snapshot", snapshot: vec!.snapshot() });
    } else if (m.type === "restore") {
      vec!.restore(m.snapshot);
      post({ type: "restored" });
    }
  } catch (err) {
    post({ type: "error", error: _toWire(err), envIndex: null });
    if (vec === null) return; // start-up failed: stay out of the loop, the owner terminates us
  }
  serve();
};
