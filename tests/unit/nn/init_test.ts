/** Initialisers: PyTorch default bounds, orthogonality with gain, determinism. */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { biasUniform, fanIn, kaimingUniform, normal, orthogonal } from "../../../lib/nn/mod.ts";

Deno.test("fanIn() follows PyTorch: in for Linear [out, in], in * k for Conv1d [out, in, k]", () => {
  assert.equal(fanIn([64, 287]), 287);
  assert.equal(fanIn([16, 64, 3]), 192);
  assert.throws(() => fanIn([5]), RangeError);
});

Deno.test("kaimingUniform() draws U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with the uniform variance", () => {
  const w = kaimingUniform()([256, 100], new SeededRng(1));
  const bound = 1 / Math.sqrt(100);
  assert.ok(w.every((v) => Math.abs(v) <= bound));
  const mean = w.reduce((a, b) => a + b, 0) / w.length;
  const variance = w.reduce((a, b) => a + (b - mean) ** 2, 0) / w.length;
  // Var of U(-b, b) is b^2 / 3; 25,600 samples give ~1% relative standard error.
  assert.ok(Math.abs(variance / (bound * bound / 3) - 1) < 0.05, `variance ${variance}`);
  assert.ok(Math.abs(mean) < 0.003, `mean ${mean}`);
});

Deno.test("biasUniform() uses the weight's fan-in", () => {
  const b = biasUniform(192)([16], new SeededRng(2));
  assert.ok(b.every((v) => Math.abs(v) <= 1 / Math.sqrt(192)));
  assert.throws(() => biasUniform(0), RangeError);
});

function gram(w: Float64Array, rows: number, cols: number, byRows: boolean): number[][] {
  const n = byRows ? rows : cols;
  const out = Array.from({ length: n }, () => new Array(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      if (byRows) { for (let k = 0; k < cols; k++) s += w[i * cols + k] * w[j * cols + k]; }
      else for (let k = 0; k < rows; k++) s += w[k * cols + i] * w[k * cols + j];
      out[i][j] = s;
    }
  }
  return out;
}

Deno.test("orthogonal() gives W W^T = gain^2 I (rows <= cols) and W^T W = gain^2 I (rows > cols)", () => {
  const cases: [number[], number][] = [[[64, 287], Math.SQRT2], [[2, 64], 0.01], [[1, 64], 1], [
    [300, 40],
    Math.SQRT2,
  ], [[16, 64, 3], Math.SQRT2]];
  for (const [shape, gain] of cases) {
    const w = orthogonal(gain)(shape, new SeededRng(3));
    const rows = shape[0];
    const cols = w.length / rows;
    const gm = gram(w, rows, cols, rows <= cols);
    gm.forEach((row, i) =>
      row.forEach((v, j) => {
        const want = i === j ? gain * gain : 0;
        assert.ok(
          Math.abs(v - want) < 1e-12 * Math.max(1, gain * gain),
          `${shape} [${i},${j}] ${v}`,
        );
      })
    );
  }
});

Deno.test("orthogonal() is the Q of the seeded normal matrix with positive diag(R), as PyTorch", () => {
  // Independent check: with A the same normal draws, R = Q^T A must be upper triangular
  // with a positive diagonal, and Q R must reproduce A.
  const rows = 7;
  const cols = 4;
  const q = orthogonal(1)([rows, cols], new SeededRng(5));
  const a = normal()([rows, cols], new SeededRng(5));
  for (let i = 0; i < cols; i++) {
    for (let j = 0; j < cols; j++) {
      let r = 0;
      for (let k = 0; k < rows; k++) r += q[k * cols + i] * a[k * cols + j];
      if (i > j) assert.ok(Math.abs(r) < 1e-12, `R[${i}][${j}] = ${r}`);
      if (i === j) assert.ok(r > 0, `R[${i}][${i}] = ${r}`);
    }
  }
});

Deno.test("initialisers are deterministic per seed and differ across seeds", () => {
  const a = orthogonal(Math.SQRT2)([8, 5], new SeededRng(9));
  const b = orthogonal(Math.SQRT2)([8, 5], new SeededRng(9));
  const c = orthogonal(Math.SQRT2)([8, 5], new SeededRng(10));
  assert.deepEqual(a, b);
  assert.notDeepEqual(a, c);
  assert.deepEqual(
    kaimingUniform()([3, 4], new SeededRng(1)),
    kaimingUniform()([3, 4], new SeededRng(1)),
  );
});
