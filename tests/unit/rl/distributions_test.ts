import assert from "node:assert/strict";
import {
  clipActions,
  diagGaussianEntropy,
  diagGaussianLogProb,
  sampleDiagGaussian,
} from "../../../lib/rl/distributions.ts";
import { explainedVariance } from "../../../lib/rl/statistics.ts";
import { scheduleValue } from "../../../lib/rl/schedules.ts";
import { SeededRng } from "../../../lib/rng/mod.ts";

Deno.test("diagGaussianLogProb() equals the product of 1-D normal densities", () => {
  const actions = Float32Array.of(0.5, -0.25, 1, 2);
  const mean = Float32Array.of(0, 0, 1.5, 1);
  const logStd = Float32Array.of(0, Math.log(0.5));
  const out = new Float32Array(2);
  diagGaussianLogProb(actions, mean, logStd, out);
  const density = (x: number, mu: number, sigma: number) =>
    Math.exp(-((x - mu) ** 2) / (2 * sigma * sigma)) / (sigma * Math.sqrt(2 * Math.PI));
  const expected0 = Math.log(density(0.5, 0, 1) * density(-0.25, 0, 0.5));
  const expected1 = Math.log(density(1, 1.5, 1) * density(2, 1, 0.5));
  assert.ok(Math.abs(out[0] - expected0) < 1e-6);
  assert.ok(Math.abs(out[1] - expected1) < 1e-6);
});

Deno.test("diagGaussianEntropy() at log_std 0 is 0.5 * (1 + log 2 pi) per dimension", () => {
  const expected = 2 * 0.5 * (1 + Math.log(2 * Math.PI)); // 2.8379
  assert.ok(Math.abs(diagGaussianEntropy(new Float32Array(2)) - expected) < 1e-12);
});

Deno.test("sampleDiagGaussian() draws with the requested mean and standard deviation", () => {
  const n = 50_000;
  const mean = new Float32Array(2 * n).fill(1);
  for (let i = 1; i < 2 * n; i += 2) mean[i] = -2;
  const logStd = Float32Array.of(Math.log(0.5), Math.log(2));
  const out = new Float32Array(2 * n);
  sampleDiagGaussian(mean, logStd, new SeededRng(11), out);
  for (const [d, mu, sigma] of [[0, 1, 0.5], [1, -2, 2]]) {
    let sum = 0;
    let sumSquares = 0;
    for (let i = d; i < 2 * n; i += 2) {
      sum += out[i];
      sumSquares += out[i] * out[i];
    }
    const m = sum / n;
    const s = Math.sqrt(sumSquares / n - m * m);
    assert.ok(Math.abs(m - mu) < 5 * sigma / Math.sqrt(n), `mean ${m}`);
    assert.ok(Math.abs(s - sigma) < 0.02 * sigma, `std ${s}`);
  }
});

Deno.test("clipActions() clamps each dimension to its own bounds", () => {
  const out = new Float32Array(4);
  clipActions(
    Float32Array.of(-1, 0.7, 2.5, -0.2),
    Float32Array.of(0, -0.5),
    Float32Array.of(2, 0.5),
    out,
  );
  assert.deepEqual([...out], [0, 0.5, 2, Math.fround(-0.2)]);
});

Deno.test("explainedVariance() is 1 for perfect, 0 for the mean, NaN for constant targets", () => {
  assert.equal(explainedVariance([1, 2, 3], [1, 2, 3]), 1);
  assert.equal(explainedVariance([2, 2, 2], [1, 2, 3]), 0);
  assert.ok(Number.isNaN(explainedVariance([1, 2, 3], [4, 4, 4])));
  // 1 - Var([1, -1, 0]) / Var([1, 2, 3]) = 1 - (2/3) / (2/3) = 0
  assert.equal(explainedVariance([0, 3, 3], [1, 2, 3]), 0);
});

Deno.test("scheduleValue() is constant or linear in the remaining progress", () => {
  assert.equal(scheduleValue("constant", 3e-4, 0.25), 3e-4);
  assert.equal(scheduleValue("linear", 4e-4, 0.25), 1e-4);
  assert.equal(scheduleValue("linear", 4e-4, -1), 0);
});
