/**
 * Parameter initialisers: PyTorch defaults for Linear and Conv layers and
 * Stable-Baselines3's orthogonal initialisation. All draw from a
 * {@linkcode SeededRng} so the same seed gives the same weights.
 *
 * Sources: PyTorch `torch.nn.init` (`kaiming_uniform_`, `orthogonal_`,
 * `_calculate_fan_in_and_fan_out`) and `nn.Linear.reset_parameters`;
 * Stable-Baselines3 `ActorCriticPolicy.init_weights`.
 *
 * @module
 */
import type { SeededRng } from "../rng/mod.ts";

/** Produces initial values (row-major, length = product of `shape`). */
export type Initializer = (shape: readonly number[], rng: SeededRng) => Float64Array;

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Fan-in of a weight as PyTorch computes it: `shape[1] * prod(shape[2:])`
 * (Linear `[out, in]`: in; Conv1d `[out, in, k]`: in * k).
 * @throws {RangeError} When the shape has fewer than 2 dimensions.
 */
export function fanIn(shape: readonly number[]): number {
  if (shape.length < 2) {
    throw new RangeError(`Fan-in needs a weight of rank >= 2, got shape [${shape.join(", ")}]`);
  }
  return shape[1] * size(shape.slice(2));
}

/** All zeros. */
export function zeros(): Initializer {
  return (shape) => new Float64Array(size(shape));
}

/** All ones. */
export function ones(): Initializer {
  return (shape) => new Float64Array(size(shape)).fill(1);
}

/** Every element equal to `value`. */
export function constantInit(value: number): Initializer {
  return (shape) => new Float64Array(size(shape)).fill(value);
}

/** Given values (copied); their count must match the shape. */
export function fromValues(values: ArrayLike<number>): Initializer {
  return (shape) => {
    if (size(shape) !== values.length) {
      throw new RangeError(
        `Initial values have ${values.length} elements, shape [${shape.join(", ")}] needs ${
          size(shape)
        }`,
      );
    }
    return Float64Array.from(values);
  };
}

/** Uniform on [low, high). */
export function uniform(low: number, high: number): Initializer {
  return (shape, rng) => {
    const out = new Float64Array(size(shape));
    for (let i = 0; i < out.length; i++) out[i] = rng.uniformRange(low, high);
    return out;
  };
}

/** Normal with the given mean and standard deviation. */
export function normal(mean = 0, std = 1): Initializer {
  return (shape, rng) => {
    const out = new Float64Array(size(shape));
    for (let i = 0; i < out.length; i++) out[i] = mean + std * rng.normal();
    return out;
  };
}

/**
 * PyTorch's default weight init for Linear and Conv layers:
 * `kaiming_uniform_(w, a=sqrt(5))`, i.e. U(-b, b) with
 * b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a^2)), which is 1 / sqrt(fan_in).
 * @param options.a Negative slope of the leaky ReLU gain. @default Math.sqrt(5)
 */
export function kaimingUniform(options: { a?: number } = {}): Initializer {
  const a = options.a ?? Math.sqrt(5);
  return (shape, rng) => {
    const gain = Math.sqrt(2 / (1 + a * a));
    const bound = gain * Math.sqrt(3 / fanIn(shape));
    return uniform(-bound, bound)(shape, rng);
  };
}

/**
 * PyTorch's default bias init for Linear and Conv layers: U(-1/sqrt(fan_in), 1/sqrt(fan_in))
 * where fan_in is that of the layer's weight.
 * @throws {RangeError} When fanIn is not positive.
 */
export function biasUniform(fanInOfWeight: number): Initializer {
  if (!(fanInOfWeight > 0)) throw new RangeError(`Fan-in must be positive, got ${fanInOfWeight}`);
  const bound = 1 / Math.sqrt(fanInOfWeight);
  return uniform(-bound, bound);
}

/**
 * Orthogonal init with a gain (PyTorch `orthogonal_`, used by Stable-Baselines3
 * with gain sqrt(2) for hidden layers, 0.01 for the action head and 1 for the value
 * head). The weight is viewed as `[rows = shape[0], cols = rest]`; a standard
 * normal matrix (transposed when rows < cols) is factored Q R by Householder
 * reflections, Q's columns take the signs of diag(R) so the result is unique,
 * and Q (transposed back) times `gain` is the weight. Rows (or columns, whichever
 * are fewer) are orthonormal times `gain`: W W^T = gain^2 I when rows <= cols.
 * @throws {RangeError} When the shape has fewer than 2 dimensions.
 */
export function orthogonal(gain = 1): Initializer {
  return (shape, rng) => {
    if (shape.length < 2) {
      throw new RangeError(`Orthogonal init needs rank >= 2, got shape [${shape.join(", ")}]`);
    }
    const rows = shape[0];
    const cols = size(shape) / rows;
    const flat = new Float64Array(rows * cols);
    for (let i = 0; i < flat.length; i++) flat[i] = rng.normal();
    const transpose = rows < cols;
    const m = transpose ? cols : rows;
    const n = transpose ? rows : cols;
    // a: m x n (row-major) = flat or flat^T
    const a = new Float64Array(m * n);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        if (transpose) a[j * n + i] = flat[i * cols + j];
        else a[i * n + j] = flat[i * cols + j];
      }
    }
    const q = thinQ(a, m, n);
    const out = new Float64Array(rows * cols);
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        const v = gain * q[i * n + j];
        if (transpose) out[j * cols + i] = v;
        else out[i * cols + j] = v;
      }
    }
    return out;
  };
}

/**
 * Thin Q (m x n, m >= n) of A = Q R with diag(R) > 0, by Householder reflections.
 * `a` is overwritten.
 */
function thinQ(a: Float64Array, m: number, n: number): Float64Array {
  const vs: Float64Array[] = [];
  const signs = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    let norm = 0;
    for (let i = k; i < m; i++) norm += a[i * n + k] * a[i * n + k];
    norm = Math.sqrt(norm);
    const x0 = a[k * n + k];
    const alpha = x0 >= 0 ? -norm : norm; // R[k][k]
    const v = new Float64Array(m - k);
    for (let i = k; i < m; i++) v[i - k] = a[i * n + k];
    v[0] -= alpha;
    let vn = 0;
    for (let i = 0; i < v.length; i++) vn += v[i] * v[i];
    vn = Math.sqrt(vn);
    if (vn > 0) { for (let i = 0; i < v.length; i++) v[i] /= vn; }
    vs.push(v);
    signs[k] = alpha >= 0 ? 1 : -1;
    // A[k:, k:] -= 2 v (v^T A[k:, k:])
    for (let j = k; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * a[i * n + j];
      for (let i = k; i < m; i++) a[i * n + j] -= 2 * v[i - k] * dot;
    }
  }
  // Q = H_0 ... H_{n-1} I[:, :n]
  const q = new Float64Array(m * n);
  for (let i = 0; i < n; i++) q[i * n + i] = 1;
  for (let k = n - 1; k >= 0; k--) {
    const v = vs[k];
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let i = k; i < m; i++) dot += v[i - k] * q[i * n + j];
      for (let i = k; i < m; i++) q[i * n + j] -= 2 * v[i - k] * dot;
    }
  }
  // make diag(R) positive: Q[:, k] *= sign(R[k][k])
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) q[i * n + j] *= signs[j];
  return q;
}
