// What code inside an extractor worker (run.parallel_extractors > 1) may do: the
// worker is started by trainExtractorInWorker exactly as in a run, from a host process
// with every permission, so every denial comes from the worker's own permission set
// (lib/workers extractorWorkerPermissions).
import assert from "node:assert/strict";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../../lib/workers/mod.ts";

interface HostOutput {
  runDir: string;
  extractorDir: string;
  report: Record<string, string>;
  events: string[];
  result: { trainingSteps: number; artifacts: Record<string, string> };
  writtenRunDir: boolean;
  siblingCreated: boolean;
}

async function host(): Promise<HostOutput> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--config",
      join(PROJECT_ROOT, "deno.json"),
      "tests/unit/train/_extractor_denial_host.ts",
    ],
    cwd: PROJECT_ROOT,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assert.equal(out.code, 0, `extractor worker host failed: ${stderr}`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

function denied(outcome: string, kind: string, target: string) {
  assert.equal(
    outcome,
    `NotCapable: Requires ${kind} access to "${target}", run again with the --allow-${kind} flag`,
  );
}

Deno.test("Code in an extractor worker cannot write outside its directory, read outside the allowed paths, open a socket or spawn a process, and still trains", async () => {
  const { runDir, report, events, result, writtenRunDir, siblingCreated } = await host();
  // Write: only its own extractor directory, not the run directory, the manifest
  // (the main thread appends it) or another extractor's directory.
  denied(report.writeRunDir, "write", `${runDir}/written.txt`);
  denied(report.writeManifest, "write", `${runDir}/manifest.jsonl`);
  denied(report.writeSibling, "write", `${runDir}/extractors/other`);
  assert.equal(writtenRunDir, false);
  assert.equal(siblingCreated, false);
  assert.equal(report.writeInside, "ok");
  // Read: code, configs (built-in maps), node_modules, its directory and the map in use.
  denied(report.readRunDir, "read", `${runDir}/secret.txt`);
  denied(
    report.readProjectTests,
    "read",
    join(PROJECT_ROOT, "tests/unit/train/_extractor_denial_probe.ts"),
  );
  assert.equal(report.readInside, "ok");
  assert.equal(report.readBuiltInMap, "ok");
  // No network, subprocess, native code outside node_modules, environment or sys.
  denied(report.connect, "net", "127.0.0.1:9");
  denied(report.listen, "net", "127.0.0.1:0");
  denied(report.fetch, "net", "127.0.0.1:8");
  denied(report.run, "run", "true");
  denied(report.ffi, "ffi", "libc.so.6");
  denied(report.env, "env", "HOME");
  denied(report.sys, "sys", "hostname");
  // Under the same permissions it trains on the map file outside the project (read
  // granted for that file), loads onnxruntime-node, writes its artifacts, and sends
  // its manifest events to the main thread.
  assert.equal(result.trainingSteps, 64);
  assert.equal(result.artifacts.final_model, "extractors/probe/final_model.onnx");
  assert.deepEqual(events, ["evaluation_done", "checkpoint_written"]);
});
