/**
 * Parameter store: named parameters and buffers with their initial values and
 * their positions in ONE flat vector (trainable parameters `[P]`, buffers `[B]`).
 * Graphs slice that vector in-graph, so a training step feeds and returns whole
 * vectors, and gradient clipping and Adam run on `[P]` in a handful of nodes.
 *
 * @module
 */
import { SeededRng } from "../rng/mod.ts";
import type { Initializer } from "./init.ts";
import { ShapeError } from "./shape.ts";

/** Where a named parameter or buffer lives in its flat vector. */
export interface ParameterInfo {
  /** Stable name, e.g. `mlp_extractor.policy_net.0.weight`. */
  readonly name: string;
  /** Static shape (PyTorch layout). */
  readonly shape: readonly number[];
  /** First element in the flat vector. */
  readonly offset: number;
  /** Number of elements. */
  readonly size: number;
  /** True for parameters (flat vector `params`), false for buffers (`buffers`). */
  readonly trainable: boolean;
}

class GrowableF64 {
  data = new Float64Array(256);
  length = 0;
  push(values: ArrayLike<number>): void {
    if (this.length + values.length > this.data.length) {
      let cap = this.data.length;
      while (cap < this.length + values.length) cap *= 2;
      const next = new Float64Array(cap);
      next.set(this.data.subarray(0, this.length));
      this.data = next;
    }
    this.data.set(values, this.length);
    this.length += values.length;
  }
  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }
}

/** Typed array for a float element type. */
export type FloatArray = Float32Array | Float64Array;

/**
 * Owns parameter values and their flat layout. Declaration order fixes the
 * layout and the order random numbers are drawn, so the same build code and
 * seed give the same vector.
 *
 * @example Count parameters under a prefix
 * ```ts
 * const store = new ParameterStore(new SeededRng(42));
 * // ... build a network with graphs sharing `store` ...
 * store.count("features_extractor."); // 5296 for dynamics_original
 * ```
 */
export class ParameterStore {
  /** Generator used for initial values. */
  readonly rng: SeededRng;
  #byName = new Map<string, ParameterInfo>();
  #params: ParameterInfo[] = [];
  #buffers: ParameterInfo[] = [];
  #paramValues = new GrowableF64();
  #bufferValues = new GrowableF64();

  /**
   * Create an empty store.
   * @param rng Generator for initial values. @default new SeededRng(0)
   */
  constructor(rng: SeededRng = new SeededRng(0)) {
    this.rng = rng;
  }

  /**
   * Declare a parameter or buffer; draws initial values on first declaration.
   * @returns Its layout entry.
   * @throws {ShapeError} When the name exists with another shape or kind.
   * @throws {RangeError} When the initializer returns the wrong number of values.
   */
  declare(
    name: string,
    shape: readonly number[],
    options: { init: Initializer; trainable: boolean },
  ): ParameterInfo {
    const existing = this.#byName.get(name);
    if (existing) {
      if (existing.trainable !== options.trainable) {
        throw new ShapeError(
          "Parameter",
          `'${name}' is already declared as a ${existing.trainable ? "parameter" : "buffer"}`,
        );
      }
      if (existing.shape.join(",") !== shape.join(",")) {
        throw new ShapeError(
          "Parameter",
          `'${name}' is declared with shape [${shape.join(", ")}] but exists with [${
            existing.shape.join(", ")
          }]`,
          [shape, existing.shape],
        );
      }
      return existing;
    }
    const size = shape.reduce((a, b) => a * b, 1);
    const values = options.init(shape, this.rng);
    if (values.length !== size) {
      throw new RangeError(
        `Initializer of '${name}' returned ${values.length} values for shape [${shape.join(", ")}]`,
      );
    }
    const target = options.trainable ? this.#paramValues : this.#bufferValues;
    const info: ParameterInfo = Object.freeze({
      name,
      shape: Object.freeze([...shape]),
      offset: target.length,
      size,
      trainable: options.trainable,
    });
    target.push(values);
    (options.trainable ? this.#params : this.#buffers).push(info);
    this.#byName.set(name, info);
    return info;
  }

  /** Layout entry of a parameter or buffer, or undefined. */
  get(name: string): ParameterInfo | undefined {
    return this.#byName.get(name);
  }

  /** Trainable parameters in flat-vector order. */
  get parameters(): readonly ParameterInfo[] {
    return this.#params;
  }

  /** Buffers in flat-vector order. */
  get buffers(): readonly ParameterInfo[] {
    return this.#buffers;
  }

  /** Total number of trainable elements, P. */
  get parameterCount(): number {
    return this.#paramValues.length;
  }

  /** Total number of buffer elements, B. */
  get bufferCount(): number {
    return this.#bufferValues.length;
  }

  /**
   * Number of trainable elements whose name starts with `prefix`
   * (all when empty), as PyTorch's `sum(p.numel() for p in module.parameters())`.
   */
  count(prefix = ""): number {
    let n = 0;
    for (const p of this.#params) if (p.name.startsWith(prefix)) n += p.size;
    return n;
  }

  /** Copy of the flat parameter vector `[P]` in the given element type. */
  flatParameters(dtype: "float32" | "float64" = "float32"): FloatArray {
    const v = this.#paramValues.view();
    return dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v);
  }

  /** Copy of the flat buffer vector `[B]` in the given element type. */
  flatBuffers(dtype: "float32" | "float64" = "float32"): FloatArray {
    const v = this.#bufferValues.view();
    return dtype === "float32" ? Float32Array.from(v) : Float64Array.from(v);
  }

  /**
   * Overwrite all parameter values from a flat vector `[P]`.
   * @throws {RangeError} When the length is not P.
   */
  setFlatParameters(values: ArrayLike<number>): void {
    if (values.length !== this.parameterCount) {
      throw new RangeError(
        `Flat parameter vector has ${values.length} elements, the store has ${this.parameterCount}`,
      );
    }
    this.#paramValues.view().set(values);
  }

  /**
   * Overwrite all buffer values from a flat vector `[B]`.
   * @throws {RangeError} When the length is not B.
   */
  setFlatBuffers(values: ArrayLike<number>): void {
    if (values.length !== this.bufferCount) {
      throw new RangeError(
        `Flat buffer vector has ${values.length} elements, the store has ${this.bufferCount}`,
      );
    }
    this.#bufferValues.view().set(values);
  }

  /**
   * Copy of one parameter's or buffer's values (row-major).
   * @throws {RangeError} When the name is unknown.
   */
  values(name: string): Float64Array {
    const info = this.#require(name);
    const src = info.trainable ? this.#paramValues : this.#bufferValues;
    return src.view().slice(info.offset, info.offset + info.size);
  }

  /**
   * Overwrite one parameter's or buffer's values.
   * @throws {RangeError} When the name is unknown or the length differs.
   */
  setValues(name: string, values: ArrayLike<number>): void {
    const info = this.#require(name);
    if (values.length !== info.size) {
      throw new RangeError(`'${name}' has ${info.size} elements, got ${values.length}`);
    }
    const src = info.trainable ? this.#paramValues : this.#bufferValues;
    src.view().set(values, info.offset);
  }

  #require(name: string): ParameterInfo {
    const info = this.#byName.get(name);
    if (!info) throw new RangeError(`Unknown parameter or buffer '${name}'`);
    return info;
  }
}
