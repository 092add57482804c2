/** Shared helpers of the lib/nn tests. */
import { SeededRng } from "../../../lib/rng/mod.ts";
import type { GradCheckFeed, GradCheckReport } from "../../../lib/nn/mod.ts";
import assert from "node:assert/strict";

/** Random feed of the given shape, uniform in [lo, hi). */
export function randomFeed(rng: SeededRng, shape: number[], lo = -1, hi = 1): GradCheckFeed {
  const n = shape.reduce((a, b) => a * b, 1);
  return { data: Array.from({ length: n }, () => rng.uniformRange(lo, hi)), shape };
}

/** Random values bounded away from zero: |x| in [0.1, 1). */
export function awayFromZero(rng: SeededRng, shape: number[]): GradCheckFeed {
  const f = randomFeed(rng, shape, 0.1, 1);
  return { data: Array.from(f.data, (v) => (rng.uniform() < 0.5 ? -v : v)), shape };
}

/** Assert a gradient check passed, showing its summary otherwise. */
export function assertGradOk(report: GradCheckReport): void {
  assert.ok(report.ok, report.summary);
  assert.ok(report.checked > 0, "no element was checked");
}

/** Assert two arrays are elementwise close: |a - b| <= atol + rtol |b|. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  options: { rtol?: number; atol?: number; label?: string } = {},
): void {
  const rtol = options.rtol ?? 1e-6;
  const atol = options.atol ?? 1e-9;
  assert.equal(actual.length, expected.length, `${options.label ?? ""} length`);
  for (let i = 0; i < actual.length; i++) {
    const ok = Math.abs(actual[i] - expected[i]) <= atol + rtol * Math.abs(expected[i]);
    if (!ok) {
      assert.fail(
        `${options.label ?? "values"}[${i}]: ${actual[i]} vs expected ${
          expected[i]
        } (rtol ${rtol}, atol ${atol})`,
      );
    }
  }
}

import {
  emitModel,
  type FloatType,
  gradients,
  Graph,
  mul,
  ParameterStore,
  Session,
  sum,
  type Tensor,
} from "../../../lib/nn/mod.ts";
import * as ort from "onnxruntime-node";

/** Output and gradients of `sum(output * cotangent)` for a build, in one dtype. */
export async function evalWithGradients(
  build: (g: Graph) => { output: Tensor; wrt: Record<string, Tensor> },
  feeds: Record<string, GradCheckFeed>,
  cotangent: ArrayLike<number>,
  dtype: FloatType,
): Promise<{ output: Float64Array; grads: Record<string, Float64Array> }> {
  const g = new Graph({ dtype, parameters: new ParameterStore(new SeededRng(1)) });
  const { output, wrt } = build(g);
  const Arr = dtype === "float64" ? Float64Array : Float32Array;
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) {
    f[k] = new ort.Tensor(dtype, Arr.from(v.data), [...v.shape]);
  }
  const fwd = await Session.create(emitModel(g, { output }));
  const first = (await fwd.run(f)).output;
  await fwd.release();
  const cot = g.input("cotangent", output.shape);
  const names = Object.keys(wrt);
  const grads = gradients(sum(mul(output, cot)), names.map((n) => wrt[n]));
  const outs: Record<string, Tensor> = { output };
  names.forEach((n, i) => (outs[`grad_${n}`] = grads[i]));
  const model = emitModel(g, outs);
  const session = await Session.create(model);
  f.cotangent = new ort.Tensor(dtype, Arr.from(cotangent), first.dims as number[]);
  const r = await session.run(f);
  await session.release();
  const result: Record<string, Float64Array> = {};
  for (const n of names) result[n] = Float64Array.from(r[`grad_${n}`].data as Float32Array);
  return { output: Float64Array.from(r.output.data as Float32Array), grads: result };
}
