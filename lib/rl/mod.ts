/**
 * Reinforcement learning: Stable-Baselines3 PPO on lib/nn networks and lib/sim
 * envs — the rollout buffer and GAE, diagonal Gaussian actions, the PPO loss
 * graph, the actor-critic policy runtime, the trainer, callbacks (evaluation,
 * checkpoints, train log, progress), and trainer checkpoints. Training one feature extractor end to end from a scenario
 * (`trainExtractor`) is lib/train's.
 *
 * See `docs/ppo.md`.
 *
 * @module
 */
export {
  clipActions,
  diagGaussianEntropy,
  diagGaussianLogProb,
  sampleDiagGaussian,
} from "./distributions.ts";
export { computeGae, type GaeInputs, type GaeOptions } from "./gae.ts";
export {
  RolloutBuffer,
  type RolloutBufferOptions,
  type RolloutBufferState,
  type RolloutMinibatch,
  type RolloutShapes,
} from "./rollout_buffer.ts";
export { type ScheduleKind, scheduleValue } from "./schedules.ts";
export { explainedVariance } from "./statistics.ts";
export { DIVERGENCE_HINT, ExtractorRunError } from "./errors.ts";
export { type PolicyOutputs, PPO_LOSS_INPUTS, ppoLoss, type PpoLossOptions } from "./ppo_loss.ts";
export {
  ACTION_DIM,
  buildPolicyNetwork,
  countParameters,
  ORTHOGONAL_GAINS,
  type ParameterCounts,
  POLICY_NET_ARCH,
  type PolicyGraph,
  type PolicyNetworkOptions,
} from "./policy_network.ts";
export {
  type ActionBounds,
  type ActOutputs,
  type ObservationBatch,
  type PolicyObservationShape,
  PpoPolicy,
  type PpoPolicyOptions,
} from "./policy.ts";
export {
  type ActionMeanModel,
  checkDeterministicStillness,
  controllerActor,
  type EpisodeOutcome,
  evaluateActor,
  evaluatePolicy,
  type EvaluatePolicyOptions,
  type EvaluationActor,
  type EvaluationResult,
  evaluationSeeds,
  policyActor,
  STILL_PATH_LENGTH,
  type StillnessCheck,
} from "./evaluation.ts";
export { DEFAULT_HELD_OUT_SEED_START, heldOutOverlap, heldOutSeeds } from "./held_out.ts";
export {
  evaluateHeldOut,
  HELD_OUT_FILE_NAME,
  heldOutAggregates,
  heldOutMetrics,
} from "./held_out_evaluation.ts";
export type {
  EvaluateHeldOutOptions,
  HeldOutAggregates,
  HeldOutPolicyResult,
  HeldOutResult,
} from "./held_out_evaluation.ts";
export {
  appendLine,
  type CallbackContext,
  CheckpointCallback,
  type CheckpointCallbackOptions,
  type CheckpointInfo,
  EvalCallback,
  type EvalCallbackOptions,
  type EvalCallbackState,
  type EvaluationRecord,
  ProgressCallback,
  type ProgressCallbackOptions,
  type TrainingCallback,
  type TrainingProgress,
  TrainLogCallback,
  truncateLines,
  type TruncateLinesOptions,
  type UpdateRecord,
} from "./callbacks.ts";
export { EVENT_FILE_NAME, SB3_LOG_FILES, Sb3LogCallback } from "./sb3_logs.ts";
export type { Sb3LogState } from "./sb3_logs.ts";
export {
  checkpointFileName,
  decodeTrainerCheckpoint,
  encodeTrainerCheckpoint,
  type EpisodeWindow,
  latestCheckpoint,
  loadTrainerCheckpoint,
  saveTrainerCheckpoint,
  TRAINER_CHECKPOINT_EXTENSION,
  TRAINER_CHECKPOINT_FORMAT,
  type TrainerCheckpoint,
  TrainerCheckpointError,
  type TrainerState,
  type TrainerUpdateState,
} from "./checkpoint.ts";
export {
  type EpisodeWindowStats,
  type LearnResult,
  PpoTrainer,
  type PpoTrainerOptions,
  type TrainingVecEnv,
} from "./ppo.ts";
export { TRAINER_ENV_STREAMS, type TrainingGenerators, trainingGenerators } from "./generators.ts";
