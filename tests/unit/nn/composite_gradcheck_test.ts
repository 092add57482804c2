/**
 * Full gradient checks (float64, central differences) of composite networks
 * built from the layers: MLP, Conv1d stack (both layouts), multi-head
 * self-attention block, batch-norm block.
 */
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  adaptiveAvgPool1d,
  add,
  batchNorm1d,
  checkGradients,
  concat,
  conv1d,
  dropout,
  flatten,
  type Graph,
  layerNorm,
  linear,
  matmul,
  maxPool1d,
  mlp,
  mul,
  ParameterStore,
  reduceMean,
  relu,
  reshape,
  softmax,
  tanh,
  type Tensor,
  transpose,
} from "../../../lib/nn/mod.ts";
import { assertGradOk, randomFeed } from "./_helpers.ts";

const rng = new SeededRng(77);

/** All parameters of the graph's store, for `wrt`. */
function allParams(g: Graph): Record<string, Tensor> {
  return Object.fromEntries(g.stateTensors);
}

function paramsOnly(g: Graph): Record<string, Tensor> {
  return Object.fromEntries(
    [...g.stateTensors].filter(([, t]) => t.node.leaf!.kind === "parameter"),
  );
}

Deno.test("MLP (SB3 policy/value heads on shared features) passes a full gradient check", async () => {
  const report = await checkGradients(
    (g) => {
      const x = g.input("x", ["batch", 7]);
      const f = tanh(
        linear(x, { name: "features", outFeatures: 6, init: { orthogonal: Math.SQRT2 } }),
      );
      const pi = mlp(f, { name: "policy_net", sizes: [5, 5], init: { orthogonal: Math.SQRT2 } });
      const vf = mlp(f, { name: "value_net", sizes: [5, 5] });
      const a = linear(pi, { name: "action_net", outFeatures: 2, init: { orthogonal: 0.01 } });
      const v = linear(vf, { name: "value_head", outFeatures: 1 });
      return { output: concat([a, v], { axis: 1 }), wrt: { x, ...allParams(g) } };
    },
    { x: randomFeed(rng, [3, 7]) },
    { maxElements: 30 },
  );
  assertGradOk(report);
});

for (const layout of ["ncl", "nlc"] as const) {
  Deno.test(`Conv1d stack (dynamics_original style, ${layout}) with ReLU and dropout passes a gradient check`, async () => {
    const masks: Record<string, { data: number[]; shape: number[] }> = {};
    const report = await checkGradients(
      (g) => {
        const rays = g.input("rays", ["batch", 3, 16]);
        let h: Tensor = rays;
        [4, 3, 3].forEach((c, i) => {
          h = conv1d(h, {
            name: `ray_extractor.${3 * i}`,
            outChannels: c,
            kernel: 3,
            stride: 2,
            padding: 1,
            layout,
            channelsFirstInput: layout === "nlc" && i === 0,
          });
          h = dropout(relu(h), 0.3);
        });
        if (layout === "nlc") h = transpose(h, [0, 2, 1]);
        const y = tanh(linear(flatten(h), { name: "head", outFeatures: 2 }));
        return { output: y, wrt: { rays, ...allParams(g) } };
      },
      { rays: randomFeed(rng, [2, 3, 16]) },
      {
        training: true,
        maxElements: 24,
        masks: (() => {
          // masks for [2, 4, 8], [2, 3, 4], [2, 3, 2] (channels first) or transposed shapes
          const shapes = layout === "ncl"
            ? [[2, 4, 8], [2, 3, 4], [2, 3, 2]]
            : [[2, 8, 4], [2, 4, 3], [2, 2, 3]];
          shapes.forEach((shape, i) => {
            const n = shape.reduce((a, b) => a * b, 1);
            masks[`dropout_mask.${i}`] = {
              data: Array.from({ length: n }, () => (rng.uniform() < 0.3 ? 0 : 1 / 0.7)),
              shape,
            };
          });
          return masks;
        })(),
      },
    );
    assertGradOk(report);
  });
}

Deno.test("multi-head self-attention block (q/k/v/o, softmax, attention dropout, residual + LayerNorm, mean over rays) passes a gradient check", async () => {
  const batch = 2;
  const rays = 5;
  const embed = 4;
  const heads = 2;
  const d = embed / heads;
  const mask = {
    data: Array.from(
      { length: batch * heads * rays * rays },
      () => (rng.uniform() < 0.1 ? 0 : 1 / 0.9),
    ),
    shape: [batch, heads, rays, rays],
  };
  const report = await checkGradients(
    (g) => {
      const x = g.input("x", ["batch", rays, 3]);
      const e = relu(
        layerNorm(linear(x, { name: "embedding", outFeatures: embed }), { name: "embed_norm" }),
      );
      const split = (t: Tensor) => transpose(reshape(t, ["batch", rays, heads, d]), [0, 2, 1, 3]);
      const q = split(linear(e, { name: "attn.q_proj", outFeatures: embed }));
      const k = split(linear(e, { name: "attn.k_proj", outFeatures: embed }));
      const v = split(linear(e, { name: "attn.v_proj", outFeatures: embed }));
      const scores = mul(matmul(q, transpose(k, [0, 1, 3, 2])), 1 / Math.sqrt(d)); // [b, h, L, L]
      const attn = dropout(softmax(scores, { axis: -1 }), 0.1);
      const ctx = reshape(transpose(matmul(attn, v), [0, 2, 1, 3]), ["batch", rays, embed]);
      const out = linear(ctx, { name: "attn.out_proj", outFeatures: embed });
      const y = layerNorm(add(e, out), { name: "norm1" });
      return { output: reduceMean(y, { axes: [1] }), wrt: { x, ...allParams(g) } };
    },
    { x: randomFeed(rng, [batch, rays, 3]) },
    {
      training: true,
      maxElements: 20,
      masks: { "dropout_mask.0": mask },
    },
  );
  assertGradOk(report);
});

for (const training of [true, false]) {
  Deno.test(`batch-norm block (Conv1d, BatchNorm1d, ReLU, MaxPool1d, adaptive pool) passes a gradient check in ${training ? "train" : "eval"} mode`, async () => {
    const store = new ParameterStore(new SeededRng(4));
    const report = await checkGradients(
      (g) => {
        const x = g.input("x", ["batch", 2, 12]);
        let h = conv1d(x, { name: "cnn.0", outChannels: 3, kernel: 5, padding: 2 });
        h = maxPool1d(relu(batchNorm1d(h, { name: "cnn.1" })), { kernel: 2 });
        h = adaptiveAvgPool1d(h, 4);
        const y = tanh(linear(flatten(h), { name: "head", outFeatures: 2 }));
        return { output: y, wrt: { x, ...paramsOnly(g) } };
      },
      { x: randomFeed(rng, [4, 2, 12]) },
      { training, parameters: store, maxElements: 24 },
    );
    assertGradOk(report);
  });
}
