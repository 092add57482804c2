/**
 * The framing shared by the checkpoint files (lib/nn's network checkpoints and
 * lib/rl's trainer checkpoints). Layout, little endian: an 8-byte ASCII magic, the
 * format version (uint32), the header length in bytes (uint32), the UTF-8 JSON header,
 * the payload, then the SHA-256 of everything before it (32 bytes).
 *
 * @module
 */

/** Bytes of the fixed part before the header: magic, version, header length. */
const PREFIX_BYTES = 16;
/** Bytes of the SHA-256 trailer. */
const DIGEST_BYTES = 32;

/** How {@linkcode decodeFramedFile} checks a file and reports what is wrong. */
export interface FrameSpec {
  /** 8 ASCII characters, e.g. "MXNNCKPT". */
  magic: string;
  /** The one format version read and written. */
  version: number;
  /** What the file is, for messages, e.g. "trainer checkpoint". */
  kind: string;
  /** Builds the error thrown for a bad file (the caller's error class). */
  error: (message: string) => Error;
}

/**
 * Frame a header and payload parts into file bytes.
 *
 * @param spec Magic and version.
 * @param header JSON-serialisable header.
 * @param parts Payload parts, written back to back.
 * @returns The file bytes, SHA-256 trailer included.
 */
export async function encodeFramedFile(
  spec: Pick<FrameSpec, "magic" | "version">,
  header: unknown,
  parts: readonly Uint8Array[],
): Promise<Uint8Array> {
  const headerBytes = new TextEncoder().encode(JSON.stringify(header));
  const size = PREFIX_BYTES + headerBytes.length + parts.reduce((n, p) => n + p.length, 0);
  const out = new Uint8Array(size + DIGEST_BYTES);
  out.set(new TextEncoder().encode(spec.magic), 0);
  const view = new DataView(out.buffer);
  view.setUint32(8, spec.version, true);
  view.setUint32(12, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);
  let offset = PREFIX_BYTES + headerBytes.length;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", out.subarray(0, size)));
  out.set(digest, size);
  return out;
}

/**
 * Check a framed file's magic, checksum and version and split it.
 *
 * @param bytes File contents.
 * @param spec Magic, version, kind and error builder.
 * @returns The parsed header and the payload (a view into `bytes`).
 * @throws {Error} Built by `spec.error` when the magic, checksum or version is wrong or
 * the header is not JSON.
 */
export async function decodeFramedFile(
  bytes: Uint8Array,
  spec: FrameSpec,
): Promise<{ header: unknown; payload: Uint8Array }> {
  if (
    bytes.length < PREFIX_BYTES + DIGEST_BYTES ||
    new TextDecoder().decode(bytes.subarray(0, 8)) !== spec.magic
  ) {
    throw spec.error(`Not a multi-extractor ${spec.kind} file`);
  }
  const size = bytes.length - DIGEST_BYTES;
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", bytes.slice(0, size)));
  const stored = bytes.subarray(size);
  if (!digest.every((b, i) => b === stored[i])) {
    throw spec.error("Checkpoint checksum mismatch: the file is corrupt or truncated");
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const version = view.getUint32(8, true);
  if (version !== spec.version) throw spec.error(`Unsupported ${spec.kind} version ${version}`);
  const headerLength = view.getUint32(12, true);
  if (PREFIX_BYTES + headerLength > size) throw spec.error("Checkpoint header runs past the file");
  let header: unknown;
  try {
    header = JSON.parse(
      new TextDecoder().decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)),
    );
  } catch {
    throw spec.error("Checkpoint header is not valid JSON");
  }
  return { header, payload: bytes.subarray(PREFIX_BYTES + headerLength, size) };
}

/**
 * The float32 arrays listed in a header, read back to back from `payload` starting
 * at `offset` (copies, so they outlive the file bytes); the payload must end with them.
 *
 * @param payload Payload bytes.
 * @param offset Where the first array starts.
 * @param arrays Names and lengths (elements), in order.
 * @param error Builds the error for a payload that does not fit.
 * @returns The arrays by name.
 * @throws {Error} Built by `error` when an array runs past the payload or bytes trail.
 */
export function readFloat32Arrays(
  payload: Uint8Array,
  offset: number,
  arrays: readonly { name: string; length: number }[],
  error: (message: string) => Error,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const { name, length } of arrays) {
    const end = offset + 4 * length;
    if (end > payload.length) throw error(`Checkpoint array '${name}' runs past the payload`);
    out.set(name, new Float32Array(payload.slice(offset, end).buffer));
    offset = end;
  }
  if (offset !== payload.length) throw error("Checkpoint payload has trailing bytes");
  return out;
}
