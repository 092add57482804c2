/**
 * Independent readers of the SB3-format logs for tests: TFRecord framing with a bitwise
 * CRC-32C (not the library the writer uses), a hand-written protobuf wire-format decoder for
 * `tensorflow.Event` (field numbers from tensorflow/core/util/event.proto and summary.proto),
 * and a CSV split.
 */

/** CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), bit by bit. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const b of bytes) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function masked(bytes: Uint8Array): number {
  const c = crc32c(bytes);
  return ((((c >>> 15) | (c << 17)) >>> 0) + 0xa282ead8) >>> 0;
}

/** One decoded event. */
export interface DecodedEvent {
  wallTime: number;
  step: number;
  fileVersion?: string;
  values: { tag: string; value: number }[];
}

function varint(b: Uint8Array, pos: number): [number, number] {
  let result = 0, scale = 1, p = pos;
  for (;;) {
    const byte = b[p++];
    result += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return [result, p];
  }
}

/** Fields of a protobuf message: [field number, wire type, raw value or bytes]. */
function fields(b: Uint8Array): [number, number, number | Uint8Array][] {
  const out: [number, number, number | Uint8Array][] = [];
  let p = 0;
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  while (p < b.length) {
    const [key, q] = varint(b, p);
    p = q;
    const field = Math.floor(key / 8), wire = key % 8;
    if (wire === 0) {
      const [v, r] = varint(b, p);
      out.push([field, wire, v]);
      p = r;
    } else if (wire === 1) {
      out.push([field, wire, view.getFloat64(p, true)]);
      p += 8;
    } else if (wire === 5) {
      out.push([field, wire, view.getFloat32(p, true)]);
      p += 4;
    } else if (wire === 2) {
      const [len, r] = varint(b, p);
      out.push([field, wire, b.subarray(r, r + len)]);
      p = r + len;
    } else throw new Error(`unexpected wire type ${wire}`);
  }
  return out;
}

/**
 * Read an event file: check each record's length and data CRCs, decode each Event.
 * @throws {Error} On a bad CRC or a truncated record.
 */
export function readEventFile(bytes: Uint8Array): DecodedEvent[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const events: DecodedEvent[] = [];
  let p = 0;
  const text = new TextDecoder();
  while (p < bytes.length) {
    const len = Number(view.getBigUint64(p, true));
    if (view.getUint32(p + 8, true) !== masked(bytes.subarray(p, p + 8))) {
      throw new Error(`bad length CRC at ${p}`);
    }
    const data = bytes.subarray(p + 12, p + 12 + len);
    if (view.getUint32(p + 12 + len, true) !== masked(data)) {
      throw new Error(`bad data CRC at ${p}`);
    }
    p += 16 + len;
    const event: DecodedEvent = { wallTime: 0, step: 0, values: [] };
    for (const [f, , v] of fields(data)) {
      if (f === 1) event.wallTime = v as number;
      else if (f === 2) event.step = v as number;
      else if (f === 3) event.fileVersion = text.decode(v as Uint8Array);
      else if (f === 5) {
        for (const [sf, , sv] of fields(v as Uint8Array)) {
          if (sf !== 1) continue;
          let tag = "", value = NaN;
          for (const [vf, , vv] of fields(sv as Uint8Array)) {
            if (vf === 1) tag = text.decode(vv as Uint8Array);
            else if (vf === 2) value = vv as number;
          }
          event.values.push({ tag, value });
        }
      }
    }
    events.push(event);
  }
  return events;
}

/** A CSV file's header and rows (cells as strings). */
export function readCsv(text: string): { header: string[]; rows: string[][] } {
  const lines = text.split("\n");
  lines.pop();
  return { header: lines[0].split(","), rows: lines.slice(1).map((l) => l.split(",")) };
}

/** Whether `python3 -c <code>` runs. */
export async function pythonHas(module: string): Promise<boolean> {
  try {
    const out = await new Deno.Command("python3", { args: ["-c", `import ${module}`] }).output();
    return out.success;
  } catch {
    return false;
  }
}

/** Run a Python script with arguments; returns stdout, throws with stderr on failure. */
export async function python(script: string, args: string[]): Promise<string> {
  const out = await new Deno.Command("python3", { args: ["-c", script, ...args] }).output();
  if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
  return new TextDecoder().decode(out.stdout);
}
