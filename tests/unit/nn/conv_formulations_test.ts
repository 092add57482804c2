/**
 * The float32 native Conv1d with its gradients (phase-split input gradient, GEMM
 * weight gradient) agrees with the float64 im2col conv (itself checked against finite
 * differences), and passes a float32 finite-difference check with a looser tolerance.
 */
import { SeededRng } from "../../../lib/rng/mod.ts";
import { checkGradients, conv1dMap, type Graph, tanh } from "../../../lib/nn/mod.ts";
import { assertClose, assertGradOk, evalWithGradients, randomFeed } from "./_helpers.ts";

const rng = new SeededRng(99);

const configs = [
  {
    name: "k3 s2 p1 (dynamics_original)",
    c: 4,
    o: 5,
    k: 3,
    stride: 2,
    padding: 1,
    dilation: 1,
    length: 12,
  },
  { name: "k3 s2 p1 odd length", c: 3, o: 2, k: 3, stride: 2, padding: 1, dilation: 1, length: 11 },
  {
    name: "k5 s1 p2 (lightweight_cnn)",
    c: 3,
    o: 4,
    k: 5,
    stride: 1,
    padding: 2,
    dilation: 1,
    length: 10,
  },
  { name: "k3 s1 p0 dilation 2", c: 2, o: 3, k: 3, stride: 1, padding: 0, dilation: 2, length: 11 },
  {
    name: "k2 s3 p1 (stride > kernel)",
    c: 2,
    o: 3,
    k: 2,
    stride: 3,
    padding: 1,
    dilation: 1,
    length: 10,
  },
  { name: "k4 s2 p2 dilation 3", c: 2, o: 2, k: 4, stride: 2, padding: 2, dilation: 3, length: 16 },
  // A row block between two taps that no tap reads (im2col wider than k * C).
  { name: "k2 s3 p0 dilation 2", c: 2, o: 3, k: 2, stride: 3, padding: 0, dilation: 2, length: 11 },
  // One output, whose first tap reads only padding (a row offset that is all zeros).
  { name: "k3 s2 p1 length 2", c: 3, o: 2, k: 3, stride: 2, padding: 1, dilation: 1, length: 2 },
];

for (const c of configs) {
  Deno.test(`conv1d native float32 formulations equal float64 im2col: ${c.name}`, async () => {
    // float64 builds the im2col conv, float32 the native ONNX Conv with its gradients.
    const build = (g: Graph) => {
      const x = g.input("x", ["batch", c.c, c.length]);
      const w = g.input("w", [c.o, c.c, c.k]);
      const b = g.input("b", [c.o]);
      const y = conv1dMap(x, w, {
        bias: b,
        stride: c.stride,
        padding: c.padding,
        dilation: c.dilation,
      });
      return { output: y, wrt: { x, w, b } };
    };
    for (const batch of [1, 3]) {
      const feeds = {
        x: randomFeed(rng, [batch, c.c, c.length]),
        w: randomFeed(rng, [c.o, c.c, c.k]),
        b: randomFeed(rng, [c.o]),
      };
      const outLen =
        Math.floor((c.length + 2 * c.padding - c.dilation * (c.k - 1) - 1) / c.stride) + 1;
      const cot = Array.from({ length: batch * c.o * outLen }, () => rng.uniformRange(-1, 1));
      const reference = await evalWithGradients(
        build,
        feeds,
        cot,
        "float64",
      );
      const r = await evalWithGradients(
        build,
        feeds,
        cot,
        "float32",
      );
      const tol = { rtol: 1e-4, atol: 1e-5 };
      const label = `native batch ${batch}`;
      assertClose(r.output, reference.output, { ...tol, label: `${label} output` });
      for (const k of ["x", "w", "b"]) {
        assertClose(r.grads[k], reference.grads[k], { ...tol, label: `${label} d${k}` });
      }
    }
  });
}

Deno.test("conv1d native float32 passes a finite-difference check (float32 tolerance)", async () => {
  // float32 central differences with h = 1e-2 on a function with O(1) curvature have
  // truncation error ~1e-4 and rounding error ~1e-7/1e-2 = 1e-5: 2e-2 relative is safe.
  for (const c of configs.slice(0, 3)) {
    assertGradOk(
      await checkGradients(
        (g) => {
          const x = g.input("x", ["batch", c.c, c.length]);
          const w = g.input("w", [c.o, c.c, c.k]);
          const y = tanh(
            conv1dMap(x, w, { stride: c.stride, padding: c.padding, dilation: c.dilation }),
          );
          return { output: y, wrt: { x, w } };
        },
        { x: randomFeed(rng, [2, c.c, c.length]), w: randomFeed(rng, [c.o, c.c, c.k]) },
        {
          dtype: "float32",
          maxElements: 24,
        },
      ),
    );
  }
});

for (const c of configs) {
  Deno.test(`conv1d channels-last passes a float64 finite-difference check: ${c.name}`, async () => {
    for (const channelsFirstInput of [false, true]) {
      for (const batch of [1, 2]) {
        const xShape = channelsFirstInput ? [batch, c.c, c.length] : [batch, c.length, c.c];
        assertGradOk(
          await checkGradients((g) => {
            const x = g.input("x", ["batch", ...xShape.slice(1)]);
            const w = g.input("w", [c.o, c.c, c.k]);
            const b = g.input("b", [c.o]);
            const y = conv1dMap(x, w, {
              bias: b,
              stride: c.stride,
              padding: c.padding,
              dilation: c.dilation,
              layout: "nlc",
              channelsFirstInput,
            });
            return { output: y, wrt: { x, w, b } };
          }, {
            x: randomFeed(rng, xShape),
            w: randomFeed(rng, [c.o, c.c, c.k]),
            b: randomFeed(rng, [c.o]),
          }, { maxElements: 40 }),
        );
      }
    }
  });

  Deno.test(`conv1d channels-last float32 equals channels-first float64: ${c.name}`, async () => {
    const batch = 3;
    const xcf = randomFeed(rng, [batch, c.c, c.length]);
    const xcl = {
      data: transposeLast2(xcf.data, batch, c.c, c.length),
      shape: [batch, c.length, c.c],
    };
    const w = randomFeed(rng, [c.o, c.c, c.k]);
    const b = randomFeed(rng, [c.o]);
    const outLen = Math.floor((c.length + 2 * c.padding - c.dilation * (c.k - 1) - 1) / c.stride) +
      1;
    const cotCf = Array.from({ length: batch * c.o * outLen }, () => rng.uniformRange(-1, 1));
    const reference = await evalWithGradients(
      (g) => {
        const x = g.input("x", ["batch", c.c, c.length]);
        const wt = g.input("w", [c.o, c.c, c.k]);
        const bt = g.input("b", [c.o]);
        const y = conv1dMap(x, wt, {
          bias: bt,
          stride: c.stride,
          padding: c.padding,
          dilation: c.dilation,
        });
        return { output: y, wrt: { x, w: wt, b: bt } };
      },
      { x: xcf, w, b },
      cotCf,
      "float64",
    );
    const r = await evalWithGradients(
      (g) => {
        const x = g.input("x", ["batch", c.length, c.c]);
        const wt = g.input("w", [c.o, c.c, c.k]);
        const bt = g.input("b", [c.o]);
        const y = conv1dMap(x, wt, {
          bias: bt,
          stride: c.stride,
          padding: c.padding,
          dilation: c.dilation,
          layout: "nlc",
        });
        return { output: y, wrt: { x, w: wt, b: bt } };
      },
      { x: xcl, w, b },
      transposeLast2(cotCf, batch, c.o, outLen),
      "float32",
    );
    const tol = { rtol: 1e-4, atol: 1e-5 };
    assertClose(r.output, transposeLast2(reference.output, batch, c.o, outLen), {
      ...tol,
      label: "y",
    });
    assertClose(r.grads.x, transposeLast2(reference.grads.x, batch, c.c, c.length), {
      ...tol,
      label: "dx",
    });
    assertClose(r.grads.w, reference.grads.w, { ...tol, label: "dw" });
    assertClose(r.grads.b, reference.grads.b, { ...tol, label: "db" });
  });
}

/** [B, R, C] -> [B, C, R] of a row-major array. */
function transposeLast2(data: ArrayLike<number>, b: number, r: number, c: number): number[] {
  const out = new Array(b * r * c);
  for (let i = 0; i < b; i++) {
    for (let j = 0; j < r; j++) {
      for (let k = 0; k < c; k++) out[i * r * c + k * r + j] = data[i * r * c + j * c + k];
    }
  }
  return out;
}
