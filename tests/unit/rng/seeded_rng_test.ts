import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";

Deno.test("SeededRng gives the same sequence for the same seed", () => {
  const a = new SeededRng(42);
  const b = new SeededRng(42);
  for (let i = 0; i < 100; i++) assert.equal(a.uniform(), b.uniform());
});

Deno.test("SeededRng gives different sequences for neighbouring seeds", () => {
  const a = new SeededRng(42);
  const b = new SeededRng(43);
  let equal = 0;
  for (let i = 0; i < 100; i++) if (a.uniform() === b.uniform()) equal++;
  assert.equal(equal, 0);
});

Deno.test("SeededRng state round-trips mid-sequence, including a cached normal", () => {
  const rng = new SeededRng(7);
  rng.normal(); // leaves the second Box-Muller value cached
  const restored = SeededRng.fromState(rng.state());
  for (let i = 0; i < 10; i++) {
    assert.equal(restored.normal(), rng.normal());
    assert.equal(restored.uniform(), rng.uniform());
  }
});

Deno.test("SeededRng.normal() has mean 0 and variance 1 within sampling error", () => {
  const rng = new SeededRng(1);
  const n = 200_000;
  let sum = 0;
  let sumSquares = 0;
  for (let i = 0; i < n; i++) {
    const z = rng.normal();
    sum += z;
    sumSquares += z * z;
  }
  // Standard errors: mean 1/sqrt(n) ~ 0.0022, variance sqrt(2/n) ~ 0.0032; allow 5 sigma.
  assert.ok(Math.abs(sum / n) < 0.012, `mean ${sum / n}`);
  assert.ok(Math.abs(sumSquares / n - 1) < 0.016, `variance ${sumSquares / n}`);
});

Deno.test("SeededRng.int() covers [0, n) uniformly", () => {
  const rng = new SeededRng(3);
  const counts = new Array(6).fill(0);
  const n = 60_000;
  for (let i = 0; i < n; i++) counts[rng.int(6)]++;
  for (const count of counts) assert.ok(Math.abs(count - n / 6) < 500, `count ${count}`);
  assert.throws(() => rng.int(0), RangeError);
});

Deno.test("SeededRng.fork() leaves the parent unchanged and yields a distinct stream", () => {
  const parent = new SeededRng(9);
  const before = parent.state();
  const child = parent.fork();
  assert.deepEqual(parent.state(), before);
  assert.notEqual(child.uniform(), parent.uniform());
});
