/**
 * multi-extractor: train PPO crowd-navigation policies with several feature
 * extractors, compare them, and report which is best on which hardware.
 *
 * This module re-exports the public API of every library folder under `lib/`.
 *
 * @module
 */
export * from "./lib/rng/mod.ts";
export * from "./lib/sim/mod.ts";
export * from "./lib/config/mod.ts";
export * from "./lib/extractors/mod.ts";
export * from "./lib/run/mod.ts";
export * from "./lib/hardware/mod.ts";
export * from "./lib/report/mod.ts";
export * from "./lib/log/mod.ts";
export * from "./lib/rl/mod.ts";
export * from "./lib/train/mod.ts";
/**
 * The tensor engine, as a namespace (its op names such as `add` and `mean` would
 * collide with other modules' helpers).
 */
export * as nn from "./lib/nn/mod.ts";
/** Tensor-engine types that the other modules' public API refers to (also under `nn`). */
export type {
  Attr,
  Checkpoint,
  CheckpointEntry,
  CheckpointError,
  Dim,
  DropoutMaskSpec,
  DType,
  EmittedModel,
  Emitter,
  ExecutionProvider,
  ExecutionProviderProbe,
  FloatArray,
  FloatType,
  Graph,
  Initializer,
  LayerInit,
  Leaf,
  LeafKind,
  Node,
  OpDef,
  ParameterInfo,
  ParameterOptions,
  ParameterStore,
  Shape,
  SubgraphValue,
  Tensor,
  TrainingGraphSpec,
  TrainingState,
  TrainingStepResult,
  ValueSpec,
  VjpRule,
} from "./lib/nn/mod.ts";
export * from "./lib/workers/mod.ts";
export * from "./lib/slurm/mod.ts";
