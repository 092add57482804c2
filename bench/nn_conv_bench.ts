/**
 * Conv1d formulations per layer shape: forward plus gradients (input gradient
 * where a previous layer needs it, weight gradient always) at batch 64, one
 * thread, for the convolution shapes of dynamics_original and lightweight_cnn.
 *
 * Usage: deno task bench:nn-conv
 *
 * @module
 */
import { SeededRng } from "../lib/rng/mod.ts";
import {
  conv1dMap,
  emitModel,
  gradients,
  Graph,
  mul,
  ParameterStore,
  Session,
  sum,
  type Tensor,
} from "../lib/nn/mod.ts";
import * as ort from "onnxruntime-node";

const layers = [
  { name: "dynamics_original 3->64 k3 s2 L272", c: 3, o: 64, l: 272, k: 3, s: 2, p: 1, dx: false },
  { name: "dynamics_original 64->16 k3 s2 L136", c: 64, o: 16, l: 136, k: 3, s: 2, p: 1, dx: true },
  { name: "dynamics_original 16->16 k3 s2 L68", c: 16, o: 16, l: 68, k: 3, s: 2, p: 1, dx: true },
  { name: "lightweight_cnn 3->32 k5 s1 L272", c: 3, o: 32, l: 272, k: 5, s: 1, p: 2, dx: false },
  { name: "lightweight_cnn 32->16 k3 s1 L136", c: 32, o: 16, l: 136, k: 3, s: 1, p: 1, dx: true },
];
const variants = ["ncl-phase", "nlc"] as const;
const batch = 64;
const rng = new SeededRng(1);

async function time(layer: typeof layers[number], variant: typeof variants[number]) {
  const g = new Graph({ parameters: new ParameterStore(rng) });
  const nlc = variant === "nlc";
  const xShape = nlc ? [batch, layer.l, layer.c] : [batch, layer.c, layer.l];
  const x = g.input("x", ["batch", ...xShape.slice(1)]);
  const w = g.input("w", [layer.o, layer.c, layer.k]);
  const y = conv1dMap(x, w, {
    stride: layer.s,
    padding: layer.p,
    layout: nlc ? "nlc" : "ncl",
  });
  const cot = g.input("cot", y.shape);
  const grads = gradients(sum(mul(y, cot)), layer.dx ? [x, w] : [w]);
  // scalar outputs, so no large copy back to JS is timed
  const outputs: Record<string, Tensor> = { y: sum(y) };
  grads.forEach((t, i) => (outputs[`g${i}`] = sum(t)));
  const session = await Session.create(emitModel(g, outputs));
  const rand = (dims: number[]) =>
    new ort.Tensor(
      "float32",
      Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform()),
      dims,
    );
  const feeds = {
    x: rand(xShape),
    w: rand([layer.o, layer.c, layer.k]),
    cot: rand(y.shape.map((d) => (d === "batch" ? batch : d as number))),
  };
  for (let i = 0; i < 10; i++) await session.run(feeds);
  const times: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < 20; i++) await session.run(feeds);
    times.push((performance.now() - t0) / 20);
  }
  await session.release();
  return times.sort((a, b) => a - b)[3];
}

console.log(`Conv1d forward + gradients, batch ${batch}, one thread, ms per call (median of 7)`);
console.log(`${"layer".padEnd(38)} ${variants.map((v) => v.padStart(18)).join("")}`);
for (const layer of layers) {
  const cells: string[] = [];
  for (const v of variants) cells.push((await time(layer, v)).toFixed(3).padStart(18));
  console.log(`${layer.name.padEnd(38)} ${cells.join("")}`);
}
