/**
 * Tensor engine: a typed graph builder that writes ONNX models, reverse-mode
 * autodiff with one vector-Jacobian rule per op (emitted as standard ONNX ops),
 * PyTorch-compatible initialisers, Adam and gradient clipping inside the graph,
 * ONNX Runtime sessions, checkpoints and ONNX export.
 *
 * See `docs/nn.md` for the design.
 *
 * @module
 */
export type { SeededRng, SeededRngState } from "../rng/mod.ts";
export { type Dim, formatShape, mulDims, type Shape, ShapeError } from "./shape.ts";
export {
  type Attr,
  type DropoutMaskSpec,
  type DType,
  type Emitter,
  type FloatType,
  Graph,
  type GraphOptions,
  type Leaf,
  type LeafKind,
  Node,
  type OpDef,
  type ParameterOptions,
  type SubgraphValue,
  Tensor,
  type VjpRule,
} from "./graph.ts";
export { type FloatArray, type ParameterInfo, ParameterStore } from "./parameters.ts";
export {
  biasUniform,
  constantInit,
  fanIn,
  fromValues,
  type Initializer,
  kaimingUniform,
  normal,
  ones,
  orthogonal,
  uniform,
  zeros,
} from "./init.ts";
export {
  emitModel,
  type EmitOptions,
  type EmittedModel,
  type StateMode,
  type ValueSpec,
} from "./emit.ts";
export { type GradientOptions, gradients, NonDifferentiableError } from "./autodiff.ts";
export {
  detectExecutionProviders,
  type ExecutionProvider,
  ExecutionProviderError,
  type ExecutionProviderProbe,
  type ExecutionProviderStatus,
  type OptimizationLevel,
  ORT_SESSION_CONFIG,
  type OrtTensor,
  primeExecutionProviderProbe,
  Session,
  type SessionOptions,
  tryExecutionProvider,
} from "./session.ts";
export {
  checkGradients,
  type GradCheckFeed,
  type GradCheckMismatch,
  type GradCheckOptions,
  type GradCheckReport,
  type GradCheckTarget,
} from "./gradcheck.ts";
export type { Operand } from "./ops/_define.ts";
export {
  abs,
  add,
  addN,
  cast,
  clip,
  type ClipOptions,
  div,
  equal,
  exp,
  greater,
  greaterOrEqual,
  identity,
  less,
  lessOrEqual,
  log,
  logicalAnd,
  logicalNot,
  maximum,
  minimum,
  mul,
  neg,
  pow,
  reciprocal,
  relu,
  sigmoid,
  sign,
  sqrt,
  square,
  stopGradient,
  sub,
  tanh,
  where,
} from "./ops/elementwise.ts";
export {
  mean,
  reduceMax,
  reduceMean,
  type ReduceOptions,
  reduceSum,
  sum,
  unbroadcast,
} from "./ops/reduce.ts";
export {
  broadcastTo,
  concat,
  flatten,
  pad,
  reshape,
  shapeOf,
  sizeOf,
  slice,
  type SliceOptions,
  split,
  squeeze,
  transpose,
  unsqueeze,
  zerosLike,
} from "./ops/shape_ops.ts";
export { gemm, type GemmOptions, linearMap, matmul } from "./ops/linalg.ts";
export { logSoftmax, softmax } from "./ops/softmax.ts";
export {
  batchNormMap,
  type BatchNormOptions,
  type BatchNormResult,
  layerNormMap,
} from "./ops/norm.ts";
export { conv1dMap, type Conv1dOptions, type ConvForward, convOutputLength } from "./ops/conv.ts";
export { adaptiveAvgPool1d, argMax, avgPool1d, maxPool1d, type Pool1dOptions } from "./ops/pool.ts";
export { dropout } from "./ops/dropout.ts";
export {
  activate,
  type Activation,
  batchNorm1d,
  type BatchNormLayerOptions,
  conv1d,
  type Conv1dLayerOptions,
  type LayerInit,
  layerNorm,
  type LayerNormLayerOptions,
  linear,
  type LinearOptions,
  mlp,
  type MlpOptions,
} from "./layers.ts";
export { DropoutMaskGenerator, fillMask } from "./dropout_masks.ts";
export {
  type AdamOptions,
  buildTrainingGraph,
  createTrainingStep,
  PREFETCH_MIN_MASK_ELEMENTS,
  type TensorFeed,
  TRAINING_IO,
  type TrainingGraphOptions,
  type TrainingGraphSpec,
  type TrainingRunOptions,
  type TrainingState,
  TrainingStep,
  type TrainingStepOptions,
  type TrainingStepResult,
} from "./training.ts";
export { createInferenceModel, InferenceModel, type InferenceModelOptions } from "./inference.ts";
export { countFlops } from "./flops.ts";
export {
  checkLayout,
  type Checkpoint,
  type CheckpointEntry,
  CheckpointError,
  checkpointFromStore,
  checkpointFromTraining,
  decodeCheckpoint,
  encodeCheckpoint,
  loadCheckpoint,
  restoreStore,
  restoreTraining,
  saveCheckpoint,
} from "./checkpoint.ts";
export { exportModel, type ExportOptions, readOnnxInitializers, writeOnnx } from "./export.ts";
export { decodeFramedFile, encodeFramedFile, readFloat32Arrays } from "./framed_file.ts";
export type { FrameSpec } from "./framed_file.ts";
export { lstmLayer, lstmRecurrence, type LstmWeights } from "./ops/recurrent.ts";
