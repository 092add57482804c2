/**
 * ONNX export of the inference part of a network: eval mode (dropout off, batch
 * norm with running statistics), current parameter values baked in as
 * initializers, named inputs and outputs. The file loads in any ONNX Runtime
 * (IR version 8, default-domain opset 17, standard ops only).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import { writeFileAtomic } from "../internal/atomic_write.ts";
import { emitModel, type EmittedModel } from "./emit.ts";
import { Graph, type Tensor } from "./graph.ts";
import type { ParameterStore } from "./parameters.ts";

/** Options of {@linkcode exportModel}. */
export interface ExportOptions {
  /** Store with the values to bake in. */
  parameters: ParameterStore;
  /** ONNX graph name. @default "policy" */
  graphName?: string;
  /** Model doc string. @default "" */
  docString?: string;
  /** Model metadata properties (e.g. preset, training steps). @default {} */
  metadata?: Readonly<Record<string, string>>;
}

/**
 * Build the eval-mode graph with `build` and emit it with parameters as initializers.
 * @param build Declares inputs (e.g. `rays`, `drive_state`) and returns outputs by name.
 * @example Export a policy
 * ```ts
 * const model = exportModel((g) => {
 *   const p = buildPolicy(g);
 *   return { action_mean: p.actionMean, value: p.value, log_std: p.logStd };
 * }, { parameters: store });
 * await writeOnnx("policy.onnx", model);
 * ```
 */
export function exportModel(
  build: (g: Graph) => Record<string, Tensor>,
  options: ExportOptions,
): EmittedModel {
  const g = new Graph({ dtype: "float32", training: false, parameters: options.parameters });
  const outputs = build(g);
  const metadata = {
    producer: "multi-extractor lib/nn",
    parameter_count: String(options.parameters.parameterCount),
    ...options.metadata,
  };
  return emitModel(g, outputs, {
    state: "initializers",
    graphName: options.graphName ?? "policy",
    docString: options.docString,
    metadata,
  });
}

/**
 * Write an exported model to an `.onnx` file atomically.
 * @throws {Deno.errors.NotFound} When the directory does not exist.
 */
export async function writeOnnx(path: string, model: EmittedModel | Uint8Array): Promise<void> {
  await writeFileAtomic(path, model instanceof Uint8Array ? model : model.bytes);
}

/**
 * The float32 initializers of an ONNX model by name (e.g. the parameters an
 * {@linkcode exportModel} file baked in), read from `raw_data` or `float_data`.
 * @param bytes The `.onnx` file's bytes.
 * @returns Initializer values by name; tensors of other element types are left out.
 * @throws {Error} When the bytes are no ONNX model (protobuf decoding fails).
 */
export function readOnnxInitializers(bytes: Uint8Array): Map<string, Float32Array> {
  const model = onnxProto.onnx.ModelProto.decode(bytes);
  const out = new Map<string, Float32Array>();
  for (const tensor of model.graph?.initializer ?? []) {
    if (tensor.dataType !== onnxProto.onnx.TensorProto.DataType.FLOAT || !tensor.name) continue;
    if (tensor.rawData && tensor.rawData.length > 0) {
      const copy = new Uint8Array(tensor.rawData); // an aligned copy of its own
      out.set(tensor.name, new Float32Array(copy.buffer, 0, copy.byteLength / 4));
    } else {
      out.set(tensor.name, Float32Array.from(tensor.floatData ?? []));
    }
  }
  return out;
}
