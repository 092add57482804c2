/**
 * ONNX Runtime session wrapper: chooses the execution provider (CPU always;
 * CUDA when it can actually be created), intra-op threads and graph
 * optimisation level, and runs models built by {@linkcode emitModel}.
 *
 * @module
 */
import "./_ort_env.ts"; // before onnxruntime-node: telemetry off
import { tuneNativeAllocator } from "./_allocator.ts";
import * as ort from "onnxruntime-node";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import process from "node:process";
import { onnx } from "./_onnx.ts";
import type { EmittedModel, ValueSpec } from "./emit.ts";

/** Execution provider of a session. */
export type ExecutionProvider = "cpu" | "cuda";

/** Graph optimisation level of ONNX Runtime. */
export type OptimizationLevel = "disabled" | "basic" | "extended" | "all";

/** Options of {@linkcode Session.create}. */
export interface SessionOptions {
  /**
   * Intra-op threads. One thread was fastest for these small graphs on a 2-core machine.
   * @default 1
   */
  threads?: number;
  /**
   * `cpu`, `cuda` (fails with {@linkcode ExecutionProviderError} when CUDA cannot be
   * created) or `auto` (CUDA when available, else CPU).
   * @default "cpu"
   */
  executionProvider?: ExecutionProvider | "auto";
  /** ONNX Runtime graph optimisation level. @default "all" */
  optimizationLevel?: OptimizationLevel;
  /** Write an ONNX Runtime profile (JSON) with this file prefix. @default undefined (off) */
  profileFilePrefix?: string;
}

/**
 * ONNX Runtime session config entries of every session this project creates (onnxruntime-node's
 * `extra` option). `session.set_denormal_as_zero`: subnormal floats are flushed to zero (the
 * CPU's FTZ/DAZ flags). Gradients that decay over many steps, as through lstm_small's 816
 * recurrent steps, otherwise become float32 subnormals (below 1.2e-38), which make x86
 * arithmetic many times slower: lstm_small's update took 664 ms with them and 194 ms without
 * (docs/benchmarks.md); values that small carry no information for training. ONNX Runtime
 * applies the flag of the first session a process creates to the thread that creates it (the
 * JavaScript thread, where float64 values below 2.2e-308 then become zero too) and each
 * session's flag to its own intra-op threads, so every session sets it.
 */
export const ORT_SESSION_CONFIG: Readonly<Record<string, unknown>> = Object.freeze({
  session: Object.freeze({ set_denormal_as_zero: "1" }),
});

/** The requested execution provider cannot be created on this machine. */
export class ExecutionProviderError extends Error {
  /** Requested provider. */
  readonly provider: ExecutionProvider;

  /**
   * Create the error.
   * @param provider Requested provider.
   * @param message Why it failed.
   */
  constructor(provider: ExecutionProvider, message: string) {
    super(message);
    this.name = "ExecutionProviderError";
    this.provider = provider;
  }
}

/** Whether one ONNX Runtime execution provider works on this host. */
export interface ExecutionProviderStatus {
  /** Provider name as onnxruntime-node spells it ("cpu", "cuda"). */
  name: string;
  /** True when a session could be created and run with it. */
  usable: boolean;
  /** First line of the error when it is not usable, else null. */
  error: string | null;
}

/** Result of {@linkcode detectExecutionProviders}. */
export interface ExecutionProviderProbe {
  /** Always true: the CPU provider is bundled. */
  cpu: true;
  /** True when a CUDA session could be created and run. */
  cuda: boolean;
  /** Why CUDA is not usable, when it is not. */
  cudaReason?: string;
}

let probeCache: Promise<ExecutionProviderProbe> | undefined;

/** A one-node model (Relu on a float32 [1] tensor, opset 17) for provider probes. */
function tinyModel(): Uint8Array {
  const m = onnx.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    producerName: "multi-extractor-probe",
    graph: {
      name: "probe",
      node: [{ opType: "Relu", input: ["x"], output: ["y"] }],
      input: [{
        name: "x",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } },
      }],
      output: [{
        name: "y",
        type: { tensorType: { elemType: 1, shape: { dim: [{ dimValue: 1 }] } } },
      }],
    },
  });
  return onnx.ModelProto.encode(m).finish();
}

/**
 * Try one execution provider: create a session of a one-node model (Relu) with only
 * that provider, run it on 1.5 and check that 1.5 comes back. Not cached; for
 * `cuda` prefer {@linkcode detectExecutionProviders}, which probes once.
 *
 * @param name Provider name as onnxruntime-node spells it ("cpu", "cuda", ...).
 * @returns Whether it works, with the first line of the error when it does not.
 * Never throws.
 */
export async function tryExecutionProvider(name: string): Promise<ExecutionProviderStatus> {
  try {
    const session = await ort.InferenceSession.create(tinyModel(), {
      executionProviders: [name],
      logSeverityLevel: 4,
      extra: ORT_SESSION_CONFIG,
    });
    try {
      const out = await session.run({ x: new ort.Tensor("float32", new Float32Array([1.5]), [1]) });
      const value = (out.y.data as Float32Array)[0];
      return value === 1.5
        ? { name, usable: true, error: null }
        : { name, usable: false, error: `Relu returned ${value} instead of 1.5` };
    } finally {
      await session.release();
    }
  } catch (error) {
    return {
      name,
      usable: false,
      error: String((error as Error)?.message ?? error).split("\n")[0],
    };
  }
}

/**
 * Find out which execution providers can really be used here: CPU always; CUDA
 * only when a session with the CUDA provider can be created and run (its
 * libraries are not bundled with onnxruntime-node). Probes once per module instance
 * (each worker has its own; see {@linkcode primeExecutionProviderProbe}). Never
 * throws; cached.
 *
 * @returns CPU, whether CUDA works, and why not.
 */
export function detectExecutionProviders(): Promise<ExecutionProviderProbe> {
  probeCache ??= (async (): Promise<ExecutionProviderProbe> => {
    const listed = ort.listSupportedBackends().find((b) => b.name === "cuda");
    if (!listed) {
      return {
        cpu: true,
        cuda: false,
        cudaReason: "this onnxruntime-node build has no CUDA backend (Linux x64 only)",
      };
    }
    const missing = missingCudaLibrary();
    if (missing) {
      return {
        cpu: true,
        cuda: false,
        cudaReason:
          `onnxruntime-node's CUDA provider library is not installed (${missing} not found)`,
      };
    }
    const status = await tryExecutionProvider("cuda");
    return status.usable
      ? { cpu: true, cuda: true }
      : { cpu: true, cuda: false, cudaReason: status.error ?? "unknown error" };
  })();
  return probeCache;
}

/**
 * Seed the cached result of {@linkcode detectExecutionProviders} with a probe made
 * elsewhere, so that a worker does not probe again what the main thread already
 * found (a CUDA probe creates a CUDA context, which takes seconds).
 *
 * @param probe The main thread's result.
 * @throws {TypeError} When `probe` is not an ExecutionProviderProbe.
 */
export function primeExecutionProviderProbe(probe: ExecutionProviderProbe): void {
  if (probe === null || typeof probe !== "object" || typeof probe.cuda !== "boolean") {
    throw new TypeError("Execution provider probe must have a boolean cuda field");
  }
  probeCache = Promise.resolve({ ...probe, cpu: true });
}

/**
 * Path of the CUDA provider library onnxruntime-node would load, when it is absent
 * (it is downloaded by the package's install script, which cannot run offline);
 * undefined when present or when the package location cannot be determined.
 */
function missingCudaLibrary(): string | undefined {
  try {
    const main = createRequire(import.meta.url).resolve("onnxruntime-node");
    const dir = join(dirname(main), "..", "bin", "napi-v6", process.platform, process.arch);
    const file = process.platform === "win32"
      ? "onnxruntime_providers_cuda.dll"
      : "libonnxruntime_providers_cuda.so";
    const path = join(dir, file);
    try {
      Deno.statSync(path);
      return undefined;
    } catch {
      return path;
    }
  } catch {
    return undefined;
  }
}

/**
 * An ONNX Runtime inference session with fixed options, reused for every call.
 *
 * @example Run a model
 * ```ts
 * const session = await Session.create(emitModel(g, { y }));
 * const out = await session.run({ x: new ort.Tensor("float32", data, [1, 4]) });
 * ```
 */
export class Session {
  /** Provider the session runs on. */
  readonly executionProvider: ExecutionProvider;
  /** Input specs (from the emitted model when known). */
  readonly inputs: readonly ValueSpec[];
  /** Output specs (from the emitted model when known). */
  readonly outputs: readonly ValueSpec[];
  #session: ort.InferenceSession;
  #released = false;

  private constructor(
    session: ort.InferenceSession,
    provider: ExecutionProvider,
    inputs: readonly ValueSpec[],
    outputs: readonly ValueSpec[],
  ) {
    this.#session = session;
    this.executionProvider = provider;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  /**
   * Create a session for a model.
   * @param model Emitted model or serialized ModelProto bytes.
   * @throws {ExecutionProviderError} When `cuda` is requested but unusable.
   * @throws {RangeError} When threads is not a positive integer.
   */
  static async create(
    model: EmittedModel | Uint8Array,
    options: SessionOptions = {},
  ): Promise<Session> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new RangeError(`Thread count must be a positive integer, got ${threads}`);
    }
    let provider: ExecutionProvider = "cpu";
    const wanted = options.executionProvider ?? "cpu";
    if (wanted !== "cpu") {
      const probe = await detectExecutionProviders();
      if (probe.cuda) provider = "cuda";
      else if (wanted === "cuda") {
        throw new ExecutionProviderError(
          "cuda",
          `CUDA execution provider is not usable here: ${probe.cudaReason}`,
        );
      }
    }
    const bytes = model instanceof Uint8Array ? model : model.bytes;
    tuneNativeAllocator(); // once per process (lib/nn/_allocator.ts)
    const session = await ort.InferenceSession.create(bytes, {
      executionProviders: provider === "cuda" ? ["cuda", "cpu"] : ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      executionMode: "sequential",
      graphOptimizationLevel: options.optimizationLevel ?? "all",
      enableProfiling: options.profileFilePrefix !== undefined,
      profileFilePrefix: options.profileFilePrefix,
      extra: ORT_SESSION_CONFIG,
    });
    const specs = model instanceof Uint8Array ? { inputs: [], outputs: [] } : model;
    return new Session(session, provider, specs.inputs, specs.outputs);
  }

  /** Input names of the model. */
  get inputNames(): readonly string[] {
    return this.#session.inputNames;
  }

  /** Output names of the model. */
  get outputNames(): readonly string[] {
    return this.#session.outputNames;
  }

  /**
   * Run the model. `fetches` may name a subset of outputs, or map output names to
   * preallocated tensors that ONNX Runtime writes into (no allocation per call).
   * @returns Output tensors by name.
   * @throws {Error} When the session was released or ONNX Runtime rejects the feeds.
   */
  run(
    feeds: Record<string, OrtTensor>,
    fetches?: readonly string[] | Record<string, OrtTensor | null>,
  ): Promise<Record<string, OrtTensor>> {
    if (this.#released) throw new Error("Session was released");
    return fetches
      ? this.#session.run(feeds, fetches as ort.InferenceSession.FetchesType)
      : this.#session.run(feeds);
  }

  /** End profiling; returns the profile file path (when profiling was on). */
  endProfiling(): void {
    this.#session.endProfiling();
  }

  /** Release the native session. Safe to call twice. */
  async release(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#session.release();
  }
}

/** onnxruntime-node's tensor (typed array data plus dims), as fed to and returned by sessions. */
export type OrtTensor = ort.Tensor;

export { ort };
