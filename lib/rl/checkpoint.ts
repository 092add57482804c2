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
import { type Checkpoint, CheckpointError, decodeCheckpoint, encodeCheckpoint } from "../nn/mod.ts";
import { writeFileAtomic } from "../run/mod.ts";

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

/** Contents of a trainer checkpoint. */
export interface TrainerCheckpoint {
  /** JSON-serialisable trainer state. */
  state: Record<string, unknown>;
  /** The network's training state. */
  network: Checkpoint;
  /** Named float32 arrays (rollout rows). */
  arrays: Record<string, Float32Array>;
}

interface _Header {
  format: string;
  version: number;
  state: Record<string, unknown>;
  nn_bytes: number;
  arrays: { name: string; length: number }[];
}

/**
 * Serialise a trainer checkpoint (see the module docs for the layout).
 * @param ckpt State, network checkpoint and arrays.
 * @returns The file bytes.
 */
export async function encodeTrainerCheckpoint(ckpt: TrainerCheckpoint): Promise<Uint8Array> {
  const nn = await encodeCheckpoint(ckpt.network);
  const arrays = Object.entries(ckpt.arrays);
  const header: _Header = {
    format: TRAINER_CHECKPOINT_FORMAT,
    version: VERSION,
    state: ckpt.state,
    nn_bytes: nn.length,
    arrays: arrays.map(([name, a]) => ({ name, length: a.length })),
  };
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const payload = arrays.reduce((n, [, a]) => n + a.byteLength, 0);
  const size = 16 + headerBytes.length + nn.length + payload;
  const out = new Uint8Array(size + 32);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  let offset = 16 + headerBytes.length;
  out.set(nn, offset);
  offset += nn.length;
  for (const [, a] of arrays) {
    out.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", out.subarray(0, size)));
  out.set(digest, size);
  return out;
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
  if (bytes.length < 48 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new TrainerCheckpointError("Not a PPO trainer checkpoint file", path);
  }
  const size = bytes.length - 32;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice(0, size)));
  const stored = bytes.subarray(size);
  if (!digest.every((b, i) => b === stored[i])) {
    throw new TrainerCheckpointError(
      "Checkpoint checksum mismatch: the file is corrupt or truncated",
      path,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new TrainerCheckpointError(`Unsupported trainer checkpoint version ${version}`, path);
  }
  const headerLength = view.getUint32(12, true);
  let header: _Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch {
    throw new TrainerCheckpointError("Checkpoint header is not valid JSON", path);
  }
  if (header.format !== TRAINER_CHECKPOINT_FORMAT) {
    throw new TrainerCheckpointError(`Unknown checkpoint format '${header.format}'`, path);
  }
  let offset = 16 + headerLength;
  const network = await decodeCheckpoint(bytes.slice(offset, offset + header.nn_bytes), path);
  offset += header.nn_bytes;
  const arrays: Record<string, Float32Array> = {};
  for (const { name, length } of header.arrays) {
    const end = offset + 4 * length;
    if (end > size) {
      throw new TrainerCheckpointError(`Checkpoint array '${name}' runs past the payload`, path);
    }
    arrays[name] = new Float32Array(bytes.slice(offset, end).buffer);
    offset = end;
  }
  if (offset !== size) {
    throw new TrainerCheckpointError("Checkpoint payload has trailing bytes", path);
  }
  return { state: header.state, network, arrays };
}

/**
 * Write a trainer checkpoint atomically (temporary file, fsync, rename).
 * @returns The bytes written (e.g. to hash them).
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 */
export async function saveTrainerCheckpoint(
  path: string,
  ckpt: TrainerCheckpoint,
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
  return decodeTrainerCheckpoint(await Deno.readFile(path), path);
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
