/**
 * Every op's gradient rule against central finite differences, in float64
 * through ONNX Runtime, on random shapes including batch 1 and broadcasting.
 */
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  abs,
  adaptiveAvgPool1d,
  add,
  avgPool1d,
  batchNormMap,
  broadcastTo,
  checkGradients,
  clip,
  concat,
  conv1dMap,
  div,
  dropout,
  exp,
  flatten,
  gemm,
  type GradCheckFeed,
  type Graph,
  greater,
  layerNormMap,
  linearMap,
  log,
  logSoftmax,
  matmul,
  maximum,
  maxPool1d,
  minimum,
  mul,
  neg,
  normal,
  ones,
  pad,
  pow,
  reciprocal,
  reduceMax,
  reduceMean,
  reduceSum,
  relu,
  reshape,
  sigmoid,
  slice,
  softmax,
  split,
  sqrt,
  square,
  squeeze,
  sub,
  tanh,
  type Tensor,
  transpose,
  unsqueeze,
  where,
  zeros,
} from "../../../lib/nn/mod.ts";
import {
  assertClose,
  assertGradOk,
  awayFromZero,
  evalWithGradients,
  randomFeed,
} from "./_helpers.ts";

const rng = new SeededRng(2024);

type Build = (g: Graph) => { output: Tensor; wrt: Record<string, Tensor> };

async function check(build: Build, feeds: Record<string, GradCheckFeed>, options = {}) {
  assertGradOk(await checkGradients(build, feeds, options));
}

/** Run `body` once for batch 1 and once for a larger batch. */
async function forBatches(body: (batch: number) => Promise<void>) {
  for (const b of [1, 3]) await body(b);
}

Deno.test("add/sub/mul/div broadcast [batch,3,1] with [4] and reduce gradients back", async () => {
  for (const op of [add, sub, mul, div]) {
    await forBatches((b) =>
      check((g) => {
        const x = g.input("x", ["batch", 3, 1]);
        const y = g.input("y", [4]);
        return { output: op(x, y), wrt: { x, y } };
      }, { x: randomFeed(rng, [b, 3, 1]), y: awayFromZero(rng, [4]) })
    );
  }
});

Deno.test("binary ops broadcast a scalar-like [1,1] against [batch,2,3] on either side", async () => {
  for (const op of [add, sub, mul, div]) {
    await check((g) => {
      const x = g.input("x", [1, 1]);
      const y = g.input("y", ["batch", 2, 3]);
      return { output: add(op(x, y), op(y, x)), wrt: { x, y } };
    }, { x: awayFromZero(rng, [1, 1]), y: awayFromZero(rng, [2, 2, 3]) });
  }
});

Deno.test("pow() differentiates base and exponent", async () => {
  await check((g) => {
    const x = g.input("x", ["batch", 3]);
    const e = g.input("e", [3]);
    return { output: add(pow(x, e), pow(x, 3)), wrt: { x, e } };
  }, { x: randomFeed(rng, [2, 3], 0.5, 2), e: randomFeed(rng, [3], -1.5, 2) });
});

Deno.test("maximum() and minimum() route gradients to the larger/smaller operand", async () => {
  for (const op of [maximum, minimum]) {
    await check((g) => {
      const x = g.input("x", ["batch", 4]);
      const y = g.input("y", [4]);
      return { output: op(x, y), wrt: { x, y } };
    }, { x: randomFeed(rng, [3, 4]), y: randomFeed(rng, [4]) });
  }
});

Deno.test("unary ops: neg exp log sqrt square abs tanh sigmoid relu reciprocal", async () => {
  const cases: [string, (x: Tensor) => Tensor, (shape: number[]) => GradCheckFeed][] = [
    ["neg", neg, (s) => randomFeed(rng, s)],
    ["exp", exp, (s) => randomFeed(rng, s)],
    ["log", log, (s) => randomFeed(rng, s, 0.2, 3)],
    ["sqrt", sqrt, (s) => randomFeed(rng, s, 0.2, 3)],
    ["square", square, (s) => randomFeed(rng, s)],
    ["abs", abs, (s) => awayFromZero(rng, s)],
    ["tanh", tanh, (s) => randomFeed(rng, s, -2, 2)],
    ["sigmoid", sigmoid, (s) => randomFeed(rng, s, -3, 3)],
    ["relu", relu, (s) => awayFromZero(rng, s)],
    ["reciprocal", reciprocal, (s) => awayFromZero(rng, s)],
  ];
  for (const [, op, feed] of cases) {
    await forBatches((b) =>
      check((g) => {
        const x = g.input("x", ["batch", 2, 3]);
        return { output: op(x), wrt: { x } };
      }, { x: feed([b, 2, 3]) })
    );
  }
});

Deno.test("clip() passes gradients inside [min, max] only", async () => {
  const data = [-2, -0.9, -0.3, 0.2, 0.7, 1.6];
  await check((g) => {
    const x = g.input("x", ["batch", 3]);
    return {
      output: add(clip(x, { min: -0.5, max: 1 }), clip(x, { max: 0.5 })),
      wrt: { x },
    };
  }, { x: { data, shape: [2, 3] } });
});

Deno.test("where() sends gradients to the selected branch, none to the condition", async () => {
  await check((g) => {
    const c = g.input("c", ["batch", 3]);
    const x = g.input("x", ["batch", 3]);
    const y = g.input("y", [3]);
    return { output: where(greater(c, 0), mul(x, 2), y), wrt: { x, y } };
  }, { c: awayFromZero(rng, [4, 3]), x: randomFeed(rng, [4, 3]), y: randomFeed(rng, [3]) });
});

Deno.test("softmax() and logSoftmax() on the last and a middle axis", async () => {
  for (const axis of [-1, 1]) {
    for (const op of [softmax, logSoftmax]) {
      await forBatches((b) =>
        check((g) => {
          const x = g.input("x", ["batch", 4, 5]);
          return { output: op(x, { axis }), wrt: { x } };
        }, { x: randomFeed(rng, [b, 4, 5], -2, 2) })
      );
    }
  }
});

Deno.test("matmul() batched, broadcast and 2-D right operand", async () => {
  await check((g) => {
    const a = g.input("a", ["batch", 3, 4]);
    const b = g.input("b", ["batch", 4, 2]);
    return { output: matmul(a, b), wrt: { a, b } };
  }, { a: randomFeed(rng, [2, 3, 4]), b: randomFeed(rng, [2, 4, 2]) });
  await forBatches((bs) =>
    check((g) => {
      const a = g.input("a", ["batch", 2, 3, 4]);
      const b = g.input("b", [4, 5]);
      return { output: matmul(a, b), wrt: { a, b } };
    }, { a: randomFeed(rng, [bs, 2, 3, 4]), b: randomFeed(rng, [4, 5]) })
  );
  await check((g) => {
    const a = g.input("a", [3, 4]);
    const b = g.input("b", ["batch", 1, 4, 2]);
    return { output: matmul(a, b), wrt: { a, b } };
  }, { a: randomFeed(rng, [3, 4]), b: randomFeed(rng, [2, 1, 4, 2]) });
});

Deno.test("gemm() with every transpose combination, alpha and a broadcast bias", async () => {
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      await check((g) => {
        const a = g.input("a", transA ? [4, 3] : [3, 4]);
        const b = g.input("b", transB ? [5, 4] : [4, 5]);
        const c = g.input("c", [5]);
        return { output: gemm(a, b, { transA, transB, alpha: 0.7, c }), wrt: { a, b, c } };
      }, {
        a: randomFeed(rng, transA ? [4, 3] : [3, 4]),
        b: randomFeed(rng, transB ? [5, 4] : [4, 5]),
        c: randomFeed(rng, [5]),
      });
    }
  }
});

Deno.test("linearMap() on rank-2 and rank-3 inputs", async () => {
  for (const shape of [["batch", 4], ["batch", 6, 4]] as const) {
    await forBatches((b) =>
      check((g) => {
        const x = g.input("x", shape);
        const w = g.input("w", [3, 4]);
        const bias = g.input("bias", [3]);
        return { output: linearMap(x, w, bias), wrt: { x, w, bias } };
      }, {
        x: randomFeed(rng, [b, ...shape.slice(1) as number[]]),
        w: randomFeed(rng, [3, 4]),
        bias: randomFeed(rng, [3]),
      })
    );
  }
});

Deno.test("reductions over static and symbolic axes, with and without keepdims", async () => {
  for (const op of [reduceSum, reduceMean, reduceMax]) {
    for (
      const [axes, keepdims] of [[[0], false], [[1, 2], true], [[2], false], [
        undefined,
        false,
      ]] as const
    ) {
      await forBatches((b) =>
        check((g) => {
          const x = g.input("x", ["batch", 3, 4]);
          return { output: op(x, { axes: axes as number[] | undefined, keepdims }), wrt: { x } };
        }, { x: randomFeed(rng, [b, 3, 4]) })
      );
    }
  }
});

Deno.test("reshape, flatten, transpose, squeeze and unsqueeze pass gradients back", async () => {
  await forBatches((b) =>
    check((g) => {
      const x = g.input("x", ["batch", 2, 3, 4]);
      const r = reshape(x, ["batch", 6, 4]);
      const f = flatten(transpose(r, [0, 2, 1]));
      const u = squeeze(unsqueeze(f, [1, 3]), [1]);
      const m = reshape(x, [-1, 4]); // [batch*6, 4]
      return {
        output: add(
          reduceSum(u, { axes: [2] }),
          reduceSum(reshape(m, ["batch", 24]), { axes: [1], keepdims: true }),
        ),
        wrt: { x },
      };
    }, { x: randomFeed(rng, [b, 2, 3, 4]) })
  );
});

Deno.test("concat, split, slice (with steps) and pad pass gradients back", async () => {
  await forBatches((b) =>
    check((g) => {
      const x = g.input("x", ["batch", 3, 7]);
      const y = g.input("y", ["batch", 2, 7]);
      const c = concat([x, y, x], { axis: 1 }); // [b, 8, 7]
      const [p1, , p3] = split(c, [2, 3, 3], { axis: 1 });
      const s = slice(x, [1], [7], { axes: [2], steps: [2] }); // [b, 3, 3]
      const s2 = slice(pad(x, { 2: [2, 1] }), [0, 1], [2, 9], { axes: [1, 2], steps: [1, 3] });
      return {
        output: concat([
          reduceSum(p1, { axes: [1] }),
          reduceSum(p3, { axes: [1] }),
          reduceSum(s, { axes: [1] }),
          reduceSum(s2, { axes: [1] }),
        ], { axis: 1 }),
        wrt: { x, y },
      };
    }, { x: randomFeed(rng, [b, 3, 7]), y: randomFeed(rng, [b, 2, 7]) })
  );
});

Deno.test("broadcastTo() sums gradients over broadcast axes (symbolic target)", async () => {
  await check((g) => {
    const x = g.input("x", [3, 1]);
    const ref = g.input("ref", ["batch", 3, 4]);
    return { output: mul(broadcastTo(x, ref), ref), wrt: { x } };
  }, { x: randomFeed(rng, [3, 1]), ref: randomFeed(rng, [2, 3, 4]) });
});

Deno.test("layerNormMap() over the last axis and the last two axes", async () => {
  for (const axis of [-1, 1]) {
    await forBatches((b) =>
      check((g) => {
        const x = g.input("x", ["batch", 3, 5]);
        const shape = axis === -1 ? [5] : [3, 5];
        const w = g.input("w", shape);
        const bias = g.input("bias", shape);
        return { output: layerNormMap(x, w, { bias, axis }), wrt: { x, w, bias } };
      }, {
        x: randomFeed(rng, [b, 3, 5], -2, 2),
        w: randomFeed(rng, axis === -1 ? [5] : [3, 5]),
        bias: randomFeed(rng, axis === -1 ? [5] : [3, 5]),
      })
    );
  }
});

Deno.test("batchNormMap() in train mode (batch statistics) and eval mode", async () => {
  for (const training of [true, false]) {
    for (const shape of [[4, 3], [2, 3, 5]]) {
      await check((g) => {
        const x = g.input("x", ["batch", ...shape.slice(1)]);
        const w = g.input("w", [3]);
        const b = g.input("b", [3]);
        const rm = g.buffer("rm", [3], { init: normal(0, 0.3) });
        const rv = g.buffer("rv", [3], { init: ones() });
        const { y } = batchNormMap(x, {
          weight: w,
          bias: b,
          runningMean: rm,
          runningVar: rv,
          training,
        });
        return { output: y, wrt: { x, w, b } };
      }, { x: randomFeed(rng, shape, -2, 2), w: randomFeed(rng, [3]), b: randomFeed(rng, [3]) });
    }
  }
});

Deno.test("conv1dMap() im2col in float64 for strides, paddings and dilations incl. batch 1", async () => {
  const configs = [
    { k: 3, stride: 2, padding: 1, dilation: 1, length: 8 },
    { k: 3, stride: 1, padding: 0, dilation: 2, length: 9 },
    { k: 5, stride: 1, padding: 2, dilation: 1, length: 7 },
    { k: 2, stride: 3, padding: 1, dilation: 1, length: 10 },
  ];
  for (const c of configs) {
    await forBatches((b) =>
      check((g) => {
        const x = g.input("x", ["batch", 2, c.length]);
        const w = g.input("w", [3, 2, c.k]);
        const bias = g.input("bias", [3]);
        const y = conv1dMap(x, w, {
          bias,
          stride: c.stride,
          padding: c.padding,
          dilation: c.dilation,
        });
        return { output: y, wrt: { x, w, bias } };
      }, {
        x: randomFeed(rng, [b, 2, c.length]),
        w: randomFeed(rng, [3, 2, c.k]),
        bias: randomFeed(rng, [3]),
      })
    );
  }
});

Deno.test("maxPool1d() sends gradients to window maxima, with and without padding", async () => {
  for (
    const opts of [{ kernel: 2 }, { kernel: 3, stride: 2, padding: 1 }, { kernel: 3, stride: 1 }]
  ) {
    await forBatches((b) =>
      check((g) => {
        const x = g.input("x", ["batch", 2, 9]);
        return { output: maxPool1d(x, opts), wrt: { x } };
      }, { x: randomFeed(rng, [b, 2, 9]) })
    );
  }
});

Deno.test("avgPool1d() and adaptiveAvgPool1d() (uneven windows)", async () => {
  await check((g) => {
    const x = g.input("x", ["batch", 2, 9]);
    return {
      output: concat([
        avgPool1d(x, { kernel: 3, stride: 2, padding: 1 }),
        adaptiveAvgPool1d(x, 4),
      ], { axis: 2 }),
      wrt: { x },
    };
  }, { x: randomFeed(rng, [3, 2, 9]) });
});

Deno.test("dropout() multiplies by the fed mask in train mode and its gradient", async () => {
  const mask = { data: [0, 2, 2, 0, 2, 2], shape: [2, 3] };
  await check(
    (g) => {
      const x = g.input("x", ["batch", 3]);
      return { output: tanh(dropout(x, 0.5)), wrt: { x } };
    },
    { x: randomFeed(rng, [2, 3]) },
    { training: true, masks: { "dropout_mask.0": mask } },
  );
});

Deno.test("parameters are checked through the flat parameter vector", async () => {
  await check((g) => {
    const x = g.input("x", ["batch", 3]);
    const w = g.parameter("w", [2, 3], { init: normal() });
    const b = g.parameter("b", [2], { init: zeros() });
    return { output: tanh(linearMap(x, w, b)), wrt: { w, b } };
  }, { x: randomFeed(rng, [4, 3]) });
});

Deno.test("channels-last pools and batch norm pass gradient checks and equal channels-first", async () => {
  const x = randomFeed(rng, [3, 9, 2]); // [batch, L, C]
  const xcf = {
    data: Array.from({ length: 54 }, (_, i) => {
      const b = Math.floor(i / 18), c = Math.floor((i % 18) / 9), l = i % 9;
      return x.data[b * 18 + l * 2 + c];
    }),
    shape: [3, 2, 9],
  };
  await check((g) => {
    const t = g.input("x", ["batch", 9, 2]);
    return {
      output: concat([
        maxPool1d(t, { kernel: 3, stride: 2, padding: 1, layout: "nlc" }),
        avgPool1d(t, { kernel: 3, stride: 2, padding: 1, layout: "nlc" }),
        adaptiveAvgPool1d(t, 4, { layout: "nlc" }),
      ], { axis: 1 }),
      wrt: { t },
    };
  }, { x });
  for (const training of [true, false]) {
    await check((g) => {
      const t = g.input("x", ["batch", 9, 2]);
      const w = g.input("w", [2]);
      const b = g.input("b", [2]);
      const rm = g.buffer("rm", [2], { init: normal(0, 0.3) });
      const rv = g.buffer("rv", [2], { init: ones() });
      const { y } = batchNormMap(t, {
        weight: w,
        bias: b,
        runningMean: rm,
        runningVar: rv,
        training,
        channelAxis: -1,
      });
      return { output: y, wrt: { t, w, b } };
    }, { x, w: randomFeed(rng, [2]), b: randomFeed(rng, [2]) });
  }
  // same values as the channels-first ops
  const cot = Array.from({ length: 3 * 2 * 14 }, () => rng.uniformRange(-1, 1));
  const cl = await evalWithGradients(
    (g) => {
      const t = g.input("x", ["batch", 9, 2]);
      const y = concat([
        maxPool1d(t, { kernel: 3, stride: 2, padding: 1, layout: "nlc" }),
        avgPool1d(t, { kernel: 3, stride: 2, padding: 1, layout: "nlc" }),
        adaptiveAvgPool1d(t, 4, { layout: "nlc" }),
      ], { axis: 1 });
      return { output: transpose(y, [0, 2, 1]), wrt: { t } };
    },
    { x },
    cot,
    "float64",
  );
  const cf = await evalWithGradients(
    (g) => {
      const t = g.input("x", ["batch", 2, 9]);
      const y = concat([
        maxPool1d(t, { kernel: 3, stride: 2, padding: 1 }),
        avgPool1d(t, { kernel: 3, stride: 2, padding: 1 }),
        adaptiveAvgPool1d(t, 4),
      ], { axis: 2 });
      return { output: y, wrt: { t } };
    },
    { x: xcf },
    cot,
    "float64",
  );
  assertClose(cl.output, cf.output, { rtol: 1e-12, atol: 1e-14 });
  const gradCf = Array.from({ length: 54 }, (_, i) => {
    const b = Math.floor(i / 18), l = Math.floor((i % 18) / 2), c = i % 2;
    return cf.grads.t[b * 18 + c * 9 + l];
  });
  assertClose(cl.grads.t, gradCf, { rtol: 1e-12, atol: 1e-14 });
});
