import assert from "node:assert/strict";
import {
  emitForwardedLog,
  type ForwardedLogRecord,
  getSuiteLogger,
  setupForwardedLogging,
  setupLogging,
  verbosityFromFlags,
} from "../../../lib/log/mod.ts";
import { logExtractorFailed, logExtractorSkipped } from "../../../lib/train/failures.ts";

async function capture(verbosity: "quiet" | "normal" | "verbose", runLog?: string) {
  const lines: string[] = [];
  const session = await setupLogging({ verbosity, consoleWriter: (text) => lines.push(text) });
  if (runLog !== undefined) await session.attachRunLog(runLog);
  const logger = getSuiteLogger("test");
  logger.debug("debug detail {n}", { n: 1 });
  logger.info("run {id} started", { id: "default" });
  logExtractorSkipped(logger, "cnn", { reason: "CUDA unavailable", hint: "set device: cpu" });
  logExtractorFailed(logger, "att", { reason: "out of memory", hint: "lower embed_dim" });
  await session.close();
  return lines;
}

Deno.test("the console shows info and up by default, without quotes around values", async () => {
  assert.deepEqual(await capture("normal"), [
    "INFO  run default started\n",
    "WARN  Extractor cnn skipped: CUDA unavailable (hint: set device: cpu)\n",
    "ERROR Extractor att failed: out of memory (hint: lower embed_dim)\n",
  ]);
});

Deno.test("--quiet keeps warnings and errors; --verbose adds debug", async () => {
  assert.equal((await capture("quiet")).length, 2);
  const verbose = await capture("verbose");
  assert.equal(verbose.length, 4);
  assert.equal(verbose[0], "DEBUG debug detail 1\n");
});

Deno.test("the run log gets every record as JSON with level, extractor and hint", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/run.log.jsonl`;
    await capture("quiet", path);
    const records = (await Deno.readTextFile(path)).trimEnd().split("\n").map((l) => JSON.parse(l));
    assert.deepEqual(records.map((r) => r.level), ["DEBUG", "INFO", "WARN", "ERROR"]);
    assert.equal(records[2].logger, "multi-extractor.test");
    assert.deepEqual(records[2].properties, {
      extractor: "cnn",
      reason: "CUDA unavailable",
      hint: "set device: cpu",
    });
    assert.equal(records[3].properties.extractor, "att");
    assert.ok(!Number.isNaN(Date.parse(records[0]["@timestamp"])));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("verbosityFromFlags() refuses --verbose with --quiet", () => {
  assert.equal(verbosityFromFlags({}), "normal");
  assert.equal(verbosityFromFlags({ quiet: true }), "quiet");
  assert.equal(verbosityFromFlags({ verbose: true }), "verbose");
  assert.throws(() => verbosityFromFlags({ verbose: true, quiet: true }), RangeError);
});

Deno.test("a record logged in a worker's forwarding setup is logged where it is emitted, values and run log included", async () => {
  const forwarded: ForwardedLogRecord[] = [];
  await setupForwardedLogging((record) => forwarded.push(structuredClone(record)));
  const logger = getSuiteLogger("train");
  logger.debug("kept for the run log {n}", { n: 7 });
  logger.warn("{path} line {line} is garbled; it was rebuilt", {
    path: "extractors/a/eval_history.jsonl",
    line: 3,
    callback: () => 1, // not cloneable: travels as text
  });
  assert.equal(forwarded.length, 2);
  assert.equal(typeof forwarded[1].properties.callback, "string");

  const dir = await Deno.makeTempDir();
  try {
    const lines: string[] = [];
    const session = await setupLogging({ consoleWriter: (text) => lines.push(text) });
    await session.attachRunLog(`${dir}/run.log.jsonl`);
    for (const record of forwarded) emitForwardedLog(record);
    await session.close();
    assert.deepEqual(lines, [
      "WARN  extractors/a/eval_history.jsonl line 3 is garbled; it was rebuilt\n",
    ]);
    const log = (await Deno.readTextFile(`${dir}/run.log.jsonl`)).trim().split("\n")
      .map((line) => JSON.parse(line));
    assert.deepEqual(log.map((r) => [r.level, r.message, r.logger]), [
      ["DEBUG", "kept for the run log 7", "multi-extractor.train"],
      [
        "WARN",
        '"extractors/a/eval_history.jsonl" line 3 is garbled; it was rebuilt',
        "multi-extractor.train",
      ],
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
