import assert from "node:assert/strict";
import { getSuiteLogger, setupLogging, verbosityFromFlags } from "../../../lib/log/mod.ts";
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
