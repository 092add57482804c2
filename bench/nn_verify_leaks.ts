/**
 * Leak check for the tensor engine: 100,000 inference calls and 10,000 training
 * steps on reused sessions, reporting resident memory (RSS) along the way. Fails
 * (exit code 1) when RSS grows by more than the allowance after warm-up, which
 * would mean native tensors or JS buffers are not released per call.
 *
 * Usage: deno task verify:nn-leak [--calls N] [--steps N]
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SeededRng } from "../lib/rng/mod.ts";
import { createInferenceModel, createTrainingStep, ParameterStore } from "../lib/nn/mod.ts";
import { ppoLoss } from "../lib/rl/ppo_loss.ts";
import { buildPolicyNetwork } from "../lib/rl/policy_network.ts";

const { values: args } = parseArgs({
  options: {
    calls: { type: "string", default: "100000" },
    steps: { type: "string", default: "10000" },
    "allowance-mb": { type: "string", default: "16" },
  },
});
const calls = Number(args.calls);
const steps = Number(args.steps);
const allowance = Number(args["allowance-mb"]) * 1024 * 1024;
const mb = (b: number) => (b / 1024 / 1024).toFixed(1);
let failed = false;

function check(label: string, samples: number[]): void {
  const growth = samples[samples.length - 1] - samples[0];
  const ok = growth <= allowance;
  failed ||= !ok;
  console.log(
    `${label}: RSS ${samples.map(mb).join(" -> ")} MB, growth after warm-up ${mb(growth)} MB ` +
      `(allowance ${mb(allowance)} MB): ${ok ? "OK" : "LEAK"}`,
  );
}

// Inference, dynamics_original, batch 1, as in a rollout loop.
{
  const store = new ParameterStore(new SeededRng(1));
  const model = await createInferenceModel((g) => {
    const p = buildPolicyNetwork(g, { preset: "dynamics_original" });
    return { action_mean: p.actionMean, value: p.value };
  }, { parameters: store });
  const rays = new Float32Array(816).fill(0.5);
  const drive = new Float32Array(15).fill(0.1);
  const samples: number[] = [];
  const every = Math.max(1, Math.floor(calls / 5));
  for (let i = 0; i < calls + 1000; i++) {
    await model.run({
      rays: { data: rays, dims: [1, 3, 272] },
      drive_state: { data: drive, dims: [1, 3, 5] },
    });
    if (i >= 1000 && (i - 1000) % every === 0) samples.push(Deno.memoryUsage().rss);
  }
  samples.push(Deno.memoryUsage().rss);
  await model.release();
  check(`inference x ${calls}`, samples);
}

// Training steps, mlp_small, batch 64 (dropout masks, Adam state ping-pong).
{
  const store = new ParameterStore(new SeededRng(2));
  const step = await createTrainingStep(
    (g) => ppoLoss(g, buildPolicyNetwork(g, { preset: "mlp_small" })),
    {
      parameters: store,
      maxGradNorm: 0.5,
      adam: { eps: 1e-5 },
    },
  );
  const rng = new SeededRng(3);
  const f = (dims: number[]) => ({
    data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.uniform()),
    dims,
  });
  const feeds = {
    rays: f([64, 3, 272]),
    drive_state: f([64, 3, 5]),
    actions: f([64, 2]),
    old_log_prob: f([64]),
    advantages: f([64]),
    returns: f([64]),
  };
  const samples: number[] = [];
  const every = Math.max(1, Math.floor(steps / 5));
  for (let i = 0; i < steps + 200; i++) {
    await step.run(feeds, { learningRate: 1e-5 });
    if (i >= 200 && (i - 200) % every === 0) samples.push(Deno.memoryUsage().rss);
  }
  samples.push(Deno.memoryUsage().rss);
  await step.release();
  check(`training steps x ${steps}`, samples);
}

if (failed) Deno.exit(1);
