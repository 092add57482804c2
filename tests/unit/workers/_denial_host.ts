/**
 * Host process for the permission tests, run with every permission (`-A`) so
 * that only the worker's own permission set can deny anything. Starts
 * `_denial_probe.ts` through `spawnWorker` with the env-worker or the
 * extractor-worker permission set and prints the probe's report as JSON.
 *
 * Usage: deno run -A tests/unit/workers/_denial_host.ts env|extractor
 *
 * @module
 */
import { join } from "node:path";
import {
  envWorkerPermissions,
  extractorWorkerPermissions,
  PROJECT_ROOT,
  spawnWorker,
} from "../../../lib/workers/mod.ts";

const mode = Deno.args[0];
const outside = await Deno.makeTempDir({ prefix: "denial-outside-" });
await Deno.writeTextFile(join(outside, "secret.txt"), "secret");
const extractorDir = await Deno.makeTempDir({ prefix: "denial-extractor-" });
const allowedEnv = "MULTI_EXTRACTOR_PROBE_VAR";
Deno.env.set(allowedEnv, "visible");
const permissions = mode === "extractor"
  ? extractorWorkerPermissions(extractorDir, { env: [allowedEnv] })
  : envWorkerPermissions({ env: [allowedEnv] });
const worker = spawnWorker(new URL("./_denial_probe.ts", import.meta.url), permissions);
try {
  const report = await new Promise<Record<string, string>>((resolve, reject) => {
    worker.onmessage = (e) => resolve(e.data);
    worker.onerror = (e) => {
      e.preventDefault();
      reject(new Error(e.message));
    };
    worker.postMessage({
      outside,
      unreadable: join(PROJECT_ROOT, "tests", "unit", "workers", "_denial_probe.ts"),
      readable: join(PROJECT_ROOT, "configs", "maps", "default.json"),
      writable: mode === "extractor" ? extractorDir : null,
      allowedEnv,
      onnx: mode === "extractor",
    });
  });
  report.writtenInside = String(
    await Deno.stat(join(extractorDir, "ok.txt")).then(() => true, () => false),
  );
  report.writtenOutside = String(
    await Deno.stat(join(outside, "written.txt")).then(() => true, () => false),
  );
  console.log(JSON.stringify({ outside, extractorDir, report }));
} finally {
  worker.terminate();
  await Deno.remove(outside, { recursive: true });
  await Deno.remove(extractorDir, { recursive: true });
}
