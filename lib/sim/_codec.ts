/**
 * Typed array <-> JSON codec of the snapshot format: little-endian bytes in
 * base64, so that every float (including -0, NaN payloads and subnormals)
 * survives `JSON.stringify` / `JSON.parse` bit for bit.
 *
 * @module
 */
/** Element type of an {@linkcode EncodedArray}. */
export type EncodedDtype = "float64" | "float32" | "int32" | "uint8";

/**
 * A typed array in a snapshot: the little-endian bytes of its elements in
 * base64 (standard alphabet, padded), so floats survive JSON exactly.
 */
export interface EncodedArray {
  /** Element type. */
  dtype: EncodedDtype;
  /** Number of elements. */
  length: number;
  /** Base64 of `length` little-endian elements. */
  data: string;
}

/** A snapshot that cannot be restored here: wrong format, newer version, other map or settings. */
export class SnapshotError extends Error {
  /**
   * Create a SnapshotError.
   * @param message What does not fit, and where.
   */
  constructor(message: string) {
    super(message);
    this.name = "SnapshotError";
  }
}

type _Typed = Float64Array | Float32Array | Int32Array | Uint8Array;

const _WIDTH: Record<EncodedDtype, number> = { float64: 8, float32: 4, int32: 4, uint8: 1 };
const _LITTLE = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const _ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const _INDEX = new Int16Array(128).fill(-1);
for (let i = 0; i < 64; i++) _INDEX[_ALPHABET.charCodeAt(i)] = i;

function _dtypeOf(values: _Typed): EncodedDtype {
  if (values instanceof Float64Array) return "float64";
  if (values instanceof Float32Array) return "float32";
  if (values instanceof Int32Array) return "int32";
  return "uint8";
}

/** Little-endian bytes of a typed array (a copy). */
function _bytesOf(values: _Typed): Uint8Array {
  const width = values.BYTES_PER_ELEMENT;
  const bytes = new Uint8Array(values.length * width);
  bytes.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
  if (!_LITTLE && width > 1) {
    for (let o = 0; o < bytes.length; o += width) bytes.subarray(o, o + width).reverse();
  }
  return bytes;
}

function _base64(bytes: Uint8Array): string {
  const parts: string[] = [];
  let line = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const a = bytes[i], b = bytes[i + 1] ?? 0, c = bytes[i + 2] ?? 0;
    const n = (a << 16) | (b << 8) | c;
    line += _ALPHABET[n >> 18] + _ALPHABET[(n >> 12) & 63] +
      (i + 1 < bytes.length ? _ALPHABET[(n >> 6) & 63] : "=") +
      (i + 2 < bytes.length ? _ALPHABET[n & 63] : "=");
    if (line.length >= 4096) {
      parts.push(line);
      line = "";
    }
  }
  parts.push(line);
  return parts.join("");
}

function _unbase64(text: string, where: string): Uint8Array {
  if (text.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) {
    throw new SnapshotError(`Snapshot field '${where}' is not valid base64`);
  }
  const pad = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < text.length; i += 4) {
    const c2 = text.charCodeAt(i + 2), c3 = text.charCodeAt(i + 3);
    const n = (_INDEX[text.charCodeAt(i)] << 18) | (_INDEX[text.charCodeAt(i + 1)] << 12) |
      ((c2 === 61 ? 0 : _INDEX[c2]) << 6) | (c3 === 61 ? 0 : _INDEX[c3]);
    if (o < out.length) out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 255;
    if (o < out.length) out[o++] = n & 255;
  }
  return out;
}

/** Encode a typed array (or the first `length` elements of one). */
export function _encode(values: _Typed, length = values.length): EncodedArray {
  const view = length === values.length ? values : values.subarray(0, length);
  return { dtype: _dtypeOf(values), length, data: _base64(_bytesOf(view)) };
}

/**
 * Decode into `target` (its first `length` elements), checking dtype and length.
 * @param encoded The encoded array.
 * @param target Array to fill; its type must match the encoded dtype.
 * @param where Field name for error messages.
 * @param length Expected element count. @default target.length
 * @throws {SnapshotError} When the dtype, length or data do not fit.
 */
export function _decodeInto(
  encoded: EncodedArray,
  target: _Typed,
  where: string,
  length = target.length,
): void {
  const dtype = _dtypeOf(target);
  if (typeof encoded !== "object" || encoded === null || typeof encoded.data !== "string") {
    throw new SnapshotError(`Snapshot field '${where}' must be an encoded array`);
  }
  if (encoded.dtype !== dtype) {
    throw new SnapshotError(
      `Snapshot field '${where}' must have dtype ${dtype}, got ${encoded.dtype}`,
    );
  }
  if (encoded.length !== length) {
    throw new SnapshotError(
      `Snapshot field '${where}' must hold ${length} values, got ${encoded.length}`,
    );
  }
  const bytes = _unbase64(encoded.data, where);
  const width = _WIDTH[dtype];
  if (bytes.length !== length * width) {
    throw new SnapshotError(
      `Snapshot field '${where}' data holds ${bytes.length} bytes, expected ${length * width}`,
    );
  }
  if (!_LITTLE && width > 1) {
    for (let o = 0; o < bytes.length; o += width) bytes.subarray(o, o + width).reverse();
  }
  new Uint8Array(target.buffer, target.byteOffset, length * width).set(bytes);
}

/** Decode into a new array of the encoded dtype. */
export function _decode(encoded: EncodedArray, where: string): _Typed {
  const n = encoded?.length;
  if (!Number.isInteger(n) || n < 0) {
    throw new SnapshotError(`Snapshot field '${where}' must have a non-negative integer length`);
  }
  let out: _Typed;
  switch (encoded.dtype) {
    case "float64":
      out = new Float64Array(n);
      break;
    case "float32":
      out = new Float32Array(n);
      break;
    case "int32":
      out = new Int32Array(n);
      break;
    case "uint8":
      out = new Uint8Array(n);
      break;
    default:
      throw new SnapshotError(`Snapshot field '${where}' has unknown dtype '${encoded.dtype}'`);
  }
  _decodeInto(encoded, out, where);
  return out;
}

/** 64-bit FNV-1a digest of a string, as 16 hex digits (two 32-bit lanes). */
export function _digest(text: string): string {
  let h1 = 0x811c9dc5, h2 = 0x050c5d1f;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x01000193) ^ (h1 >>> 15);
  }
  return (h1 >>> 0).toString(16).padStart(8, "0") + (h2 >>> 0).toString(16).padStart(8, "0");
}
