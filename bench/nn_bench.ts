/**
 * Tensor-engine benchmark: milliseconds per PPO minibatch update (batch 64,
 * forward + backward + gradient clipping + Adam in one ONNX Runtime call, dropout
 * masks generated in JS each update) and per inference call at batch 1 and 8, one
 * intra-op thread, for the policy networks of lib/rl/policy_network.ts (every
 * preset by default).
 *
 * Usage: deno task bench:nn [--json] [--profile] [--rounds N] [--threads N]
 *        [--preset all|a,b] [--conv auto|nlc|ncl] [--round-ms N]
 *
 * Each round repeats the call until it has taken at least `--round-ms` (so slow
 * presets such as attention_large run fewer calls per round); figures are the
 * median over rounds of the mean time per call.
 *
 * `--profile` turns on ONNX Runtime's profiler for the update sessions (files in
 * tmp/) and prints kernel time per op type and the slowest nodes; profiling adds
 * per-node overhead, so take the timings from a run without it.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { SeededRng } from "../lib/rng/mod.ts";
import {
  countFlops,
  createInferenceModel,
  createTrainingStep,
  DropoutMaskGenerator,
  ParameterStore,
  type TensorFeed,
} from "../lib/nn/mod.ts";
import { bindShape } from "../lib/nn/shape.ts";
import { ppoLoss } from "../lib/rl/ppo_loss.ts";
import { buildPolicyNetwork } from "../lib/rl/policy_network.ts";
import { isPresetName, PRESET_NAMES, type PresetName } from "../lib/config/presets.ts";
import type { ConvFormulation } from "../lib/extractors/mod.ts";

/** One benchmark result row (the `--json` output is an array of these). */
export interface BenchRow {
  preset: string;
  batch: number;
  ms_per_update?: number;
  /** Building the graph, emitting it and creating its ONNX Runtime session. */
  ms_session_create?: number;
  ms_per_inference?: number;
  ms_per_sample?: number;
  ms_dropout_masks?: number;
  flops_per_update?: number;
  gflop_per_s?: number;
  onnx_nodes?: number;
}

const { values: args } = parseArgs({
  options: {
    json: { type: "boolean", default: false },
    profile: { type: "boolean", default: false },
    rounds: { type: "string", default: "7" },
    threads: { type: "string", default: "1" },
    preset: { type: "string", default: "all" },
    conv: { type: "string", default: "auto" },
    "round-ms": { type: "string", default: "250" },
  },
});
const rounds = Number(args.rounds);
const threads = Number(args.threads);
const roundMs = Number(args["round-ms"]);
const presets: PresetName[] = args.preset === "all"
  ? [...PRESET_NAMES]
  : args.preset!.split(",").map((name) => {
    if (!isPresetName(name)) {
      console.error(`Unknown preset "${name}" (known: ${PRESET_NAMES.join(", ")}, all)`);
      Deno.exit(2);
    }
    return name;
  });
const CONVS = ["auto", "nlc", "ncl"];
if (!CONVS.includes(args.conv!)) {
  console.error(`Unknown --conv "${args.conv}" (known: ${CONVS.join(", ")})`);
  Deno.exit(2);
}
const conv = args.conv as ConvFormulation;

/**
 * Median over `rounds` of the mean time per call, each round repeating `call` until
 * `roundMs` have passed; `warmup` calls first.
 */
async function timeCalls(call: () => Promise<unknown>, warmup: number): Promise<number> {
  for (let i = 0; i < warmup; i++) await call();
  const times: number[] = [];
  for (let r = 0; r < rounds; r++) {
    let n = 0;
    const t0 = performance.now();
    let elapsed = 0;
    while (n === 0 || elapsed < roundMs) {
      await call();
      n++;
      elapsed = performance.now() - t0;
    }
    times.push(elapsed / n);
  }
  return median(times);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

function randomFeed(rng: SeededRng, dims: number[], lo = 0, hi = 1): TensorFeed {
  const n = dims.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from({ length: n }, () => rng.uniformRange(lo, hi)), dims };
}

async function benchUpdate(preset: PresetName): Promise<BenchRow> {
  const batch = 64;
  const store = new ParameterStore(new SeededRng(42));
  const created = performance.now();
  const step = await createTrainingStep(
    (g) => ppoLoss(g, buildPolicyNetwork(g, { preset, conv })),
    {
      parameters: store,
      maxGradNorm: 0.5,
      adam: { eps: 1e-5 },
      session: {
        threads,
        profileFilePrefix: args.profile ? `tmp/nn_bench_${preset}` : undefined,
      },
    },
  );
  const sessionMs = performance.now() - created;
  const rng = new SeededRng(7);
  const feeds = {
    rays: randomFeed(rng, [batch, 3, 272]),
    drive_state: randomFeed(rng, [batch, 3, 5], -1, 1),
    actions: randomFeed(rng, [batch, 2], -1, 1),
    old_log_prob: randomFeed(rng, [batch], -3, -1),
    advantages: randomFeed(rng, [batch], -1, 1),
    returns: randomFeed(rng, [batch], -1, 1),
  };
  const ms = await timeCalls(() => step.run(feeds, { learningRate: 3e-4 }), 3);
  // Dropout-mask generation alone (it is part of every update above).
  const masks = new DropoutMaskGenerator(new SeededRng(1));
  const buffers = step.graph.dropoutMasks.map((m) => ({
    p: m.p,
    buf: new Float32Array(bindShape(m.shape, { batch }).reduce((a, b) => a * b, 1)),
  }));
  // deno-lint-ignore require-await
  const maskMs = await timeCalls(async () => {
    for (const b of buffers) masks.fill(b.buf, b.p);
  }, 1);
  await step.release();
  if (args.profile) {
    profiles.push(`${preset} update:\n${await summarizeProfile(`tmp/nn_bench_${preset}`)}`);
  }
  const flops = countFlops(step.model.irNodes, { batch });
  return {
    preset,
    batch,
    ms_per_update: round(ms),
    ms_session_create: round(sessionMs, 1),
    ms_dropout_masks: round(maskMs),
    flops_per_update: flops,
    gflop_per_s: round(flops / (ms * 1e6), 2),
    onnx_nodes: step.model.nodeCount,
  };
}

/** Kernel time per op type and per node from an ONNX Runtime profile file. */
async function summarizeProfile(prefix: string): Promise<string> {
  const dir = "tmp";
  const name = prefix.slice(dir.length + 1);
  const files = [...Deno.readDirSync(dir)].filter((e) => e.name.startsWith(name)).map((e) => e.name)
    .sort();
  const events = JSON.parse(await Deno.readTextFile(`${dir}/${files[files.length - 1]}`));
  let runs = 0;
  const byOp = new Map<string, number>();
  const byNode = new Map<string, number>();
  let total = 0;
  for (const e of events) {
    if (e.cat === "Session" && e.name === "model_run") runs++;
    if (e.cat !== "Node" || !String(e.name).endsWith("_kernel_time")) continue;
    const op = e.args?.op_name ?? "?";
    byOp.set(op, (byOp.get(op) ?? 0) + e.dur);
    const node = String(e.name).replace(/_kernel_time$/, "");
    byNode.set(node, (byNode.get(node) ?? 0) + e.dur);
    total += e.dur;
  }
  const ms = (us: number) => (us / runs / 1000).toFixed(3);
  const lines = [`  kernel time per update ${ms(total)} ms over ${runs} runs; by op type:`];
  for (const [op, d] of [...byOp].sort((a, b) => b[1] - a[1]).slice(0, 12)) {
    lines.push(`    ${op.padEnd(14)} ${ms(d)} ms  ${(100 * d / total).toFixed(1)}%`);
  }
  lines.push("  slowest nodes:");
  for (const [node, d] of [...byNode].sort((a, b) => b[1] - a[1]).slice(0, 8)) {
    lines.push(`    ${ms(d)} ms  ${node}`);
  }
  return lines.join("\n");
}

async function benchInference(preset: PresetName, batch: number): Promise<BenchRow> {
  const store = new ParameterStore(new SeededRng(42));
  const created = performance.now();
  const model = await createInferenceModel((g) => {
    const p = buildPolicyNetwork(g, { preset, conv });
    return { action_mean: p.actionMean, value: p.value, log_std: p.logStd };
  }, { parameters: store, session: { threads } });
  const sessionMs = performance.now() - created;
  const rng = new SeededRng(9);
  const rays = randomFeed(rng, [batch, 3, 272]);
  const drive = randomFeed(rng, [batch, 3, 5], -1, 1);
  // a fresh feed object per call, as a rollout loop does
  const ms = await timeCalls(() =>
    model.run({
      rays: { data: rays.data, dims: rays.dims },
      drive_state: { data: drive.data, dims: drive.dims },
    }), 50);
  await model.release();
  return {
    preset,
    batch,
    ms_per_inference: round(ms, 4),
    ms_per_sample: round(ms / batch, 4),
    ms_session_create: round(sessionMs, 1),
  };
}

function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

const profiles: string[] = [];
if (args.profile) await Deno.mkdir("tmp", { recursive: true });
const rows: BenchRow[] = [];
for (const preset of presets) {
  rows.push(await benchUpdate(preset));
  for (const batch of [1, 8]) rows.push(await benchInference(preset, batch));
}
if (args.json) {
  console.log(JSON.stringify(rows, null, 2));
} else {
  console.log(
    `tensor engine, ${threads} intra-op thread(s), conv ${conv}, median of ${rounds} rounds`,
  );
  for (const r of rows) {
    if (r.ms_per_update !== undefined) {
      console.log(
        `${r.preset.padEnd(18)} update batch ${r.batch}: ${r.ms_per_update.toFixed(2)} ms ` +
          `(dropout masks ${r.ms_dropout_masks!.toFixed(2)} ms), ${
            (r.flops_per_update! / 1e6).toFixed(1)
          } MFLOP, ` +
          `${r.gflop_per_s!.toFixed(1)} GFLOP/s, ${r.onnx_nodes} ONNX nodes, ` +
          `session created in ${r.ms_session_create!.toFixed(0)} ms`,
      );
    } else {
      console.log(
        `${r.preset.padEnd(18)} inference batch ${r.batch}: ${
          r.ms_per_inference!.toFixed(3)
        } ms per call ` +
          `(${r.ms_per_sample!.toFixed(4)} ms per sample), session created in ${
            r.ms_session_create!.toFixed(0)
          } ms`,
      );
    }
  }
  for (const p of profiles) console.log(p);
}
