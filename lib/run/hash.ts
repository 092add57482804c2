/**
 * SHA-256 digests of files and bytes, as recorded in the manifest.
 *
 * @module
 */
import { readInputFile } from "../internal/input_file.ts";

/**
 * SHA-256 of bytes or UTF-8 text, as lowercase hex.
 *
 * @param data Bytes or text.
 * @returns 64 hex characters.
 */
export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

/**
 * SHA-256 of a file's bytes, as lowercase hex.
 *
 * @param path File to hash.
 * @returns 64 hex characters.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 */
export async function sha256File(path: string): Promise<string> {
  return await sha256Hex(await readInputFile(path, { kind: "checkpoint", nativeNotFound: true }));
}
