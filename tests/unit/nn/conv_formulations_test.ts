/**
 * The float32 native Conv1d and every gradient formulation (phase split,
 * ConvTranspose; GEMM, batched and conv weight gradients) agree with the float64
 * im2col conv (itself checked against finite differences), and pass a float32
 * finite-difference check with a looser tolerance.
 */
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  checkGradients,
  conv1dMap,
  type ConvInputGrad,
  type ConvWeightGrad,
  tanh,
} from "../../../lib/nn/mod.ts";
import { assertClose, assertGradOk, evalWithGradients, randomFeed } from "./_helpers.ts";

const rng = new SeededRng(99);

const configs = [
  { name: "k3 s2 p1 (dynamics_original)", c: 4, o: 5, k: 3, stride: 2, padding: 1, dilation: 1, length: 12 },
  { name: "k3 s2 p1 odd length", c: 3, o: 2, k: 3, stride: 2, padding: 1, dilation: 1, length: 11 },
  { name: "k5 s1 p2 (lightweight_cnn)", c: 3, o: 4, k: 5, stride: 1, padding: 2, dilation: 1, length: 10 },
  { name: "k3 s1 p0 dilation 2", c: 2, o: 3, k: 3, stride: 1, padding: 0, dilation: 2, length: 11 },
  { name: "k2 s3 p1 (stride > kernel)", c: 2, o: 3, k: 2, stride: 3, padding: 1, dilation: 1, length: 10 },
  { name: "k4 s2 p2 dilation 3", c: 2, o: 2, k: 4, stride: 2, padding: 2, dilation: 3, length: 16 },
];

const inputGrads: ConvInputGrad[] = ["phase", "convtranspose"];
const weightGrads: ConvWeightGrad[] = ["gemm", "batched", "conv"];

for (const c of configs) {
  Deno.test(`conv1d native float32 formulations equal float64 im2col: ${c.name}`, async () => {
    for (const batch of [1, 3]) {
      const feeds = {
        x: randomFeed(rng, [batch, c.c, c.length]),
        w: randomFeed(rng, [c.o, c.c, c.k]),
        b: randomFeed(rng, [c.o]),
      };
      const outLen = Math.floor((c.length + 2 * c.padding - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
      const cot = Array.from({ length: batch * c.o * outLen }, () => rng.uniformRange(-1, 1));
      const reference = await evalWithGradients((g) => {
        const x = g.input("x", ["batch", c.c, c.length]);
        const w = g.input("w", [c.o, c.c, c.k]);
        const b = g.input("b", [c.o]);
        const y = conv1dMap(x, w, { bias: b, stride: c.stride, padding: c.padding, dilation: c.dilation });
        return { output: y, wrt: { x, w, b } };
      }, feeds, cot, "float64");
      for (const inputGrad of inputGrads) {
        for (const weightGrad of weightGrads) {
          const r = await evalWithGradients((g) => {
            const x = g.input("x", ["batch", c.c, c.length]);
            const w = g.input("w", [c.o, c.c, c.k]);
            const b = g.input("b", [c.o]);
            const y = conv1dMap(x, w, {
              bias: b,
              stride: c.stride,
              padding: c.padding,
              dilation: c.dilation,
              inputGrad,
              weightGrad,
            });
            return { output: y, wrt: { x, w, b } };
          }, feeds, cot, "float32");
          const tol = { rtol: 1e-4, atol: 1e-5 };
          const label = `${inputGrad}/${weightGrad} batch ${batch}`;
          assertClose(r.output, reference.output, { ...tol, label: `${label} output` });
          for (const k of ["x", "w", "b"]) {
            assertClose(r.grads[k], reference.grads[k], { ...tol, label: `${label} d${k}` });
          }
        }
      }
    }
  });
}

Deno.test("conv1d native float32 passes a finite-difference check (float32 tolerance)", async () => {
  // float32 central differences with h = 1e-2 on a function with O(1) curvature have
  // truncation error ~1e-4 and rounding error ~1e-7/1e-2 = 1e-5: 2e-2 relative is safe.
  for (const c of configs.slice(0, 3)) {
    assertGradOk(
      await checkGradients((g) => {
        const x = g.input("x", ["batch", c.c, c.length]);
        const w = g.input("w", [c.o, c.c, c.k]);
        const y = tanh(conv1dMap(x, w, { stride: c.stride, padding: c.padding, dilation: c.dilation }));
        return { output: y, wrt: { x, w } };
      }, { x: randomFeed(rng, [2, c.c, c.length]), w: randomFeed(rng, [c.o, c.c, c.k]) }, {
        dtype: "float32",
        maxElements: 24,
      }),
    );
  }
});
