/**
 * TensorBoard event files as written by TensorFlow's `EventsWriter` and PyTorch's
 * `SummaryWriter` (the writer Stable-Baselines3 uses): a sequence of TFRecord records
 * (`uint64 length`, `uint32 masked_crc32c(length)`, `data`, `uint32 masked_crc32c(data)`,
 * little endian; tensorflow/core/lib/io/record_writer.cc) whose data are `tensorflow.Event`
 * protobufs (tensorflow/core/util/event.proto, summary.proto), encoded with protobufjs.
 *
 * @module
 */
import protobuf from "protobufjs";
import CRC32C from "crc-32/crc32c.js";
import { assertNoSymlinks } from "../internal/safe_path.ts";

/** The subset of event.proto / summary.proto used here, with TensorFlow's field numbers. */
const EVENT_PROTO = `
syntax = "proto3";
package tensorflow;
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    oneof value { float simple_value = 2; }
  }
  repeated Value value = 1;
}
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    Summary summary = 5;
  }
}
`;

const EVENT = protobuf.parse(EVENT_PROTO).root.lookupType("tensorflow.Event");

/** `file_version` of the first event of every file (TensorFlow's `kVersionPrefix` + 2). */
export const EVENT_FILE_VERSION = "brain.Event:2";

/** TFRecord's CRC mask constant (tensorflow/core/lib/hash/crc32c.h `kMaskDelta`). */
const MASK_DELTA = 0xa282ead8;

/**
 * Masked CRC-32C of TFRecord framing: `((crc >>> 15) | (crc << 17)) + 0xa282ead8` mod 2^32
 * (tensorflow/core/lib/hash/crc32c.h `Mask`).
 * @param bytes Data.
 * @returns Unsigned 32-bit masked checksum.
 */
export function maskedCrc32c(bytes: Uint8Array): number {
  const crc = CRC32C.buf(bytes) >>> 0;
  return ((((crc >>> 15) | (crc << 17)) >>> 0) + MASK_DELTA) >>> 0;
}

/**
 * Frame one record: 8-byte length, masked CRC of the length, data, masked CRC of the data.
 * @param data Record payload.
 * @returns `data.length + 16` bytes.
 */
export function tfRecord(data: Uint8Array): Uint8Array {
  const out = new Uint8Array(data.length + 16);
  const view = new DataView(out.buffer);
  view.setBigUint64(0, BigInt(data.length), true);
  view.setUint32(8, maskedCrc32c(out.subarray(0, 8)), true);
  out.set(data, 12);
  view.setUint32(12 + data.length, maskedCrc32c(data), true);
  return out;
}

/** One scalar of a summary event. */
export interface ScalarValue {
  /** Tag, e.g. `rollout/ep_rew_mean`. */
  tag: string;
  /** Value (stored as a 32-bit float, as `add_scalar` does). */
  value: number;
}

/** What {@linkcode encodeEvent} writes. */
export interface EventFields {
  /** Seconds since the Unix epoch. */
  wallTime: number;
  /** Global step (SB3: `num_timesteps`). */
  step: number;
  /** Only on the first event of a file: {@linkcode EVENT_FILE_VERSION}. */
  fileVersion?: string;
  /** Scalars of a summary event. */
  scalars?: ScalarValue[];
}

/**
 * Encode a `tensorflow.Event` protobuf.
 * @param fields Wall time, step, and either a file version or scalars.
 * @returns Protobuf bytes (not framed).
 */
export function encodeEvent(fields: EventFields): Uint8Array {
  const message: Record<string, unknown> = { wallTime: fields.wallTime, step: fields.step };
  if (fields.fileVersion !== undefined) message.fileVersion = fields.fileVersion;
  if (fields.scalars !== undefined) {
    message.summary = {
      value: fields.scalars.map((s) => ({ tag: s.tag, simpleValue: s.value })),
    };
  }
  return EVENT.encode(EVENT.fromObject(message)).finish();
}

/**
 * Appends framed events to one event file, flushing each write to disk. A new file starts
 * with the `file_version` event; {@linkcode EventFileWriter.open} with `keepBytes` continues a
 * file cut back to a known length (a resumed run).
 */
export class EventFileWriter {
  /** The file's path. */
  readonly path: string;
  #bytes: number;

  private constructor(path: string, bytes: number) {
    this.path = path;
    this.#bytes = bytes;
  }

  /**
   * Open an event file.
   * @param path File path (its folder must exist); TensorBoard finds files whose name
   *   contains `tfevents`.
   * @param options `keepBytes`: continue the existing file cut to this many bytes (0 or
   *   absent: start it anew); `wallTime`: seconds for the version event (default now).
   * @throws {RangeError} When the file is shorter than `keepBytes`.
   */
  static async open(
    path: string,
    options: { keepBytes?: number; wallTime?: number } = {},
  ): Promise<EventFileWriter> {
    const keep = options.keepBytes ?? 0;
    await assertNoSymlinks(path);
    if (keep > 0) {
      const size = (await Deno.stat(path)).size;
      if (size < keep) {
        throw new RangeError(`${path} has ${size} bytes, the checkpoint expects ${keep}`);
      }
      if (size > keep) await Deno.truncate(path, keep);
      return new EventFileWriter(path, keep);
    }
    const writer = new EventFileWriter(path, 0);
    await Deno.writeFile(path, new Uint8Array(0));
    await writer.#append([
      encodeEvent({
        wallTime: options.wallTime ?? Date.now() / 1000,
        step: 0,
        fileVersion: EVENT_FILE_VERSION,
      }),
    ]);
    return writer;
  }

  /** Bytes written so far (the length to keep on a resume). */
  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Append one summary event per scalar (as PyTorch's `add_scalar`), at one step.
   * @param step Global step.
   * @param scalars Tags and values; non-finite values are written as they are.
   * @param wallTime Seconds since the epoch. @default now
   */
  async addScalars(
    step: number,
    scalars: ScalarValue[],
    wallTime: number = Date.now() / 1000,
  ): Promise<void> {
    if (scalars.length === 0) return;
    await this.#append(scalars.map((s) => encodeEvent({ wallTime, step, scalars: [s] })));
  }

  async #append(events: Uint8Array[]): Promise<void> {
    const framed = events.map(tfRecord);
    const total = framed.reduce((n, f) => n + f.length, 0);
    const bytes = new Uint8Array(total);
    let offset = 0;
    for (const f of framed) {
      bytes.set(f, offset);
      offset += f.length;
    }
    await assertNoSymlinks(this.path);
    const file = await Deno.open(this.path, { append: true, create: true });
    try {
      let written = 0;
      while (written < bytes.length) written += await file.write(bytes.subarray(written));
      await file.sync();
    } finally {
      file.close();
    }
    this.#bytes += bytes.length;
  }
}
