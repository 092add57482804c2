/**
 * Training step: Adam equals a hand computation over 3 steps, clipping scales
 * exactly, the gate skips updates, linear regression reaches the closed-form
 * solution, a small classification problem is learned.
 */
import assert from "node:assert/strict";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  add,
  createTrainingStep,
  fromValues,
  greater,
  linear,
  logSoftmax,
  mean,
  mul,
  NonDifferentiableError,
  ParameterStore,
  reduceSum,
  relu,
  sign,
  square,
  sub,
  sum,
} from "../../../lib/nn/mod.ts";
import { assertClose } from "./_helpers.ts";

/** Loss sum(w * x) + 0.5 * sum(w^2 * s): gradient x + w * s, known in closed form. */
function quadratic(store: ParameterStore) {
  return createTrainingStep((g) => {
    const w = g.parameter("w", [4], { init: fromValues([0.5, -1, 2, 0.1]) });
    const x = g.input("x", [4]);
    const s = g.input("s", [4]);
    return { loss: add(sum(mul(w, x)), mul(sum(mul(mul(w, w), s)), 0.5)) };
  }, { parameters: store, dtype: "float64", adam: { eps: 1e-5 } });
}

Deno.test("Adam step equals a hand computation over 3 steps (PyTorch semantics, eps 1e-5)", async () => {
  const step = await quadratic(new ParameterStore(new SeededRng(1)));
  const x = [0.3, -0.2, 0.5, 1.5];
  const s = [1, 2, 0.5, 0.1];
  const lrs = [0.1, 0.05, 0.2];
  // hand computation
  const w = [0.5, -1, 2, 0.1];
  const m = [0, 0, 0, 0];
  const v = [0, 0, 0, 0];
  for (let t = 1; t <= 3; t++) {
    const r = await step.run({
      x: { data: Float64Array.from(x), dims: [4] },
      s: { data: Float64Array.from(s), dims: [4] },
    }, { learningRate: lrs[t - 1] });
    const expectedLoss = w.reduce((a, wi, i) => a + wi * x[i] + 0.5 * wi * wi * s[i], 0);
    assertClose([r.loss], [expectedLoss], { rtol: 1e-12, label: `loss at step ${t}` });
    for (let i = 0; i < 4; i++) {
      const grad = x[i] + w[i] * s[i];
      m[i] = 0.9 * m[i] + 0.1 * grad;
      v[i] = 0.999 * v[i] + 0.001 * grad * grad;
      const stepSize = lrs[t - 1] / (1 - 0.9 ** t);
      const denom = Math.sqrt(v[i]) / Math.sqrt(1 - 0.999 ** t) + 1e-5;
      w[i] -= stepSize * m[i] / denom;
    }
    assertClose(step.parameters, w, { rtol: 1e-12, atol: 1e-14, label: `w after step ${t}` });
    assert.equal(step.step, t);
  }
  const st = step.state();
  assertClose(st.adamM, m, { rtol: 1e-12, label: "first moments" });
  assertClose(st.adamV, v, { rtol: 1e-12, label: "second moments" });
  await step.release();
});

Deno.test("gradient clipping scales gradients exactly when the norm exceeds the limit", async () => {
  for (const [maxGradNorm, x] of [[0.5, [3, 4, 0, 0]], [10, [3, 4, 0, 0]]] as const) {
    const store = new ParameterStore(new SeededRng(2));
    const step = await createTrainingStep((g) => {
      const w = g.parameter("w", [4], { init: fromValues([0, 0, 0, 0]) });
      const xi = g.input("x", [4]);
      return { loss: sum(mul(w, xi)) }; // gradient = x, norm 5
    }, { parameters: store, dtype: "float64", maxGradNorm });
    // With m = v = 0 Adam's first step moves each coordinate by lr * g / (|g| + eps').
    // Instead read the clipped gradient from the first moment: m1 = 0.1 * clipped g.
    const r = await step.run({ x: { data: Float64Array.from(x), dims: [4] } }, {
      learningRate: 1e-3,
    });
    assertClose([r.gradNorm], [5], { rtol: 1e-12, label: "norm before clipping" });
    const coef = Math.min(1, maxGradNorm / (5 + 1e-6));
    assertClose(step.state().adamM, x.map((xi) => 0.1 * xi * coef), {
      rtol: 1e-12,
      label: "clipped",
    });
    await step.release();
  }
});

Deno.test("the update gate keeps parameters and Adam state unchanged when false", async () => {
  const store = new ParameterStore(new SeededRng(3));
  const step = await createTrainingStep((g) => {
    const w = g.parameter("w", [2], { init: fromValues([1, 2]) });
    const x = g.input("x", [2]);
    const loss = sum(mul(w, x));
    return { loss, gate: greater(sum(x), 0), metrics: { sum_x: sum(x) } };
  }, { parameters: store, dtype: "float64" });
  const skipped = await step.run({ x: { data: Float64Array.of(-1, -2), dims: [2] } }, {
    learningRate: 0.1,
  });
  assert.equal(skipped.applied, false);
  assert.equal(skipped.metrics.sum_x, -3);
  assert.deepEqual([...step.parameters], [1, 2]);
  assert.deepEqual([...step.state().adamM], [0, 0]);
  assert.equal(step.step, 0);
  const done = await step.run({ x: { data: Float64Array.of(1, 2), dims: [2] } }, {
    learningRate: 0.1,
  });
  assert.equal(done.applied, true);
  assert.equal(step.step, 1);
  // First Adam step moves each weight by lr * sign(g) (up to eps).
  assertClose(step.parameters, [0.9, 1.9], { rtol: 1e-6 });
  await step.release();
});

Deno.test("a loss reaching parameters through a comparison is a clear build error", async () => {
  await assert.rejects(
    () =>
      createTrainingStep((g) => {
        const w = g.parameter("w", [2], { init: fromValues([1, 2]) });
        return { loss: sum(mul(sign(w), w)) };
      }, { parameters: new ParameterStore() }),
    (e: unknown) => e instanceof NonDifferentiableError && /Sign/.test(e.message),
  );
});

Deno.test("linear regression trained with the engine reaches the closed-form least-squares solution", async () => {
  const rng = new SeededRng(11);
  const n = 256;
  const trueW = [1.5, -2, 0.5];
  const xs = new Float32Array(n * 3);
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let y = 0.7;
    for (let j = 0; j < 3; j++) {
      xs[i * 3 + j] = rng.uniformRange(-1, 1);
      y += trueW[j] * xs[i * 3 + j];
    }
    ys[i] = y + 0.1 * rng.normal();
  }
  // Closed form: solve normal equations for [w, b] in float64.
  const a = Array.from({ length: 4 }, () => new Float64Array(5));
  for (let i = 0; i < n; i++) {
    const row = [xs[i * 3], xs[i * 3 + 1], xs[i * 3 + 2], 1];
    for (let r = 0; r < 4; r++) {
      for (let c = 0; c < 4; c++) a[r][c] += row[r] * row[c];
      a[r][4] += row[r] * ys[i];
    }
  }
  for (let c = 0; c < 4; c++) {
    for (let r = c + 1; r < 4; r++) {
      const f = a[r][c] / a[c][c];
      for (let k = c; k < 5; k++) a[r][k] -= f * a[c][k];
    }
  }
  const sol = new Array(4).fill(0);
  for (let r = 3; r >= 0; r--) {
    let s = a[r][4];
    for (let k = r + 1; k < 4; k++) s -= a[r][k] * sol[k];
    sol[r] = s / a[r][r];
  }
  const store = new ParameterStore(new SeededRng(5));
  const step = await createTrainingStep((g) => {
    const x = g.input("x", ["batch", 3]);
    const y = g.input("y", ["batch", 1]);
    return { loss: mean(square(sub(linear(x, { name: "fc", outFeatures: 1 }), y))) };
  }, { parameters: store });
  for (let epoch = 0; epoch < 1500; epoch++) {
    const lr = epoch < 1000 ? 0.02 : 0.002;
    await step.run({ x: { data: xs, dims: [n, 3] }, y: { data: ys, dims: [n, 1] } }, {
      learningRate: lr,
    });
  }
  step.copyTo(store);
  assertClose(store.values("fc.weight"), sol.slice(0, 3), {
    rtol: 1e-3,
    atol: 1e-3,
    label: "weight",
  });
  assertClose(store.values("fc.bias"), [sol[3]], { rtol: 1e-3, atol: 1e-3, label: "bias" });
  await step.release();
});

Deno.test("a two-layer classifier learns XOR-like quadrants to 100% accuracy", async () => {
  const rng = new SeededRng(21);
  const n = 200;
  const xs = new Float32Array(n * 2);
  const onehot = new Float32Array(n * 2);
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = rng.uniformRange(-1, 1);
    const b = rng.uniformRange(-1, 1);
    xs[i * 2] = a;
    xs[i * 2 + 1] = b;
    const label = a * b > 0 ? 1 : 0;
    labels.push(label);
    onehot[i * 2 + label] = 1;
  }
  const store = new ParameterStore(new SeededRng(8));
  const step = await createTrainingStep((g) => {
    const x = g.input("x", ["batch", 2]);
    const y = g.input("y", ["batch", 2]);
    const h = relu(linear(x, { name: "net.0", outFeatures: 32 }));
    const logits = linear(h, { name: "net.2", outFeatures: 2 });
    const nll = mul(reduceSum(mul(logSoftmax(logits), y), { axes: [1] }), -1);
    return { loss: mean(nll) };
  }, { parameters: store });
  let last = Infinity;
  for (let it = 0; it < 400; it++) {
    last = (await step.run({ x: { data: xs, dims: [n, 2] }, y: { data: onehot, dims: [n, 2] } }, {
      learningRate: 0.02,
    })).loss;
  }
  assert.ok(last < 0.1, `final cross-entropy ${last}`);
  // Accuracy with the trained weights, computed independently in JS.
  step.copyTo(store);
  const w0 = store.values("net.0.weight");
  const b0 = store.values("net.0.bias");
  const w2 = store.values("net.2.weight");
  const b2 = store.values("net.2.bias");
  let correct = 0;
  for (let i = 0; i < n; i++) {
    const h = Array.from(
      { length: 32 },
      (_, j) => Math.max(0, w0[j * 2] * xs[i * 2] + w0[j * 2 + 1] * xs[i * 2 + 1] + b0[j]),
    );
    const z = [0, 1].map((k) => h.reduce((a, hj, j) => a + hj * w2[k * 32 + j], b2[k]));
    if ((z[1] > z[0] ? 1 : 0) === labels[i]) correct++;
  }
  assert.ok(correct / n >= 0.97, `accuracy ${correct / n}`);
  await step.release();
});
