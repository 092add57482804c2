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
import { writeFileAtomic } from "./_atomic.ts";
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
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const payload = arrays.reduce((n, [, a]) => n + a.byteLength, 0);
  const size = 16 + headerBytes.length + payload;
  const out = new Uint8Array(size + 32);
  out.set(new TextEncoder().encode(MAGIC), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, VERSION, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, 16);
  let offset = 16 + headerBytes.length;
  for (const [, a] of arrays) {
    const le = new Float32Array(a.length);
    le.set(a); // Float32Array is little endian on every platform Deno supports
    out.set(new Uint8Array(le.buffer), offset);
    offset += a.byteLength;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", out.subarray(0, size)));
  out.set(digest, size);
  return out;
}

/**
 * Parse checkpoint bytes.
 * @throws {CheckpointError} When the magic, version, checksum or header is wrong.
 */
export async function decodeCheckpoint(bytes: Uint8Array, path?: string): Promise<Checkpoint> {
  if (bytes.length < 48 || new TextDecoder().decode(bytes.subarray(0, 8)) !== MAGIC) {
    throw new CheckpointError("Not a multi-extractor checkpoint file", path);
  }
  const size = bytes.length - 32;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice(0, size)));
  const stored = bytes.subarray(size);
  if (!digest.every((b, i) => b === stored[i])) {
    throw new CheckpointError(
      "Checkpoint checksum mismatch: the file is corrupt or truncated",
      path,
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== VERSION) {
    throw new CheckpointError(`Unsupported checkpoint version ${version}`, path);
  }
  const headerLength = view.getUint32(12, true);
  let header: Header;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(16, 16 + headerLength)));
  } catch {
    throw new CheckpointError("Checkpoint header is not valid JSON", path);
  }
  const arrays = new Map<string, Float32Array>();
  let offset = 16 + headerLength;
  for (const { name, length } of header.arrays) {
    const end = offset + 4 * length;
    if (end > size) {
      throw new CheckpointError(`Checkpoint array '${name}' runs past the payload`, path);
    }
    arrays.set(name, new Float32Array(bytes.slice(offset, end).buffer));
    offset = end;
  }
  if (offset !== size) throw new CheckpointError("Checkpoint payload has trailing bytes", path);
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
  return decodeCheckpoint(await Deno.readFile(path), path);
}
