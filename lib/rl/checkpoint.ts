/**
 * Trainer checkpoint files: everything PPO needs to continue a run exactly where
 * it stopped — the network's training state (a lib/nn checkpoint: parameters,
 * Adam moments and step, dropout-generator state), the trainer's JSON state
 * (counters, generator states, episode statistics, env snapshot, callback
 * states) and the rollout rows collected so far.
 *
 * Layout (little endian): magic `MXPPOCKP` (8 bytes), format version (uint32),
 * header length (uint32), UTF-8 JSON header `{format, version, state, nn_bytes,
 * arrays: [{name, length}]}`, the lib/nn checkpoint bytes, the float32 arrays back to
 * back, then the SHA-256 of everything before it (32 bytes). Written to a temporary
 * file, fsynced and renamed.
 *
 * @module
 */
import {
  type Checkpoint,
  CheckpointError,
  decodeCheckpoint,
  decodeFramedFile,
  encodeCheckpoint,
  encodeFramedFile,
  readFloat32Arrays,
} from "../nn/mod.ts";
import { readInputFile } from "../internal/input_file.ts";
import type { SeededRngState } from "../rng/mod.ts";
import { writeFileAtomic } from "../internal/atomic_write.ts";

const MAGIC = "MXPPOCKP";
const VERSION = 1;

/** `format` of the JSON header. */
export const TRAINER_CHECKPOINT_FORMAT = "multi-extractor.ppo.checkpoint";

/** File name suffix of trainer checkpoints. */
export const TRAINER_CHECKPOINT_EXTENSION = ".ckpt";

/**
 * A trainer checkpoint is unreadable, corrupt, or does not fit the run (a kind of
 * lib/nn's CheckpointError, with the file involved in `path`).
 */
export class TrainerCheckpointError extends CheckpointError {
  /**
   * Create the error.
   * @param message What is wrong.
   * @param path File involved.
   */
  constructor(message: string, path?: string) {
    super(message, path);
    this.name = "TrainerCheckpointError";
  }
}

/** Position and accumulators of an update in progress. */
export interface TrainerUpdateState {
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Next minibatch of the epoch (0-based). */
  minibatch: number;
  /** Shuffle generator state at the start of the epoch (its permutation), or null. */
  epochShuffle: SeededRngState | null;
  /** False once target_kl stopped the update early. */
  continueTraining: boolean;
  /** Learning rate of this update. */
  learningRate: number;
  /** Policy-gradient loss of each minibatch so far. */
  pgLosses: number[];
  /** Value loss of each minibatch so far. */
  valueLosses: number[];
  /** Entropy loss of each minibatch so far. */
  entropyLosses: number[];
  /** Clip fraction of each minibatch so far. */
  clipFractions: number[];
  /** Approximate KL of each minibatch of this epoch. */
  approxKls: number[];
  /** Total loss of the last minibatch. */
  lastLoss: number;
}

/** The episode window: one entry per finished training episode, oldest first. */
export interface EpisodeWindow {
  /** Episode returns. */
  returns: number[];
  /** Episode lengths, steps. */
  lengths: number[];
  /** 1 when the episode reached the goal, else 0. */
  successes: number[];
  /** 1 when the episode ended in a collision, else 0. */
  collisions: number[];
}

/** The trainer's JSON state in a checkpoint, as PpoTrainer writes and restores it. */
export interface TrainerState {
  /** What the run stored with the checkpoint (e.g. settings that must match to resume). */
  metadata: Record<string, unknown>;
  /** Progress counters (SB3's num_timesteps, iteration, n_updates, progress remaining). */
  counters: {
    numTimesteps: number;
    iteration: number;
    nUpdates: number;
    progressRemaining: number;
    totalTimesteps: number;
  };
  /** Whether the envs had been reset (a rollout started). */
  started: boolean;
  /** Collecting a rollout, or inside the update that follows it. */
  phase: "rollout" | "update";
  /** Rollout rows collected. */
  rolloutPos: number;
  /** The update in progress, or null. */
  update: TrainerUpdateState | null;
  /** Episode start flags of the envs (1 = the next step starts an episode). */
  lastEpisodeStarts: number[];
  /** Action-noise and minibatch-shuffle generators. */
  rng: { actions: SeededRngState; shuffle: SeededRngState };
  /** The training episode window. */
  episodes: EpisodeWindow;
  /** The envs' snapshot, or null when the envs do not support snapshots. */
  env: unknown;
  /** Each callback's state by callback name. */
  callbacks: Record<string, unknown>;
  /** Wall-clock seconds of training before this checkpoint (all sessions). */
  wallTimeSeconds: number;
}

/**
 * Contents of a trainer checkpoint: `S` is the JSON state (PpoTrainer's
 * {@linkcode TrainerState}; the file format accepts any JSON-serialisable object).
 */
export interface TrainerCheckpoint<S extends object = TrainerState> {
  /** JSON-serialisable trainer state. */
  state: S;
  /** The network's training state. */
  network: Checkpoint;
  /** Named float32 arrays (rollout rows). */
  arrays: Record<string, Float32Array>;
}

interface _Header {
  format: string;
  version: number;
  state: object;
  nn_bytes: number;
  arrays: { name: string; length: number }[];
}

/**
 * Serialise a trainer checkpoint (see the module docs for the layout).
 * @param ckpt State, network checkpoint and arrays.
 * @returns The file bytes.
 */
export async function encodeTrainerCheckpoint(
  ckpt: TrainerCheckpoint<object>,
): Promise<Uint8Array> {
  const nn = await encodeCheckpoint(ckpt.network);
  const arrays = Object.entries(ckpt.arrays);
  const header: _Header = {
    format: TRAINER_CHECKPOINT_FORMAT,
    version: VERSION,
    state: ckpt.state,
    nn_bytes: nn.length,
    arrays: arrays.map(([name, a]) => ({ name, length: a.length })),
  };
  const parts = [
    nn,
    ...arrays.map(([, a]) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength)),
  ];
  return await encodeFramedFile({ magic: MAGIC, version: VERSION }, header, parts);
}

/**
 * Parse trainer checkpoint bytes.
 * @param bytes File contents.
 * @param path File name for messages.
 * @throws {TrainerCheckpointError} When the magic, version, checksum or header is wrong.
 * @throws {CheckpointError} When the embedded network checkpoint is corrupt.
 */
export async function decodeTrainerCheckpoint(
  bytes: Uint8Array,
  path?: string,
): Promise<TrainerCheckpoint> {
  const error = (message: string) => new TrainerCheckpointError(message, path);
  const decoded = await decodeFramedFile(bytes, {
    magic: MAGIC,
    version: VERSION,
    kind: "trainer checkpoint",
    error,
  });
  const header = decoded.header as _Header;
  if (header.format !== TRAINER_CHECKPOINT_FORMAT) {
    throw error(`Unknown checkpoint format '${header.format}'`);
  }
  if (header.nn_bytes > decoded.payload.length) {
    throw error("Checkpoint network part runs past the payload");
  }
  const network = await decodeCheckpoint(decoded.payload.slice(0, header.nn_bytes), path);
  const arrays = Object.fromEntries(
    readFloat32Arrays(decoded.payload, header.nn_bytes, header.arrays, error),
  );
  return { state: header.state as TrainerState, network, arrays };
}

/**
 * Write a trainer checkpoint atomically (temporary file, fsync, rename).
 * @returns The bytes written (e.g. to hash them).
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 */
export async function saveTrainerCheckpoint(
  path: string,
  ckpt: TrainerCheckpoint<object>,
): Promise<Uint8Array> {
  const bytes = await encodeTrainerCheckpoint(ckpt);
  await writeFileAtomic(path, bytes);
  return bytes;
}

/**
 * Read and verify a trainer checkpoint file.
 * @throws {TrainerCheckpointError} When the file is corrupt or not a trainer checkpoint.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 */
export async function loadTrainerCheckpoint(path: string): Promise<TrainerCheckpoint> {
  const bytes = await readInputFile(path, { kind: "checkpoint", nativeNotFound: true });
  return decodeTrainerCheckpoint(bytes, path);
}

/**
 * File name of the checkpoint taken after `step` environment steps
 * (`checkpoint_<step>_steps.ckpt`, as SB3's `<prefix>_<step>_steps.zip`).
 */
export function checkpointFileName(step: number): string {
  return `checkpoint_${step}_steps${TRAINER_CHECKPOINT_EXTENSION}`;
}

/**
 * The checkpoint with the most steps in a directory, by file name, or null.
 * @param dir Directory holding `checkpoint_<step>_steps.ckpt` files.
 * @throws {Deno.errors.PermissionDenied} When the directory cannot be read.
 */
export async function latestCheckpoint(dir: string): Promise<string | null> {
  let best: { step: number; name: string } | null = null;
  try {
    for await (const entry of Deno.readDir(dir)) {
      const m = /^checkpoint_(\d+)_steps\.ckpt$/.exec(entry.name);
      if (entry.isFile && m && (best === null || Number(m[1]) > best.step)) {
        best = { step: Number(m[1]), name: entry.name };
      }
    }
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return best === null ? null : `${dir}/${best.name}`;
}
