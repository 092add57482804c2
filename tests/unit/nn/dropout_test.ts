/** Dropout masks: values, drop rate, reproducibility from the generator state. */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { DropoutMaskGenerator, fillMask } from "../../../lib/nn/mod.ts";

Deno.test("masks hold only 0 and 1/(1-p), dropping a fraction p of elements", () => {
  for (const p of [0.1, 0.3, 0.5]) {
    const m = new Float32Array(200_000);
    new DropoutMaskGenerator(new SeededRng(1)).fill(m, p);
    const keep = Math.fround(1 / (1 - p));
    let zeros = 0;
    for (const v of m) {
      if (v === 0) zeros++;
      else assert.equal(v, keep);
    }
    // binomial standard deviation sqrt(p(1-p)/n) < 0.0012: allow 5 sigma
    assert.ok(Math.abs(zeros / m.length - p) < 0.006, `p ${p}: dropped ${zeros / m.length}`);
  }
});

Deno.test("mask elements are uncorrelated with their neighbours", () => {
  const m = new Float64Array(100_000);
  fillMask(m, 12345, 0.5);
  let both = 0;
  for (let i = 1; i < m.length; i++) if (m[i] === 0 && m[i - 1] === 0) both++;
  // P(both dropped) = 0.25 for independent elements
  assert.ok(Math.abs(both / (m.length - 1) - 0.25) < 0.01, `${both / (m.length - 1)}`);
});

Deno.test("the mask sequence is reproduced from a saved generator state", () => {
  const gen = new DropoutMaskGenerator(new SeededRng(7));
  const a = new Float32Array(1000);
  gen.fill(a, 0.3);
  const state = gen.state();
  const next = new Float32Array(1000);
  gen.fill(next, 0.3);
  const again = new Float32Array(1000);
  DropoutMaskGenerator.fromState(state).fill(again, 0.3);
  assert.deepEqual(again, next);
  assert.notDeepEqual(a, next);
  assert.throws(() => gen.fill(a, 1), RangeError);
});

Deno.test("p = 0 keeps everything with scale 1", () => {
  const m = new Float32Array(100);
  fillMask(m, 3, 0);
  assert.ok(m.every((v) => v === 1));
});
