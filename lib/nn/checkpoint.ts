/**
 * Checkpoint files: parameters, buffers (batch-norm running statistics), Adam
 * state and step, dropout-generator state and named metadata, with a SHA-256
 * checksum, written atomically.
 *
 * Layout (little endian): magic `MXNNCKPT` (8 bytes), format version (uint32),
 * header length in bytes (uint32), UTF-8 JSON header, the float arrays listed in
 * the header back to back, then the SHA-256 of everything before it (32 bytes).
 *
 * @module
 */
import type { SeededRngState } from "../rng/mod.ts";
import { readInputFile } from "../internal/input_file.ts";
import { writeFileAtomic } from "../internal/atomic_write.ts";
import { decodeFramedFile, encodeFramedFile, readFloat32Arrays } from "./framed_file.ts";
import type { ParameterStore } from "./parameters.ts";
import type { TrainingStep } from "./training.ts";

const MAGIC = "MXNNCKPT";
const VERSION = 1;

/** A checkpoint or checkpoint file is unreadable, corrupt, or does not fit the network. */
export class CheckpointError extends Error {
  /** File involved, when there is one. */
  readonly path?: string;

  /**
   * Create the error.
   * @param message What is wrong.
   * @param path File involved.
   */
  constructor(message: string, path?: string) {
    super(path ? `${message} (${path})` : message);
    this.name = "CheckpointError";
    this.path = path;
  }
}

/** Name and shape of one stored tensor. */
export interface CheckpointEntry {
  /** Parameter or buffer name. */
  name: string;
  /** Shape. */
  shape: number[];
}

/** Contents of a checkpoint. */
export interface Checkpoint {
  /** Flat parameters `[P]`. */
  parameters: Float32Array;
  /** Flat buffers `[B]`. */
  buffers: Float32Array;
  /** Names and shapes in flat-vector order. */
  layout: { parameters: CheckpointEntry[]; buffers: CheckpointEntry[] };
  /** Adam state, when the checkpoint comes from training. */
  optimizer?: { adamM: Float32Array; adamV: Float32Array; step: number };
  /** Dropout-mask generator state, when the checkpoint comes from training. */
  dropoutRng?: SeededRngState;
  /** JSON-serialisable metadata (config, counters, versions). */
  metadata: Record<string, unknown>;
}

interface Header {
  format: "multi-extractor.nn.checkpoint";
  version: number;
  layout: Checkpoint["layout"];
  arrays: { name: string; length: number }[];
  step?: number;
  dropoutRng?: SeededRngState;
  metadata: Record<string, unknown>;
}

/** Checkpoint of a store's current values (no optimizer state). */
export function checkpointFromStore(
  store: ParameterStore,
  metadata: Record<string, unknown> = {},
): Checkpoint {
  return {
    parameters: store.flatParameters("float32") as Float32Array,
    buffers: store.flatBuffers("float32") as Float32Array,
    layout: layoutOf(store),
    metadata,
  };
}

/** Checkpoint of a training step's full state, with the store's layout. */
export function checkpointFromTraining(
  step: TrainingStep,
  store: ParameterStore,
  metadata: Record<string, unknown> = {},
): Checkpoint {
  const s = step.state();
  return {
    parameters: Float32Array.from(s.parameters),
    buffers: Float32Array.from(s.buffers),
    layout: layoutOf(store),
    optimizer: {
      adamM: Float32Array.from(s.adamM),
      adamV: Float32Array.from(s.adamV),
      step: s.step,
    },
    dropoutRng: s.dropoutRng,
    metadata,
  };
}

function layoutOf(store: ParameterStore): Checkpoint["layout"] {
  return {
    parameters: store.parameters.map((p) => ({ name: p.name, shape: [...p.shape] })),
    buffers: store.buffers.map((p) => ({ name: p.name, shape: [...p.shape] })),
  };
}

/**
 * Check that a checkpoint's layout equals the store's (same names, shapes, order).
 * @throws {CheckpointError} Naming the first difference.
 */
export function checkLayout(ckpt: Checkpoint, store: ParameterStore): void {
  const want = layoutOf(store);
  for (const kind of ["parameters", "buffers"] as const) {
    const a = ckpt.layout[kind];
    const b = want[kind];
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      const x = a[i];
      const y = b[i];
      if (!x || !y || x.name !== y.name || x.shape.join(",") !== y.shape.join(",")) {
        throw new CheckpointError(
          `Checkpoint ${kind} differ from the network at position ${i}: checkpoint has ${
            x ? `${x.name} [${x.shape.join(", ")}]` : "nothing"
          }, network has ${y ? `${y.name} [${y.shape.join(", ")}]` : "nothing"}`,
        );
      }
    }
  }
}

/**
 * Load parameters and buffers of a checkpoint into a store.
 * @throws {CheckpointError} When the layout differs.
 */
export function restoreStore(store: ParameterStore, ckpt: Checkpoint): void {
  checkLayout(ckpt, store);
  store.setFlatParameters(ckpt.parameters);
  store.setFlatBuffers(ckpt.buffers);
}

/**
 * Restore a training step (parameters, buffers, Adam state and step, dropout generator).
 * @throws {CheckpointError} When the layout differs or the checkpoint has no optimizer state.
 */
export function restoreTraining(step: TrainingStep, store: ParameterStore, ckpt: Checkpoint): void {
  checkLayout(ckpt, store);
  if (!ckpt.optimizer || !ckpt.dropoutRng) {
    throw new CheckpointError("Checkpoint has no optimizer state to resume training from");
  }
  step.setState({
    parameters: ckpt.parameters,
    buffers: ckpt.buffers,
    adamM: ckpt.optimizer.adamM,
    adamV: ckpt.optimizer.adamV,
    step: ckpt.optimizer.step,
    dropoutRng: ckpt.dropoutRng,
  });
}

/** Serialize a checkpoint to bytes (see the module docs for the layout). */
export async function encodeCheckpoint(ckpt: Checkpoint): Promise<Uint8Array> {
  const arrays: [string, Float32Array][] = [["parameters", ckpt.parameters], [
    "buffers",
    ckpt.buffers,
  ]];
  if (ckpt.optimizer) {
    arrays.push(["adam_m", ckpt.optimizer.adamM], ["adam_v", ckpt.optimizer.adamV]);
  }
  const header: Header = {
    format: "multi-extractor.nn.checkpoint",
    version: VERSION,
    layout: ckpt.layout,
    arrays: arrays.map(([name, a]) => ({ name, length: a.length })),
    step: ckpt.optimizer?.step,
    dropoutRng: ckpt.dropoutRng,
    metadata: ckpt.metadata,
  };
  // Float32Array is little endian on every platform Deno supports.
  const parts = arrays.map(([, a]) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return await encodeFramedFile({ magic: MAGIC, version: VERSION }, header, parts);
}

/**
 * Parse checkpoint bytes.
 * @throws {CheckpointError} When the magic, version, checksum or header is wrong.
 */
export async function decodeCheckpoint(bytes: Uint8Array, path?: string): Promise<Checkpoint> {
  const error = (message: string) => new CheckpointError(message, path);
  const decoded = await decodeFramedFile(bytes, {
    magic: MAGIC,
    version: VERSION,
    kind: "checkpoint",
    error,
  });
  const header = decoded.header as Header;
  const arrays = readFloat32Arrays(decoded.payload, 0, header.arrays, error);
  const get = (name: string) => {
    const a = arrays.get(name);
    if (!a) throw new CheckpointError(`Checkpoint lacks the '${name}' array`, path);
    return a;
  };
  const ckpt: Checkpoint = {
    parameters: get("parameters"),
    buffers: get("buffers"),
    layout: header.layout,
    metadata: header.metadata ?? {},
  };
  if (arrays.has("adam_m")) {
    ckpt.optimizer = { adamM: get("adam_m"), adamV: get("adam_v"), step: header.step ?? 0 };
  }
  if (header.dropoutRng) ckpt.dropoutRng = header.dropoutRng;
  return ckpt;
}

/**
 * Write a checkpoint file atomically (temporary file, fsync, rename).
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 */
export async function saveCheckpoint(path: string, ckpt: Checkpoint): Promise<void> {
  await writeFileAtomic(path, await encodeCheckpoint(ckpt));
}

/**
 * Read and verify a checkpoint file.
 * @throws {CheckpointError} When the file is corrupt or not a checkpoint.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 */
export async function loadCheckpoint(path: string): Promise<Checkpoint> {
  const bytes = await readInputFile(path, { kind: "checkpoint", nativeNotFound: true });
  return decodeCheckpoint(bytes, path);
}
