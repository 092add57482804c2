/**
 * Imported before onnxruntime-node: switches ONNX Runtime's telemetry off for this
 * process unless the user chose otherwise. onnxruntime-node's native library otherwise
 * writes a device id and a telemetry event queue under
 * `~/.cache/Microsoft/DeveloperTools/.onnxruntime/` (outside the output root, and out
 * of reach of Deno's permissions, being native code). It reads `ORT_DISABLE_TELEMETRY`
 * when the first session creates its environment; a value the user set (e.g. `0`) is
 * left as it is. Without env permission (workers, narrow tasks) nothing is set here:
 * the environment is the process's, so the main thread's setting holds for workers.
 *
 * @module
 */
import { readEnv } from "../internal/env.ts";

/** The environment variable ONNX Runtime reads to switch its telemetry off. */
export const ORT_TELEMETRY_VARIABLE = "ORT_DISABLE_TELEMETRY";

try {
  if (readEnv(ORT_TELEMETRY_VARIABLE) === undefined) Deno.env.set(ORT_TELEMETRY_VARIABLE, "1");
} catch {
  // No env permission here; see the module comment.
}
