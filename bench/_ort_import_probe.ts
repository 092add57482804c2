/**
 * Child process of bench/ort_process_bench.ts: imports onnxruntime-node (as an
 * extractor process of its own would) and exits.
 *
 * @module
 */
import "../lib/nn/_ort_env.ts";
import * as ort from "onnxruntime-node";

if (typeof ort.InferenceSession !== "function") Deno.exit(1);
