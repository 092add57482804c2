/**
 * NumPy `.npy` arrays and `.npz` archives (numpy/lib/format.py, format version 1.0;
 * `numpy.savez`: an uncompressed zip of `<name>.npy` members), readable by `numpy.load`.
 * The zip container is written by fflate.
 *
 * @module
 */
import { zipSync } from "fflate";

/** Array element types: little-endian float64, int64, and bool. */
export type NpyDtype = "<f8" | "<i8" | "|b1";

/** One array for {@linkcode encodeNpy}: C-order values and shape. */
export interface NpyArray {
  /** Element type. */
  dtype: NpyDtype;
  /** Shape, e.g. `[3, 10]`; `[]` for a scalar. */
  shape: number[];
  /** Values in C (row-major) order; booleans as 0/1. */
  data: ArrayLike<number>;
}

/**
 * Encode one `.npy` file (format 1.0): magic `\x93NUMPY`, version 1.0, header length
 * (uint16 LE), the header dict padded with spaces and a newline so the data starts at a
 * multiple of 64 bytes, then the data.
 * @throws {RangeError} When the data length does not match the shape.
 */
export function encodeNpy(array: NpyArray): Uint8Array {
  const count = array.shape.reduce((a, b) => a * b, 1);
  if (array.data.length !== count) {
    throw new RangeError(`npy: ${array.data.length} values for shape [${array.shape}]`);
  }
  const shape = array.shape.length === 1 ? `(${array.shape[0]},)` : `(${array.shape.join(", ")})`;
  let header = `{'descr': '${array.dtype}', 'fortran_order': False, 'shape': ${shape}, }`;
  const total = 10 + header.length + 1;
  header += " ".repeat((64 - (total % 64)) % 64) + "\n";
  const itemSize = array.dtype === "|b1" ? 1 : 8;
  const out = new Uint8Array(10 + header.length + count * itemSize);
  out.set([0x93, ...new TextEncoder().encode("NUMPY"), 1, 0]);
  new DataView(out.buffer).setUint16(8, header.length, true);
  out.set(new TextEncoder().encode(header), 10);
  const body = new DataView(out.buffer, 10 + header.length);
  for (let i = 0; i < count; i++) {
    const v = Number(array.data[i]);
    if (array.dtype === "<f8") body.setFloat64(i * 8, v, true);
    else if (array.dtype === "<i8") body.setBigInt64(i * 8, BigInt(Math.trunc(v)), true);
    else body.setUint8(i, v ? 1 : 0);
  }
  return out;
}

/**
 * Encode an `.npz` archive as `numpy.savez` does (stored, not compressed).
 * @param arrays Arrays by name (member `<name>.npy`), in archive order.
 * @returns Zip bytes; member times are fixed (1980-01-01) so equal arrays give equal bytes.
 */
export function encodeNpz(arrays: Record<string, NpyArray>): Uint8Array {
  const members: Record<string, [Uint8Array, { level: 0; mtime: Date }]> = {};
  const mtime = new Date(1980, 0, 1);
  for (const [name, array] of Object.entries(arrays)) {
    members[`${name}.npy`] = [encodeNpy(array), { level: 0, mtime }];
  }
  return zipSync(members);
}
