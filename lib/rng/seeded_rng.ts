/**
 * Seeded pseudo-random number generator shared by the simulator, the network
 * initialisers and the PPO sampler. Wraps pure-rand's xoroshiro128+ so that its
 * full state can be saved in a checkpoint and restored bit for bit.
 *
 * @module
 */
import { xoroshiro128plusFromState } from "pure-rand/generator/xoroshiro128plus";
import type { JumpableRandomGenerator } from "pure-rand/types/JumpableRandomGenerator";

/** Serialisable state of a {@linkcode SeededRng}: the generator words plus a cached normal. */
export interface SeededRngState {
  /** xoroshiro128+ state words as returned by pure-rand's `getState()`. */
  words: number[];
  /** Second Box-Muller sample waiting to be returned, or null. */
  spareNormal: number | null;
}

const SCALE_26 = 1 / 67108864; // 2^-26
const SCALE_53 = 1 / 9007199254740992; // 2^-53

/**
 * Expand a 32-bit seed into four well-mixed state words (splitmix32 finaliser), so
 * that nearby seeds such as 42 and 43 start far apart and never all-zero.
 */
function seedWords(seed: number): number[] {
  let x = seed | 0;
  const words: number[] = [];
  for (let i = 0; i < 4; i++) {
    x = (x + 0x9e3779b9) | 0;
    let z = x;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    words.push(z | 0);
  }
  return words;
}

/**
 * Deterministic random source. Same seed, same sequence on every platform.
 *
 * @example Draw reproducible numbers
 * ```ts
 * const rng = new SeededRng(42);
 * const u = rng.uniform(); // [0, 1)
 * const z = rng.normal(); // standard normal
 * ```
 */
export class SeededRng {
  #generator: JumpableRandomGenerator;
  #spareNormal: number | null = null;

  /**
   * Create a SeededRng.
   * @param seed Integer seed; only the low 32 bits are used.
   * @throws {TypeError} When the seed is not a finite integer.
   */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) {
      throw new TypeError(`Seed must be an integer, got ${seed}`);
    }
    this.#generator = xoroshiro128plusFromState(seedWords(seed));
  }

  /** Uniform float in [0, 1) with 53 random bits. */
  uniform(): number {
    const high = this.#generator.next() & 0x3ffffff;
    const low = this.#generator.next() & 0x7ffffff;
    return high * SCALE_26 + low * SCALE_53;
  }

  /** Uniform float in [low, high). */
  uniformRange(low: number, high: number): number {
    return low + (high - low) * this.uniform();
  }

  /**
   * Uniform integer in [0, n).
   * @throws {RangeError} When n is not a positive integer.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n <= 0) {
      throw new RangeError(`Upper bound must be a positive integer, got ${n}`);
    }
    return Math.floor(this.uniform() * n);
  }

  /** Standard normal sample (Box-Muller, polar-free form; caches the second value). */
  normal(): number {
    if (this.#spareNormal !== null) {
      const value = this.#spareNormal;
      this.#spareNormal = null;
      return value;
    }
    let u1 = this.uniform();
    while (u1 <= Number.MIN_VALUE) u1 = this.uniform();
    const u2 = this.uniform();
    const radius = Math.sqrt(-2 * Math.log(u1));
    const angle = 2 * Math.PI * u2;
    this.#spareNormal = radius * Math.sin(angle);
    return radius * Math.cos(angle);
  }

  /** Fisher-Yates shuffle of `values` in place; returns the same array. */
  shuffle<T extends { length: number; [index: number]: unknown }>(values: T): T {
    for (let i = values.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = values[i];
      values[i] = values[j];
      values[j] = tmp;
    }
    return values;
  }

  /**
   * A new generator on an independent stream, derived from this one's current
   * state by `jumps` jump-aheads (2^64 steps each). This generator is unchanged.
   * @throws {RangeError} When jumps is not a positive integer.
   */
  fork(jumps = 1): SeededRng {
    if (!Number.isInteger(jumps) || jumps < 1) {
      throw new RangeError(`Jump count must be a positive integer, got ${jumps}`);
    }
    const child = SeededRng.fromState(this.state());
    child.#spareNormal = null;
    for (let i = 0; i < jumps; i++) child.#generator.jump();
    return child;
  }

  /** Snapshot of the full generator state, for checkpoints. */
  state(): SeededRngState {
    return { words: [...this.#generator.getState()], spareNormal: this.#spareNormal };
  }

  /**
   * Restore a generator from {@linkcode SeededRng.state}.
   * @throws {TypeError} When the state is malformed.
   */
  static fromState(state: SeededRngState): SeededRng {
    if (!Array.isArray(state?.words) || state.words.length !== 4) {
      throw new TypeError("Random generator state must hold 4 state words");
    }
    const rng = new SeededRng(0);
    rng.#generator = xoroshiro128plusFromState(state.words);
    rng.#spareNormal = state.spareNormal ?? null;
    return rng;
  }
}
