/**
 * The runtime side of Stable-Baselines3's `MultiInputPolicy` for PPO: one
 * parameter store shared by an eval-mode inference model (rollouts, evaluation,
 * bootstrapping) and a train-mode training step (PPO loss, backward, gradient
 * clipping, Adam), plus sampling, log-probabilities and ONNX export.
 *
 * Source: stable_baselines3/common/policies.py (`ActorCriticPolicy.forward`,
 * `evaluate_actions`, `predict_values`, `set_training_mode`).
 *
 * @module
 */
import {
  checkLayout,
  type Checkpoint,
  CheckpointError,
  createInferenceModel,
  createTrainingStep,
  type EmittedModel,
  type ExecutionProvider,
  exportModel,
  type FloatArray,
  type Graph,
  type InferenceModel,
  ParameterStore,
  type TensorFeed,
  type TrainingState,
  type TrainingStep,
  type TrainingStepResult,
} from "../nn/mod.ts";
import type { SeededRng } from "../rng/mod.ts";
import { buildPolicyNetwork, type PolicyNetworkOptions } from "./policy_network.ts";
import { clipActions, diagGaussianLogProb, sampleDiagGaussian } from "./distributions.ts";
import { PPO_LOSS_INPUTS, ppoLoss, type PpoLossOptions } from "./ppo_loss.ts";
import type { RolloutMinibatch } from "./rollout_buffer.ts";
import { DIVERGENCE_HINT, ExtractorRunError } from "./errors.ts";

/** Options of {@linkcode PpoPolicy.create}. */
export interface PpoPolicyOptions {
  /** Generator for the initial weights (owned by the policy's parameter store). */
  initRng: SeededRng;
  /** Generator for dropout masks in training steps. */
  dropoutRng: SeededRng;
  /** PPO loss coefficients. @default SB3 defaults */
  loss?: PpoLossOptions;
  /** Global gradient-norm clip (`max_grad_norm`). @default 0.5 */
  maxGradNorm?: number;
  /** Adam epsilon. @default 1e-5 (SB3 PPO) */
  adamEps?: number;
  /** ONNX Runtime execution provider. @default "cpu" */
  executionProvider?: ExecutionProvider;
  /** Intra-op threads per session. @default 1 */
  threads?: number;
  /**
   * Fill the next minibatch's dropout masks in a worker thread while ONNX Runtime
   * runs the current one (identical masks; see docs/benchmarks.md). @default true
   */
  prefetchMasks?: boolean;
}

/** Observation shape of the policy: `rays [stack, rays]`, `drive_state [stack, 5]`. */
export interface PolicyObservationShape {
  /** Stacked scans. */
  stackSteps: number;
  /** Rays per scan. */
  rays: number;
  /** Drive-state values per step. */
  driveState: number;
}

/** A batch of `n` observations, row-major (e.g. a vector env's buffers). */
export interface ObservationBatch {
  /** `[n, stack, rays]` LiDAR ranges / max range. */
  rays: Float32Array;
  /** `[n, stack, 5]` normalised drive state. */
  driveState: Float32Array;
  /** Batch size. */
  n: number;
}

/** Outputs of {@linkcode PpoPolicy.act}, caller-owned `[n, ...]` arrays. */
export interface ActOutputs {
  /** `[n, 2]` unclipped sampled actions (what the rollout buffer stores). */
  actions: Float32Array;
  /** `[n, 2]` actions clipped to the action space (what the env receives). */
  clippedActions: Float32Array;
  /** `[n]` value estimates V(s). */
  values: Float32Array;
  /** `[n]` log-probabilities of the sampled actions (nats). */
  logProbs: Float32Array;
}

/** Action bounds of the env. */
export interface ActionBounds {
  /** `[actionDim]` lower bounds. */
  low: Float32Array;
  /** `[actionDim]` upper bounds. */
  high: Float32Array;
}

/**
 * Actor-critic policy with a diagonal Gaussian action distribution and a
 * state-independent log standard deviation. Create with {@linkcode PpoPolicy.create}.
 *
 * @example Act on a batch of observations
 * ```ts
 * const policy = await PpoPolicy.create({ preset: "mlp_small", parameters: {} }, {
 *   initRng: new SeededRng(1), dropoutRng: new SeededRng(2),
 * });
 * await policy.act({ rays, driveState, n: 1 }, { rng, bounds, out });
 * ```
 */
export class PpoPolicy {
  /** The network's preset and parameters. */
  readonly network: PolicyNetworkOptions;
  /** Parameters and buffers (initial values; the training step holds the live ones). */
  readonly store: ParameterStore;
  /** Number of trainable parameters (PyTorch `sum(p.numel())`). */
  readonly parameterCount: number;
  /** Observation shape. */
  readonly observation: PolicyObservationShape;
  readonly #inference: InferenceModel;
  readonly #step: TrainingStep;
  readonly #logStdOffset: number;
  readonly #actionDim: number;
  // Feed objects per observation array (env buffers are reused every step).
  #feeds = new WeakMap<
    Float32Array,
    { n: number; driveState: Float32Array; feeds: { rays: TensorFeed; drive_state: TensorFeed } }
  >();

  private constructor(
    network: PolicyNetworkOptions,
    store: ParameterStore,
    inference: InferenceModel,
    step: TrainingStep,
  ) {
    this.network = network;
    this.store = store;
    this.#inference = inference;
    this.#step = step;
    this.parameterCount = store.parameterCount;
    const logStd = store.get("log_std");
    if (!logStd) throw new RangeError("Policy network has no 'log_std' parameter");
    this.#logStdOffset = logStd.offset;
    this.#actionDim = logStd.size;
    const [, stack, rays] = inference.graph.inputs.find((t) => t.node.leaf!.name === "rays")!
      .shape as number[];
    const [, , drive] = inference.graph.inputs.find((t) => t.node.leaf!.name === "drive_state")!
      .shape as number[];
    this.observation = { stackSteps: stack, rays, driveState: drive };
  }

  /**
   * Build the network (train-mode graph first, so its declaration order draws the
   * initial weights), compile the training step and the inference model.
   * @param network Preset and resolved parameters.
   * @param options Generators, loss coefficients, optimizer and session settings.
   * @throws {RangeError} When the preset cannot be built or a coefficient is out of range.
   * @throws {ExecutionProviderError} When the execution provider is unusable.
   */
  static async create(
    network: PolicyNetworkOptions,
    options: PpoPolicyOptions,
  ): Promise<PpoPolicy> {
    const store = new ParameterStore(options.initRng);
    const session = {
      executionProvider: options.executionProvider ?? "cpu",
      threads: options.threads ?? 1,
    };
    const step = await createTrainingStep((g) => {
      const policy = buildPolicyNetwork(g, network);
      return ppoLoss(g, policy, options.loss);
    }, {
      parameters: store,
      maxGradNorm: options.maxGradNorm ?? 0.5,
      adam: { eps: options.adamEps ?? 1e-5 },
      dropoutRng: options.dropoutRng,
      prefetchMasks: options.prefetchMasks ?? true,
      session,
    });
    // Weights baked in as initializers: ONNX Runtime pre-packs them, which halves the
    // batch-1 call of a rollout step; the session is rebuilt once per PPO update.
    const inference = await createInferenceModel(
      (g) => _policyOutputs(g, network),
      { parameters: store, session, state: "initializers" },
    );
    return new PpoPolicy(network, store, inference, step);
  }

  /** Action dimensions (2). */
  get actionDim(): number {
    return this.#actionDim;
  }

  /** Adam steps applied so far. */
  get optimizerSteps(): number {
    return this.#step.step;
  }

  /** Live flat parameters `[P]` of the training step (copy to keep). */
  get parameters(): FloatArray {
    return this.#step.parameters;
  }

  /** Current log standard deviations `[actionDim]` (a copy). */
  logStd(): Float64Array {
    const p = this.#step.parameters;
    return Float64Array.from(p.subarray(this.#logStdOffset, this.#logStdOffset + this.#actionDim));
  }

  #feedsFor(rays: Float32Array, driveState: Float32Array, n: number) {
    const cached = this.#feeds.get(rays);
    if (cached && cached.n === n && cached.driveState === driveState) return cached.feeds;
    const { stackSteps, rays: r, driveState: d } = this.observation;
    const raysSize = n * stackSteps * r, driveSize = n * stackSteps * d;
    const feeds = {
      rays: {
        data: rays.length === raysSize ? rays : rays.subarray(0, raysSize),
        dims: [n, stackSteps, r],
      },
      drive_state: {
        data: driveState.length === driveSize ? driveState : driveState.subarray(0, driveSize),
        dims: [n, stackSteps, d],
      },
    };
    this.#feeds.set(rays, { n, driveState, feeds });
    return feeds;
  }

  /**
   * Eval-mode forward pass: action means `[n, 2]`, values `[n, 1]`, log-std `[2]`.
   * The arrays are reused by the next call with the same `n`.
   * @param obs A batch of observations.
   * @throws {ExtractorRunError} When an action mean or value is NaN or infinite.
   */
  async forward(
    obs: ObservationBatch,
  ): Promise<{ actionMean: Float32Array; value: Float32Array; logStd: Float32Array }> {
    const out = await this.#inference.run(this.#feedsFor(obs.rays, obs.driveState, obs.n));
    const actionMean = out.action_mean as Float32Array;
    const value = out.value as Float32Array;
    for (let i = 0; i < actionMean.length; i++) {
      if (!Number.isFinite(actionMean[i])) throw _nonFinite("action mean");
    }
    for (let i = 0; i < value.length; i++) {
      if (!Number.isFinite(value[i])) throw _nonFinite("value estimate");
    }
    return { actionMean, value, logStd: out.log_std as Float32Array };
  }

  /**
   * Sample actions for a batch of observations (SB3 `policy.forward` in eval mode):
   * `a = mu + exp(log_std) z`, their log-probabilities and values, and the
   * actions clipped to the action space for the env.
   * @param obs A batch of observations.
   * @param options Normal samples (drawn row-major), action space, caller-owned outputs.
   * @throws {ExtractorRunError} When the network output is not finite.
   */
  async act(
    obs: ObservationBatch,
    options: { rng: SeededRng; bounds: ActionBounds; out: ActOutputs },
  ): Promise<void> {
    const { rng, bounds, out } = options;
    const { actionMean, value, logStd } = await this.forward(obs);
    sampleDiagGaussian(actionMean, logStd, rng, out.actions);
    diagGaussianLogProb(out.actions, actionMean, logStd, out.logProbs);
    clipActions(out.actions, bounds.low, bounds.high, out.clippedActions);
    out.values.set(value.subarray(0, obs.n));
  }

  /**
   * Deterministic actions (the means) clipped to the action space, as SB3's
   * `predict(deterministic=True)`.
   * @param obs A batch of observations.
   * @param options Action space, and `out` `[n, 2]` receiving the actions.
   * @throws {ExtractorRunError} When the network output is not finite.
   */
  async predictDeterministic(
    obs: ObservationBatch,
    options: { bounds: ActionBounds; out: Float32Array },
  ): Promise<void> {
    const { actionMean } = await this.forward(obs);
    clipActions(actionMean, options.bounds.low, options.bounds.high, options.out);
  }

  /**
   * Value estimates V(s) `[n]` (SB3 `predict_values`), written into `out`.
   * @param obs A batch of observations.
   * @param out `[n]` receives the values.
   * @throws {ExtractorRunError} When the network output is not finite.
   */
  async predictValues(obs: ObservationBatch, out: Float32Array): Promise<void> {
    const { value } = await this.forward(obs);
    out.set(value.subarray(0, obs.n));
  }

  /**
   * One PPO minibatch update in train mode (dropout active): loss, backward,
   * gradient clipping and Adam in one ONNX Runtime call. The inference model keeps
   * the old parameters until {@linkcode PpoPolicy.syncInference}.
   * @param batch Minibatch from the rollout buffer.
   * @param learningRate Adam step size of this update.
   */
  train(batch: RolloutMinibatch, learningRate: number): Promise<TrainingStepResult> {
    const { stackSteps, rays, driveState } = this.observation;
    const n = batch.size;
    return this.#step.run({
      rays: { data: batch.rays, dims: [n, stackSteps, rays] },
      drive_state: { data: batch.driveState, dims: [n, stackSteps, driveState] },
      [PPO_LOSS_INPUTS.actions]: { data: batch.actions, dims: [n, this.#actionDim] },
      [PPO_LOSS_INPUTS.oldLogProb]: { data: batch.oldLogProbs, dims: [n] },
      [PPO_LOSS_INPUTS.advantages]: { data: batch.advantages, dims: [n] },
      [PPO_LOSS_INPUTS.returns]: { data: batch.returns, dims: [n] },
    }, { learningRate });
  }

  /** Copy the training step's parameters and buffers into the inference model. */
  async syncInference(): Promise<void> {
    await this.#inference.setParameters(this.#step.parameters, this.#step.buffers);
  }

  /** Index of the first non-finite parameter, or -1. */
  firstNonFiniteParameter(): number {
    const p = this.#step.parameters;
    for (let i = 0; i < p.length; i++) if (!Number.isFinite(p[i])) return i;
    return -1;
  }

  /** Name of the parameter tensor holding flat index `i`. */
  parameterName(i: number): string {
    return this.store.parameters.find((p) => i >= p.offset && i < p.offset + p.size)?.name ?? "?";
  }

  /** Full training state (parameters, buffers, Adam, dropout generator), copied. */
  trainingState(): TrainingState {
    return this.#step.state();
  }

  /**
   * Restore a training state and push the parameters to the inference model.
   * @throws {RangeError} When vector lengths differ.
   */
  async setTrainingState(state: TrainingState): Promise<void> {
    this.#step.setState(state);
    await this.syncInference();
  }

  /**
   * The training state as a lib/nn checkpoint (float32 parameters, buffers, Adam
   * moments and step, dropout-generator state, layout).
   * @param metadata JSON metadata stored with it.
   */
  checkpoint(metadata: Record<string, unknown> = {}): Checkpoint {
    const s = this.#step.state();
    return {
      parameters: Float32Array.from(s.parameters),
      buffers: Float32Array.from(s.buffers),
      layout: {
        parameters: this.store.parameters.map((p) => ({ name: p.name, shape: [...p.shape] })),
        buffers: this.store.buffers.map((p) => ({ name: p.name, shape: [...p.shape] })),
      },
      optimizer: {
        adamM: Float32Array.from(s.adamM),
        adamV: Float32Array.from(s.adamV),
        step: s.step,
      },
      dropoutRng: s.dropoutRng,
      metadata,
    };
  }

  /**
   * Continue from a checkpoint of {@linkcode PpoPolicy.checkpoint}.
   * @throws {CheckpointError} When its layout differs from this network's or it has no optimizer state.
   */
  async restoreCheckpoint(ckpt: Checkpoint): Promise<void> {
    checkLayout(ckpt, this.store);
    if (!ckpt.optimizer || !ckpt.dropoutRng) {
      throw new CheckpointError("Checkpoint has no optimizer state to resume training from");
    }
    await this.setTrainingState({
      parameters: ckpt.parameters,
      buffers: ckpt.buffers,
      adamM: ckpt.optimizer.adamM,
      adamV: ckpt.optimizer.adamV,
      step: ckpt.optimizer.step,
      dropoutRng: ckpt.dropoutRng,
    });
  }

  /**
   * The eval-mode policy as a standalone ONNX model with the current parameters:
   * inputs `rays [batch, 3, 272]`, `drive_state [batch, 3, 5]`; outputs
   * `action_mean [batch, 2]`, `value [batch, 1]`, `log_std [2]`.
   * @param metadata Model metadata properties.
   */
  exportOnnx(metadata: Readonly<Record<string, string>> = {}): EmittedModel {
    this.#step.copyTo(this.store);
    return exportModel((g) => _policyOutputs(g, this.network), {
      parameters: this.store,
      graphName: "policy",
      docString:
        "PPO actor-critic policy (Stable-Baselines3 MultiInputPolicy semantics), eval mode",
      metadata,
    });
  }

  /** Release both ONNX Runtime sessions. */
  async release(): Promise<void> {
    await this.#inference.release();
    await this.#step.release();
  }
}

function _nonFinite(what: string): ExtractorRunError {
  return new ExtractorRunError(`Policy network produced a non-finite ${what}`, DIVERGENCE_HINT);
}

function _policyOutputs(g: Graph, network: PolicyNetworkOptions) {
  const p = buildPolicyNetwork(g, network);
  return { action_mean: p.actionMean, value: p.value, log_std: p.logStd };
}
