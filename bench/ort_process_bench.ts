/**
 * Cost of giving ONNX Runtime a process of its own (docs/security.md, "A narrower
 * boundary for ONNX Runtime"): start a Deno process with FFI limited to node_modules
 * that imports onnxruntime-node, and exit.
 *
 * Run: deno task bench:ort-process
 *
 * @module
 */
const probe = new URL("./_ort_import_probe.ts", import.meta.url).pathname;

Deno.bench("deno process importing onnxruntime-node (start to exit)", async () => {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-prompt",
      "--allow-read",
      "--allow-env=ORT_DISABLE_TELEMETRY",
      "--allow-ffi=node_modules",
      probe,
    ],
    stdout: "null",
    stderr: "null",
  }).output();
  if (out.code !== 0) throw new Error(`the probe exited with ${out.code}`);
});
