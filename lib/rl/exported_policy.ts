/**
 * A policy exported by training (`final_model.onnx`, `best_model.onnx`) loaded
 * back for evaluation and rendering: checks that the file is one of our policies
 * (inputs `rays`, `drive_state`; outputs `action_mean`, `log_std`; our metadata)
 * and that its observation shapes fit an env, then runs it in ONNX Runtime.
 *
 * @module
 */
import "../nn/_ort_env.ts"; // before onnxruntime-node: telemetry off
import { tuneNativeAllocator } from "../nn/_allocator.ts";
import * as ort from "onnxruntime-node";
import type onnxProto from "onnx-proto";
import { onnx } from "../nn/_onnx.ts";
import { ORT_SESSION_CONFIG } from "../nn/mod.ts";
import { InputFileError, readInputFile } from "../internal/input_file.ts";
import type { RobotEnv } from "../sim/mod.ts";
import type { ActionMeanModel } from "./evaluation.ts";
import type { ObservationBatch } from "./policy.ts";

/** The file is not a readable policy of ours, or does not fit the env. */
export class PolicyFileError extends Error {
  /** @param message What is wrong, naming the file. */
  constructor(message: string) {
    super(message);
    this.name = "PolicyFileError";
  }
}

const _INPUTS = ["rays", "drive_state"];
const _OUTPUTS = ["action_mean", "log_std"];

function _dims(value: onnxProto.onnx.IValueInfoProto): (number | string)[] {
  const dims = value.type?.tensorType?.shape?.dim ?? [];
  return dims.map((d) =>
    d.dimParam ? d.dimParam : typeof d.dimValue === "number" ? d.dimValue : Number(d.dimValue)
  );
}

/** An exported policy running in ONNX Runtime (deterministic means and log-std). */
export class ExportedPolicy implements ActionMeanModel {
  /** The file. */
  readonly path: string;
  /** ONNX metadata (model, preset, extractor, training_steps, ...). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Observation shape per sample: rays `[stack, rays]`, drive state `[stack, 5]`. */
  readonly shapes: { rays: number[]; drive_state: number[] };
  #session: ort.InferenceSession;

  private constructor(
    path: string,
    metadata: Record<string, string>,
    shapes: { rays: number[]; drive_state: number[] },
    session: ort.InferenceSession,
  ) {
    this.path = path;
    this.metadata = metadata;
    this.shapes = shapes;
    this.#session = session;
  }

  /**
   * Load an exported policy.
   * @param path An `.onnx` file written by training.
   * @throws {PolicyFileError} When the file is missing, not ONNX, or not one of our policies.
   */
  static async load(path: string): Promise<ExportedPolicy> {
    let bytes: Uint8Array;
    try {
      bytes = await readInputFile(path, { kind: "policy" });
    } catch (error) {
      throw new PolicyFileError(
        error instanceof InputFileError
          ? error.message
          : `Cannot read policy ${path}: ${(error as Error).message}`,
      );
    }
    let model: onnxProto.onnx.ModelProto;
    try {
      model = onnx.ModelProto.decode(bytes);
    } catch {
      throw new PolicyFileError(`${path} is not an ONNX model`);
    }
    const metadata = Object.fromEntries(
      (model.metadataProps ?? []).map((p) => [p.key ?? "", p.value ?? ""]),
    );
    const inputs = new Map((model.graph?.input ?? []).map((v) => [v.name ?? "", v]));
    const outputs = new Set((model.graph?.output ?? []).map((v) => v.name ?? ""));
    const missing = [
      ..._INPUTS.filter((n) => !inputs.has(n)).map((n) => `input '${n}'`),
      ..._OUTPUTS.filter((n) => !outputs.has(n)).map((n) => `output '${n}'`),
    ];
    if (missing.length > 0 || metadata.preset === undefined) {
      throw new PolicyFileError(
        `${path} is not a multi-extractor policy (${
          missing.length > 0 ? `no ${missing.join(", ")}` : "no 'preset' metadata"
        }); export one with deno task train (final_model.onnx or best_model.onnx)`,
      );
    }
    const shape = (name: string) => _dims(inputs.get(name)!).slice(1).map(Number);
    const shapes = { rays: shape("rays"), drive_state: shape("drive_state") };
    let session: ort.InferenceSession;
    tuneNativeAllocator(); // once per process (lib/nn/_allocator.ts)
    try {
      session = await ort.InferenceSession.create(bytes, {
        executionProviders: ["cpu"],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
        extra: ORT_SESSION_CONFIG,
      });
    } catch (error) {
      throw new PolicyFileError(`ONNX Runtime cannot load ${path}: ${(error as Error).message}`);
    }
    return new ExportedPolicy(path, metadata, shapes, session);
  }

  /**
   * Check that the env's observations have the policy's shapes.
   * @throws {PolicyFileError} When they differ (names both shapes).
   */
  checkEnv(env: RobotEnv): void {
    const want = {
      rays: env.observationSpace.rays.shape,
      drive_state: env.observationSpace.drive_state.shape,
    };
    for (const key of ["rays", "drive_state"] as const) {
      if (this.shapes[key].join(",") !== want[key].join(",")) {
        throw new PolicyFileError(
          `${this.path} expects ${key} of shape [${this.shapes[key].join(", ")}], the env gives [${
            want[key].join(", ")
          }] (check env settings: lidar rays, stack steps)`,
        );
      }
    }
  }

  /** Action means `[n, 2]` and log-std `[2]`. */
  async forward(
    obs: ObservationBatch,
  ): Promise<{ actionMean: Float32Array; logStd: Float32Array }> {
    const out = await this.#session.run({
      rays: new ort.Tensor(
        "float32",
        obs.rays.subarray(0, obs.n * this.shapes.rays[0] * this.shapes.rays[1]),
        [obs.n, ...this.shapes.rays],
      ),
      drive_state: new ort.Tensor(
        "float32",
        obs.driveState.subarray(0, obs.n * this.shapes.drive_state[0] * this.shapes.drive_state[1]),
        [obs.n, ...this.shapes.drive_state],
      ),
    }, ["action_mean", "log_std"]);
    return {
      actionMean: out.action_mean.data as Float32Array,
      logStd: out.log_std.data as Float32Array,
    };
  }

  /** Release the ONNX Runtime session. */
  async release(): Promise<void> {
    await this.#session.release();
  }
}
