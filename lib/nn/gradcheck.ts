/**
 * Gradient check: compares the autodiff gradients of a graph with central finite
 * differences computed by running the same model through ONNX Runtime.
 *
 * The checked scalar is `sum(output * c)` for a fixed random cotangent `c`, so
 * every output element contributes. Each checked element x_i is perturbed by
 * ±h and the derivative estimated as (f(x + h e_i) - f(x - h e_i)) / 2h.
 *
 * @module
 */
import { SeededRng } from "../rng/mod.ts";
import { gradients } from "./autodiff.ts";
import { emitModel } from "./emit.ts";
import { type FloatType, Graph, type Tensor } from "./graph.ts";
import { mul } from "./ops/elementwise.ts";
import { sum } from "./ops/reduce.ts";
import { ParameterStore } from "./parameters.ts";
import { ort, Session } from "./session.ts";
import { formatShape } from "./shape.ts";

/** What a gradient-check build function returns. */
export interface GradCheckTarget {
  /** Output to differentiate (any shape). */
  output: Tensor;
  /** Inputs or parameters to check, by display name. Must be graph inputs or parameters. */
  wrt: Record<string, Tensor>;
}

/** Feed for one graph input: values and concrete shape. */
export interface GradCheckFeed {
  /** Values, row-major. */
  data: ArrayLike<number>;
  /** Concrete shape (symbolic dims resolved). */
  shape: readonly number[];
}

/** Options of {@linkcode checkGradients}. */
export interface GradCheckOptions {
  /** Float type of the graph. @default "float64" */
  dtype?: FloatType;
  /** Train mode graph. @default false */
  training?: boolean;
  /** Finite-difference step. @default 1e-6 for float64, 1e-2 for float32 */
  h?: number;
  /** Relative tolerance. @default 1e-6 for float64, 2e-2 for float32 */
  rtol?: number;
  /** Absolute tolerance. @default 1e-8 for float64, 2e-3 for float32 */
  atol?: number;
  /** Check at most this many elements per tensor (chosen at random). @default 64 */
  maxElements?: number;
  /** Seed for the cotangent, element choice and parameter init. @default 7 */
  seed?: number;
  /** Parameter store (with the parameters the build declares). @default a new store seeded with `seed` */
  parameters?: ParameterStore;
  /** Values for dropout masks in train mode, by mask input name. @default all ones */
  masks?: Record<string, GradCheckFeed>;
}

/** One element whose analytic and numeric derivatives disagree. */
export interface GradCheckMismatch {
  /** Display name of the checked tensor. */
  tensor: string;
  /** Flat element index. */
  index: number;
  /** Autodiff value. */
  analytic: number;
  /** Central-difference value. */
  numeric: number;
}

/** Result of {@linkcode checkGradients}. */
export interface GradCheckReport {
  /** True when every checked element is within tolerance. */
  ok: boolean;
  /** Number of elements checked. */
  checked: number;
  /** Largest |analytic - numeric| seen. */
  maxAbsError: number;
  /** Largest |analytic - numeric| / max(|analytic|, |numeric|, atol) seen. */
  maxRelError: number;
  /** Elements outside tolerance (first 20). */
  mismatches: GradCheckMismatch[];
  /** Human-readable summary. */
  summary: string;
}

/**
 * Check autodiff gradients against central finite differences.
 * @param build Builds the graph to check on `g` and names the tensors to check.
 * @param feeds Values of every graph input by name.
 * @throws {RangeError} When a checked tensor is not an input or parameter, or a feed is missing.
 */
export async function checkGradients(
  build: (g: Graph) => GradCheckTarget,
  feeds: Record<string, GradCheckFeed>,
  options: GradCheckOptions = {},
): Promise<GradCheckReport> {
  const dtype = options.dtype ?? "float64";
  const f64 = dtype === "float64";
  const h = options.h ?? (f64 ? 1e-6 : 1e-2);
  const rtol = options.rtol ?? (f64 ? 1e-6 : 2e-2);
  const atol = options.atol ?? (f64 ? 1e-8 : 2e-3);
  const seed = options.seed ?? 7;
  const rng = new SeededRng(seed);
  const store = options.parameters ?? new ParameterStore(new SeededRng(seed + 1));
  const g = new Graph({ dtype, training: options.training ?? false, parameters: store });
  const { output, wrt } = build(g);
  const Arr = f64 ? Float64Array : Float32Array;
  const tensorOf = (d: ArrayLike<number>, shape: readonly number[]) =>
    new ort.Tensor(dtype, Arr.from(d), [...shape]);

  // Concrete values of every fed tensor (inputs, masks, flat params/buffers).
  const values = new Map<string, { data: Float64Array | Float32Array; shape: number[] }>();
  for (const t of g.inputs) {
    const f = feeds[t.node.leaf!.name];
    if (!f) throw new RangeError(`No feed for graph input '${t.node.leaf!.name}'`);
    values.set(t.node.leaf!.name, { data: Arr.from(f.data), shape: [...f.shape] });
  }
  for (const m of g.dropoutMasks) {
    const f = options.masks?.[m.name];
    const shape = f ? [...f.shape] : m.shape.map((d) => (typeof d === "number" ? d : -1));
    if (!f && shape.includes(-1)) {
      throw new RangeError(`Dropout mask '${m.name}' has a symbolic shape: pass options.masks`);
    }
    const size = shape.reduce((a, b) => a * b, 1);
    values.set(m.name, { data: f ? Arr.from(f.data) : new Arr(size).fill(1), shape });
  }
  if (store.parameterCount > 0) {
    values.set("params", { data: store.flatParameters(dtype), shape: [store.parameterCount] });
  }
  if (store.bufferCount > 0) {
    values.set("buffers", { data: store.flatBuffers(dtype), shape: [store.bufferCount] });
  }

  // Where each checked tensor's values live.
  const targets = Object.entries(wrt).map(([label, t]) => {
    const leaf = t.node.leaf;
    if (leaf?.kind === "input") return { label, t, feed: leaf.name, offset: 0, size: -1 };
    if (leaf?.kind === "parameter") {
      const info = store.get(leaf.name)!;
      return { label, t, feed: "params", offset: info.offset, size: info.size };
    }
    throw new RangeError(`Checked tensor '${label}' must be a graph input or a parameter`);
  });
  for (const tg of targets) {
    const v = values.get(tg.feed)!;
    if (tg.size < 0) tg.size = v.data.length;
  }

  // First run: output shape, to draw the cotangent.
  const fwd = await Session.create(emitModel(g, { output }));
  const feedAll = (): Record<string, ort.Tensor> => {
    const out: Record<string, ort.Tensor> = {};
    for (const name of fwd.inputNames) {
      const v = values.get(name);
      if (v) out[name] = tensorOf(v.data, v.shape);
    }
    return out;
  };
  const y0 = (await fwd.run(feedAll())).output;
  await fwd.release();
  const cot = new Float64Array(y0.data.length);
  for (let i = 0; i < cot.length; i++) cot[i] = rng.uniformRange(-1, 1);
  const cotangent = g.input("gradcheck_cotangent", output.shape);
  values.set("gradcheck_cotangent", { data: Arr.from(cot), shape: [...y0.dims] });
  const loss = sum(mul(output, cotangent));
  const grads = gradients(loss, targets.map((tg) => tg.t));
  const outputs: Record<string, Tensor> = { loss };
  grads.forEach((gr, i) => (outputs[`grad_${i}`] = gr));
  const model = emitModel(g, outputs);
  const session = await Session.create(model);
  const feedFor = (): Record<string, ort.Tensor> => {
    const out: Record<string, ort.Tensor> = {};
    for (const spec of model.inputs) {
      const v = values.get(spec.name);
      if (!v) throw new RangeError(`No value for model input '${spec.name}'`);
      out[spec.name] = tensorOf(v.data, v.shape);
    }
    return out;
  };
  const analytic = await session.run(feedFor());
  const lossAt = async (): Promise<number> =>
    Number((await session.run(feedFor(), ["loss"])).loss.data[0]);

  let checked = 0;
  let maxAbs = 0;
  let maxRel = 0;
  const mismatches: GradCheckMismatch[] = [];
  const maxElements = options.maxElements ?? 64;
  for (let k = 0; k < targets.length; k++) {
    const tg = targets[k];
    const grad = analytic[`grad_${k}`].data as Float64Array | Float32Array;
    if (grad.length !== tg.size) {
      throw new RangeError(
        `Gradient of '${tg.label}' has ${grad.length} elements, expected ${tg.size} (${
          formatShape(tg.t.shape)
        })`,
      );
    }
    const indices = [...Array(tg.size).keys()];
    if (indices.length > maxElements) rng.shuffle(indices);
    const data = values.get(tg.feed)!.data;
    for (const i of indices.slice(0, maxElements)) {
      const at = tg.offset + i;
      const orig = data[at];
      data[at] = orig + h;
      const fp = await lossAt();
      data[at] = orig - h;
      const fm = await lossAt();
      data[at] = orig;
      const numeric = (fp - fm) / (2 * h);
      const a = grad[i];
      const err = Math.abs(a - numeric);
      const rel = err / Math.max(Math.abs(a), Math.abs(numeric), atol);
      maxAbs = Math.max(maxAbs, err);
      maxRel = Math.max(maxRel, rel);
      checked++;
      if (!(err <= atol + rtol * Math.max(Math.abs(a), Math.abs(numeric)))) {
        if (mismatches.length < 20) {
          mismatches.push({ tensor: tg.label, index: i, analytic: a, numeric });
        }
      }
    }
  }
  await session.release();
  const ok = mismatches.length === 0;
  const summary = `${ok ? "OK" : "MISMATCH"}: ${checked} elements, max abs error ${
    maxAbs.toExponential(2)
  }, max rel error ${maxRel.toExponential(2)}${
    ok
      ? ""
      : "; first: " + mismatches.slice(0, 5).map((m) =>
        `${m.tensor}[${m.index}] analytic ${m.analytic} numeric ${m.numeric}`
      ).join("; ")
  }`;
  return { ok, checked, maxAbsError: maxAbs, maxRelError: maxRel, mismatches, summary };
}
