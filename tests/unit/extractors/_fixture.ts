/**
 * Shared helpers of the extractor tests: the PyTorch fixture
 * (tests/fixtures/extractors/torch_extractors.json, made by
 * make_torch_extractors.py), its closed-form weights and inputs, and a runner
 * for policy graphs in either mode.
 */
import * as ort from "onnxruntime-node";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  emitModel,
  type FloatType,
  Graph,
  ParameterStore,
  Session,
  type Tensor,
} from "../../../lib/nn/mod.ts";
import type { PresetName } from "../../../lib/config/presets.ts";
import { buildPolicyNetwork, type PolicyGraph } from "../../../lib/rl/policy_network.ts";
import type { ConvFormulation } from "../../../lib/extractors/mod.ts";

/** One fixture case: a preset with overrides, as built by PyTorch. */
export interface TorchCase {
  case: string;
  preset: PresetName;
  overrides: Record<string, unknown>;
  features_dim: number;
  total_parameters: number;
  by_module: Record<string, number>;
  by_extractor_module: Record<string, number>;
  parameters: [string, number[]][];
  buffers: [string, number[]][];
  eval: { features: number[]; action_mean: number[]; value: number[] };
  train?: {
    features: number[];
    action_mean: number[];
    value: number[];
    buffers: Record<string, number[]>;
  };
}

/** The fixture file. */
export interface TorchFixture {
  torch: string;
  batch: number;
  input: { rays: number[]; drive_state: number[] };
  cases: TorchCase[];
}

/** The parsed fixture. */
export const FIXTURE: TorchFixture = JSON.parse(
  await Deno.readTextFile(
    new URL("../../fixtures/extractors/torch_extractors.json", import.meta.url),
  ),
);

/** The fixture case of that name. */
export function torchCase(name: string): TorchCase {
  const c = FIXTURE.cases.find((x) => x.case === name);
  if (!c) throw new RangeError(`No fixture case ${name}`);
  return c;
}

/** A phase in [0, 2 pi) from the characters of a name (make_torch_extractors.py name_phase). */
function namePhase(name: string): number {
  let s = 0;
  for (let j = 0; j < name.length; j++) s += (j + 1) * name.charCodeAt(j);
  return (s % 997) * (2 * Math.PI / 997);
}

/** The fixture's closed-form values of one tensor (make_torch_extractors.py weight_values). */
export function weightValues(name: string, shape: readonly number[]): number[] {
  const n = shape.reduce((a, b) => a * b, 1);
  const phase = namePhase(name);
  const s = Array.from({ length: n }, (_, i) => Math.sin(0.37 * i + phase));
  if (name.endsWith("running_var")) return s.map((v) => 0.6 + 0.4 * v * v);
  if (shape.length >= 2) {
    const fanIn = n / shape[0];
    return s.map((v) => v * 1.5 / Math.sqrt(fanIn));
  }
  return s.map((v) => 0.5 * v);
}

/** Overwrite every parameter and buffer of `store` with the closed-form values. */
export function setFixtureWeights(store: ParameterStore): void {
  for (const info of [...store.parameters, ...store.buffers]) {
    store.setValues(info.name, weightValues(info.name, info.shape));
  }
}

/** Deterministic inputs of shape [batch, 3, 272] and [batch, 3, 5] (any batch). */
export function observationFeeds(
  batch: number,
  seed = 3,
): { rays: Float64Array; drive_state: Float64Array } {
  const rng = new SeededRng(seed);
  return {
    rays: Float64Array.from({ length: batch * 816 }, () => rng.uniform()),
    drive_state: Float64Array.from({ length: batch * 15 }, () => rng.uniformRange(-1, 1)),
  };
}

/** What {@linkcode runPolicy} returns. */
export interface PolicyRun {
  features: Float64Array;
  action_mean: Float64Array;
  value: Float64Array;
  /** New buffer values by name (train mode). */
  buffers: Record<string, Float64Array>;
  /** Dropout masks the train-mode graph declared. */
  masks: { name: string; shape: number[]; p: number }[];
}

/** Options of {@linkcode runPolicy}. */
export interface RunPolicyOptions {
  preset: PresetName;
  parameters?: Record<string, unknown>;
  store: ParameterStore;
  dtype?: FloatType;
  training?: boolean;
  conv?: ConvFormulation;
  /** Mask values by mask name; missing masks are all ones (nothing dropped). */
  masks?: Record<string, ArrayLike<number>>;
}

/** Build a policy graph and run it once on the given observations. */
export async function runPolicy(
  feeds: { rays: ArrayLike<number>; drive_state: ArrayLike<number> },
  options: RunPolicyOptions,
): Promise<PolicyRun> {
  const dtype = options.dtype ?? "float64";
  const g = new Graph({ dtype, training: options.training ?? false, parameters: options.store });
  const p: PolicyGraph = buildPolicyNetwork(g, {
    preset: options.preset,
    parameters: options.parameters,
    conv: options.conv,
  });
  const outputs: Record<string, Tensor> = {
    features: p.features,
    action_mean: p.actionMean,
    value: p.value,
  };
  const bufferNames = [...g.bufferUpdates.keys()];
  bufferNames.forEach((name, i) => (outputs[`buffer_${i}`] = g.bufferUpdates.get(name)!));
  const model = emitModel(g, outputs);
  const session = await Session.create(model);
  const Arr = dtype === "float64" ? Float64Array : Float32Array;
  const batch = feeds.rays.length / 816;
  const store = options.store;
  const values: Record<string, ort.Tensor> = {
    rays: new ort.Tensor(dtype, Arr.from(feeds.rays), [batch, 3, 272]),
    drive_state: new ort.Tensor(dtype, Arr.from(feeds.drive_state), [batch, 3, 5]),
    params: new ort.Tensor(dtype, store.flatParameters(dtype), [store.parameterCount]),
  };
  if (store.bufferCount > 0) {
    values.buffers = new ort.Tensor(dtype, store.flatBuffers(dtype), [store.bufferCount]);
  }
  const masks = g.dropoutMasks.map((m) => ({
    name: m.name,
    shape: m.shape.map((d) => (d === "batch" ? batch : d as number)),
    p: m.p,
  }));
  for (const m of masks) {
    const n = m.shape.reduce((a, b) => a * b, 1);
    const given = options.masks?.[m.name];
    values[m.name] = new ort.Tensor(dtype, given ? Arr.from(given) : new Arr(n).fill(1), m.shape);
  }
  const feedsUsed: Record<string, ort.Tensor> = {};
  for (const spec of model.inputs) feedsUsed[spec.name] = values[spec.name];
  const r = await session.run(feedsUsed);
  await session.release();
  const f64 = (t: ort.Tensor) => Float64Array.from(t.data as Float64Array);
  const buffers: Record<string, Float64Array> = {};
  bufferNames.forEach((name, i) => (buffers[name] = f64(r[`buffer_${i}`])));
  return {
    features: f64(r.features),
    action_mean: f64(r.action_mean),
    value: f64(r.value),
    buffers,
    masks,
  };
}

/** A fresh store seeded with `seed`. */
export function newStore(seed = 1): ParameterStore {
  return new ParameterStore(new SeededRng(seed));
}
