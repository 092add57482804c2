/**
 * Thin helpers over onnx-proto's generated classes (ONNX IR version 8, opset 17).
 *
 * @module
 */
import onnxProto from "onnx-proto";
import type { Attr, DType } from "./graph.ts";
import type { Shape } from "./shape.ts";

/** The generated `onnx` namespace of onnx-proto. */
export const onnx = onnxProto.onnx;

/** ONNX IR version written into models (ONNX 1.12 supports opset 17 with IR 8). */
export const IR_VERSION = 8;
/** Default-domain opset version of every model. */
export const OPSET_VERSION = 17;

const DT = onnx.TensorProto.DataType;

/** ONNX element type code of a dtype. */
export function elemType(dtype: DType): number {
  switch (dtype) {
    case "float32":
      return DT.FLOAT;
    case "float64":
      return DT.DOUBLE;
    case "int64":
      return DT.INT64;
    case "bool":
      return DT.BOOL;
  }
}

/** ValueInfoProto with symbolic dims written as `dim_param`. */
export function valueInfo(
  name: string,
  dtype: DType,
  shape: Shape,
): onnxProto.onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: elemType(dtype),
        shape: {
          dim: shape.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

/** TensorProto initializer holding `values` as little-endian raw data. */
export function tensorProto(
  name: string,
  dtype: DType,
  dims: readonly number[],
  values: Float32Array | Float64Array | BigInt64Array | Uint8Array,
): onnxProto.onnx.ITensorProto {
  const bytes = new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
  return { name, dataType: elemType(dtype), dims: [...dims], rawData: bytes };
}

/** AttributeProto from a tagged attribute value. */
export function attribute(name: string, a: Attr): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if ("i" in a) return { name, type: T.INT, i: a.i };
  if ("f" in a) return { name, type: T.FLOAT, f: a.f };
  if ("ints" in a) return { name, type: T.INTS, ints: [...a.ints] };
  if ("floats" in a) return { name, type: T.FLOATS, floats: [...a.floats] };
  if ("g" in a) return { name, type: T.GRAPH, g: a.g };
  return { name, type: T.STRING, s: new TextEncoder().encode(a.s) };
}
