// Resume of a run trained with run.parallel_extractors 2: both extractors train at
// once in extractor workers when the process is killed with SIGKILL; `deno task
// resume` (which trains them in workers again) must give bitwise the results of the
// uninterrupted parallel run (itself bitwise the sequential one: train/parallel_test.ts).
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { parseDocument } from "yaml";
import { readManifest } from "../../../lib/run/mod.ts";
import {
  assertSameAsReference,
  finish,
  killAt,
  REPO,
  resume,
  runDirIn,
  spawnTrain,
} from "./_harness.ts";

Deno.test("a parallel_extractors 2 run killed with SIGKILL while both train resumes to the uninterrupted run's results", async () => {
  const base = await Deno.makeTempDir({ prefix: "resume-parallel-" });
  try {
    const document = parseDocument(
      await Deno.readTextFile(
        nodePath.join(REPO, "configs/scenarios/multi_extractor_default.yaml"),
      ),
    );
    document.setIn(["run", "parallel_extractors"], 2);
    const config = nodePath.join(base, "parallel.yaml");
    await Deno.writeTextFile(config, document.toString());

    const refRoot = nodePath.join(base, "reference");
    const straight = await finish(await spawnTrain(refRoot, ["--config", config]));
    assert.equal(straight.code, 0, straight.stderr);
    const reference = (await runDirIn(refRoot))!;

    const root = nodePath.join(base, "killed");
    // Both extractors begin at once, so both are training at the first checkpoint.
    const { killed, finished } = await killAt(await spawnTrain(root, ["--config", config]), root, {
      event: "checkpoint_written",
      occurrence: 1,
    });
    assert.ok(killed && finished.signal === "SIGKILL", `not killed: ${finished.stderr}`);
    const runDir = (await runDirIn(root))!;
    const before = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    assert.equal(
      before.events.filter((e) => e.event === "extractor_started").length,
      2,
      "both extractors were training when killed",
    );
    assert.ok(!before.events.some((e) => e.event === "extractor_finished"));

    const resumed = await resume([runDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /each in its own worker/);
    await assertSameAsReference(runDir, reference);
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    assert.equal(events.filter((e) => e.event === "run_resumed").length, 1);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
