/** Dropout masks: values, drop rate, reproducibility from the generator state. */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import * as ort from "onnxruntime-node";
import {
  dropout,
  DropoutMaskGenerator,
  emitModel,
  fillMask,
  gradients,
  Graph,
  mul,
  ParameterStore,
  relu,
  Session,
  sum,
} from "../../../lib/nn/mod.ts";
import { compileWat } from "../../../scripts/build_wasm.ts";

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

Deno.test("masks prefetched in a worker train bit for bit like inline masks, across batch sizes and a restore", async () => {
  const { createTrainingStep, dropout, linear, mean, ParameterStore, square, sub } = await import(
    "../../../lib/nn/mod.ts"
  );
  const make = (prefetchMasks: boolean) =>
    createTrainingStep((g) => {
      const x = g.input("x", ["batch", 6]);
      const y = g.input("y", ["batch", 1]);
      // 2 x 1100 mask elements per sample: above PREFETCH_MIN_MASK_ELEMENTS, so the worker runs.
      const h = dropout(linear(x, { name: "a", outFeatures: 1100 }), 0.3);
      const out = linear(dropout(h, 0.1), { name: "b", outFeatures: 1 });
      return { loss: mean(square(sub(out, y))) };
    }, {
      parameters: new ParameterStore(new SeededRng(3)),
      dropoutRng: new SeededRng(4),
      prefetchMasks,
    });
  const inline = await make(false);
  const ahead = await make(true);
  const rng = new SeededRng(5);
  const batch = (n: number) => ({
    x: { data: Float32Array.from({ length: n * 6 }, () => rng.normal()), dims: [n, 6] },
    y: { data: Float32Array.from({ length: n }, () => rng.normal()), dims: [n, 1] },
  });
  let saved = null;
  for (const [i, n] of [8, 8, 5, 8, 3, 8].entries()) {
    const feeds = batch(n);
    if (i === 3) saved = inline.state();
    const a = await inline.run(feeds, { learningRate: 0.01 });
    const b = await ahead.run(feeds, { learningRate: 0.01 });
    assert.equal(a.loss, b.loss, `loss at step ${i}`);
    assert.deepEqual(ahead.parameters, inline.parameters, `parameters at step ${i}`);
  }
  // Restoring an earlier state drops the look-ahead; the masks follow the restored generator.
  inline.setState(saved!);
  ahead.setState(saved!);
  for (const n of [8, 4]) {
    const feeds = batch(n);
    await inline.run(feeds, { learningRate: 0.01 });
    await ahead.run(feeds, { learningRate: 0.01 });
    assert.deepEqual(ahead.parameters, inline.parameters);
  }
  assert.deepEqual(ahead.state().dropoutRng, inline.state().dropoutRng);
  await inline.release();
  await ahead.release();
});

Deno.test("element i is decided by 16 bits of murmur3 fmix32(key * 0x9e3779b1 + floor(i / 2))", () => {
  // Reference written with BigInt arithmetic modulo 2^32 (MurmurHash3 fmix32).
  const M = 0xffffffffn;
  const fmix32 = (x: bigint) => {
    let h = x & M;
    h = ((h ^ (h >> 16n)) * 0x85ebca6bn) & M;
    h = ((h ^ (h >> 13n)) * 0xc2b2ae35n) & M;
    return h ^ (h >> 16n);
  };
  // Lengths through the SIMD path's chunks (4,096 pairs) and groups of four pairs, with
  // every remainder: odd lengths end on an element that uses the low half of its hash alone.
  const cases: [number, number, number][] = [
    [12345, 0.3, 1001],
    [4294967295, 0.1, 2 * 4096 * 2 + 2 * 3 + 1],
    [0, 0.5, 2 * 4096 + 8],
    [7, 0.25, 9],
    [8, 0.25, 6],
    [9, 0.75, 1],
  ];
  for (const [key, p, n] of cases) {
    const f32 = new Float32Array(n);
    const f64 = new Float64Array(n);
    fillMask(f32, key, p);
    fillMask(f64, key, p);
    const threshold = BigInt(Math.round(p * 65536));
    for (let i = 0; i < n; i++) {
      const h = fmix32(BigInt(key) * 0x9e3779b1n + BigInt(i >> 1));
      const draw = i % 2 === 0 ? h & 0xffffn : h >> 16n;
      const expected = draw < threshold ? 0 : 1 / (1 - p);
      assert.equal(f64[i], expected, `key ${key} element ${i}`);
      assert.equal(f32[i], Math.fround(expected), `key ${key} element ${i} (float32)`);
    }
  }
});

Deno.test("the committed SIMD mask module is its WebAssembly text compiled", async () => {
  const committed = await Deno.readFile(
    new URL("../../../lib/nn/_mask_fill.wasm", import.meta.url),
  );
  const watUrl = new URL("../../../lib/nn/_mask_fill.wat", import.meta.url);
  const compiled = await compileWat("_mask_fill.wat", await Deno.readTextFile(watUrl));
  assert.deepEqual(committed, compiled, "run deno task build:wasm");
});

Deno.test("a shorter mask is the prefix of a longer one for the same key", () => {
  const long = new Float32Array(4097);
  const short = new Float32Array(1234);
  fillMask(long, 99, 0.3);
  fillMask(short, 99, 0.3);
  assert.deepEqual(short, long.subarray(0, 1234));
});

Deno.test("dropout of a ReLU output has the gradient of ReLU then mask multiply, bit for bit", async () => {
  // The fused rule (g * (Cast(y > 0) * keep)) against the unfused graph: Relu's rule
  // (Cast(r > 0)) after Mul's (g * mask). Activations include zeros of both signs, values
  // around float32's smallest normal 2^-126, subnormals (flushed to zero by the
  // sessions) and large ones.
  const n = 6000;
  const rng = new SeededRng(17);
  const h = Array.from({ length: n }, (_, i) => {
    const special = [0, -0, 2 ** -126, -(2 ** -126), 2 ** -125, 3e38, -3e38, 1e-30, 1e-40, -1e-40];
    return i < special.length ? special[i] : rng.uniformRange(-2, 2) * 2 ** rng.int(40) / 2 ** 20;
  });
  const cot = Array.from({ length: n }, () => rng.uniformRange(-1, 1));
  for (const dtype of ["float32", "float64"] as const) {
    for (const p of [0.3, 0.6]) {
      const mask = dtype === "float32" ? new Float32Array(n) : new Float64Array(n);
      fillMask(mask, 4242, p);
      const run = async (fused: boolean) => {
        const g = new Graph({
          dtype,
          training: true,
          parameters: new ParameterStore(new SeededRng(1)),
        });
        const x = g.input("h", [n]);
        const c = g.input("cot", [n]);
        const r = relu(x);
        const y = fused ? dropout(r, p) : mul(r, g.dropoutMask([n], p));
        const [dh] = gradients(sum(mul(y, c)), [x]);
        const session = await Session.create(emitModel(g, { y, dh }));
        const Arr = dtype === "float32" ? Float32Array : Float64Array;
        const out = await session.run({
          h: new ort.Tensor(dtype, Arr.from(h), [n]),
          cot: new ort.Tensor(dtype, Arr.from(cot), [n]),
          "dropout_mask.0": new ort.Tensor(dtype, mask, [n]),
        });
        await session.release();
        return {
          y: Array.from(out.y.data as Float32Array),
          dh: Array.from(out.dh.data as Float32Array),
        };
      };
      const fused = await run(true);
      const unfused = await run(false);
      assert.ok(fused.dh.some((v) => v !== 0) && fused.dh.some((v) => v === 0), "both kinds occur");
      for (let i = 0; i < n; i++) {
        assert.ok(Object.is(fused.y[i], unfused.y[i]), `${dtype} p ${p} y[${i}]`);
        assert.ok(
          Object.is(fused.dh[i], unfused.dh[i]),
          `${dtype} p ${p} dh[${i}] (h ${h[i]}, mask ${mask[i]}): ${fused.dh[i]} vs ${
            unfused.dh[i]
          }`,
        );
      }
    }
  }
});
