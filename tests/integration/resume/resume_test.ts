// `deno task resume` against real runs of the default comparison in test mode
// (2 extractors one after another, single-thread, 256 steps each): runs killed with SIGKILL at many
// points are resumed and must end bitwise like one uninterrupted reference run;
// damaged and refused run directories are handled as documented.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { type ManifestEvent, readManifest } from "../../../lib/run/mod.ts";
import {
  assertSameAsReference,
  assertSameFiles,
  copyTree,
  EXTRACTORS,
  finish,
  killAt,
  type KillPoint,
  killResumeAt,
  resume,
  runDirIn,
  snapshotFiles,
  spawnResume,
  spawnTrain,
} from "./_harness.ts";

/**
 * The extractors one after another (the crash points below name events of one
 * extractor before the other starts); resume of parallel runs: resume_parallel_test.ts.
 */
const SEQUENTIAL = ["--set", "run.parallel_extractors=1"];

/** Kill points: right after each kind of manifest event, and seeded random delays. */
const EVENT_POINTS: { event: string; occurrence: number }[] = [
  { event: "run_started", occurrence: 1 },
  { event: "extractor_started", occurrence: 1 },
  { event: "evaluation_done", occurrence: 1 },
  { event: "checkpoint_written", occurrence: 1 },
  { event: "checkpoint_written", occurrence: 2 },
  { event: "extractor_finished", occurrence: 1 },
  { event: "extractor_started", occurrence: 2 },
  { event: "summary_written", occurrence: 1 },
];
const RANDOM_POINTS = 3;
const RANDOM_SEED = 20261129;

function describe(point: KillPoint): string {
  return "event" in point
    ? `right after ${point.event} #${point.occurrence}`
    : `${point.delayMs} ms after run_started`;
}

/**
 * A copy of `reference` as a crash right after the first manifest line matching
 * `cut` would leave it: the manifest up to that line, no summary files when no
 * summary_written is left, no directory for an extractor that never started. (Files
 * written after the line stay: the crash may come before their events.)
 */
async function crashedCopy(
  reference: string,
  into: string,
  cut: (event: ManifestEvent) => boolean,
): Promise<string> {
  const dir = nodePath.join(into, nodePath.basename(reference));
  await copyTree(reference, dir);
  const manifestPath = nodePath.join(dir, "manifest.jsonl");
  const lines = (await Deno.readTextFile(manifestPath)).split("\n").filter((l) => l !== "");
  const index = lines.findIndex((line) => cut(JSON.parse(line)));
  assert.ok(index >= 0, "the cut matches no manifest line");
  const kept = lines.slice(0, index + 1);
  await Deno.writeTextFile(manifestPath, kept.map((l) => `${l}\n`).join(""));
  const events = kept.map((line) => JSON.parse(line) as ManifestEvent);
  if (!events.some((e) => e.event === "summary_written")) {
    for (const name of ["summary.json", "summary.md", "complete_results.json", "figures"]) {
      await Deno.remove(nodePath.join(dir, name), { recursive: true });
    }
  }
  for (const name of EXTRACTORS) {
    if (!events.some((e) => e.event === "extractor_started" && e.extractor === name)) {
      await Deno.remove(nodePath.join(dir, "extractors", name), { recursive: true });
    }
  }
  return dir;
}

const after = (kind: string, extractor: string, step?: number) => (e: ManifestEvent) =>
  e.event === kind && "extractor" in e && e.extractor === extractor &&
  (step === undefined || (e.event === "checkpoint_written" && e.step === step));

Deno.test("resume finishes runs killed anywhere, bitwise like the uninterrupted run", async (t) => {
  const base = await Deno.makeTempDir({ prefix: "resume-it-" });
  try {
    // One uninterrupted reference run, shared by every case.
    const refRoot = nodePath.join(base, "reference");
    const straight = await finish(await spawnTrain(refRoot, SEQUENTIAL));
    assert.equal(straight.code, 0, straight.stderr);
    const reference = (await runDirIn(refRoot))!;

    // Random kill moments fall within the first 80 % of the reference run's training
    // (run_started to the last extractor_finished), which depends on the machine.
    const { events: referenceEvents } = await readManifest(
      nodePath.join(reference, "manifest.jsonl"),
    );
    const eventTime = (kind: string) =>
      Date.parse(referenceEvents.findLast((e) => e.event === kind)!.time);
    const spanMs = eventTime("extractor_finished") - eventTime("run_started");
    const rng = new SeededRng(RANDOM_SEED);
    const points: KillPoint[] = [
      ...EVENT_POINTS,
      ...Array.from({ length: RANDOM_POINTS }, () => ({
        delayMs: Math.round(rng.uniformRange(0, 0.8 * spanMs)),
      })),
    ];
    for (const [index, point] of points.entries()) {
      await t.step(`kill -9 ${describe(point)}, then resume`, async () => {
        const root = nodePath.join(base, `kill-${index}`);
        const { killed, finished } = await killAt(await spawnTrain(root, SEQUENTIAL), root, point);
        // The last event is followed by the process's exit: the kill may come too late;
        // a random moment may too, on a run faster than the reference (then the resume
        // finds a finished run, which must still equal the reference).
        if ("event" in point && point.event !== "summary_written") {
          assert.ok(killed && finished.signal === "SIGKILL", `not killed: ${finished.stderr}`);
        }
        const runDir = (await runDirIn(root))!;
        const resumed = await resume([runDir]);
        assert.equal(resumed.code, 0, resumed.stderr);
        await assertSameAsReference(runDir, reference);
      });
    }

    await t.step("kill -9 a resume right after run_resumed, then resume again", async () => {
      const root = nodePath.join(base, "kill-resume");
      const first = await killAt(await spawnTrain(root, SEQUENTIAL), root, {
        event: "checkpoint_written",
        occurrence: 1,
      });
      assert.ok(first.killed);
      const runDir = (await runDirIn(root))!;
      const second = await killResumeAt(runDir, { event: "run_resumed", occurrence: 1 });
      assert.ok(second.killed && second.finished.signal === "SIGKILL");
      const third = await resume([runDir]);
      assert.equal(third.code, 0, third.stderr);
      await assertSameAsReference(runDir, reference);
      const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
      assert.equal(events.filter((e) => e.event === "run_resumed").length, 2);
    });

    await t.step("resume of a finished run says so and changes no file", async () => {
      const before = await snapshotFiles(reference);
      const result = await resume([reference]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /is finished; nothing to resume/);
      assertSameFiles(before, await snapshotFiles(reference));
    });

    await t.step("a torn last manifest line is removed and the run completes", async () => {
      const runDir = await crashedCopy(
        reference,
        nodePath.join(base, "torn"),
        after("checkpoint_written", "dynamics_original", 128),
      );
      await Deno.writeTextFile(
        nodePath.join(runDir, "manifest.jsonl"),
        '{"format_version":2,"event":"evaluation_done","time":"2026-11-29T12:0',
        { append: true },
      );
      const result = await resume([runDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /WARN +Removed a line of \d+ bytes that a crash cut short/);
      await assertSameAsReference(runDir, reference);
    });

    await t.step("a truncated newest checkpoint falls back to the previous one", async () => {
      const runDir = await crashedCopy(
        reference,
        nodePath.join(base, "truncated"),
        after("checkpoint_written", "mlp_small", 256),
      );
      const ckpt = nodePath.join(
        runDir,
        "extractors/mlp_small/checkpoints/checkpoint_256_steps.ckpt",
      );
      const bytes = await Deno.readFile(ckpt);
      await Deno.writeFile(ckpt, bytes.subarray(0, bytes.length - 1000));
      const result = await resume([runDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(
        result.stderr,
        /WARN +mlp_small: checkpoint extractors\/mlp_small\/checkpoints\/checkpoint_256_steps\.ckpt does not match the SHA-256 of its checkpoint_written event .*; falling back to the previous checkpoint/,
      );
      assert.match(
        result.stderr,
        /Continuing mlp_small from .*checkpoint_128_steps\.ckpt \(step 128\)/,
      );
      await assertSameAsReference(runDir, reference);
    });

    await t.step("with no good checkpoint left the extractor restarts from scratch", async () => {
      const runDir = await crashedCopy(
        reference,
        nodePath.join(base, "no-good-checkpoint"),
        after("checkpoint_written", "mlp_small", 256),
      );
      const dir = nodePath.join(runDir, "extractors/mlp_small/checkpoints");
      await Deno.writeTextFile(nodePath.join(dir, "checkpoint_128_steps.ckpt"), "garbage");
      await Deno.remove(nodePath.join(dir, "checkpoint_256_steps.ckpt"));
      const result = await resume([runDir]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /checkpoint_256_steps\.ckpt is missing; falling back/);
      assert.match(result.stderr, /no good checkpoint is left, so it restarts from scratch/);
      assert.match(result.stderr, /Resuming .*: dynamics_original keep, mlp_small restart/);
      await assertSameAsReference(runDir, reference);
    });

    await t.step("an edited scenario copy is refused and nothing changes", async () => {
      const runDir = await crashedCopy(
        reference,
        nodePath.join(base, "edited"),
        after("checkpoint_written", "dynamics_original", 128),
      );
      await Deno.writeTextFile(nodePath.join(runDir, "scenario.yaml"), "# edited\n", {
        append: true,
      });
      const before = await snapshotFiles(runDir);
      const result = await resume([runDir]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(
        result.stderr,
        /ERROR +The scenario was edited since the run started: .*scenario\.yaml has SHA-256 [0-9a-f]{64}, run_started recorded [0-9a-f]{64}/,
      );
      assertSameFiles(before, await snapshotFiles(runDir));
    });

    await t.step(
      "a manifest line of a newer format version is refused and nothing changes",
      async () => {
        const runDir = await crashedCopy(
          reference,
          nodePath.join(base, "newer"),
          after("checkpoint_written", "dynamics_original", 128),
        );
        await Deno.writeTextFile(
          nodePath.join(runDir, "manifest.jsonl"),
          '{"format_version":3,"event":"run_paused","time":"2027-01-01T00:00:00Z"}\n',
          { append: true },
        );
        const before = await snapshotFiles(runDir);
        const result = await resume([runDir]);
        assert.equal(result.code, 2, result.stderr);
        assert.match(
          result.stderr,
          /manifest\.jsonl:5: written by a newer version of multi-extractor \(manifest format_version 3; this version reads up to 2\)/,
        );
        assertSameFiles(before, await snapshotFiles(runDir));
      },
    );

    await t.step("--latest resumes the newest run under the output root", async () => {
      const root = nodePath.join(base, "latest");
      const older = nodePath.join(root, "20250101-000000-default");
      await copyTree(
        await crashedCopy(
          reference,
          nodePath.join(base, "latest-src-a"),
          after("extractor_started", "dynamics_original"),
        ),
        older,
      );
      const newer = nodePath.join(root, "20260101-000000-default");
      await copyTree(
        await crashedCopy(
          reference,
          nodePath.join(base, "latest-src-b"),
          after("extractor_finished", "dynamics_original"),
        ),
        newer,
      );
      await Deno.mkdir(nodePath.join(root, "20270101-000000-empty")); // no manifest: not a run
      const untouched = await snapshotFiles(older);
      const result = await resume(["--latest", "--output-root", root]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Newest run under .*20260101-000000-default/);
      await assertSameAsReference(newer, reference);
      assertSameFiles(untouched, await snapshotFiles(older));
    });

    await t.step("--only resumes one extractor and leaves the other's files alone", async () => {
      const runDir = await crashedCopy(
        reference,
        nodePath.join(base, "only"),
        after("checkpoint_written", "dynamics_original", 128),
      );
      const other = nodePath.join(runDir, "extractors/dynamics_original");
      const before = await snapshotFiles(other);
      const result = await resume([runDir, "--only", "mlp_small"]);
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stderr, /Resuming .*: mlp_small start$/m);
      assertSameFiles(before, await snapshotFiles(other));
      const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
      assert.deepEqual(
        summary.extractor_results.map((r: { status: string }) => r.status),
        ["failed", "success"],
      );
      assert.match(
        summary.extractor_results[0].reason,
        /^Interrupted: the extractor started but never finished/,
      );
      const rest = await resume([runDir]);
      assert.equal(rest.code, 0, rest.stderr);
      assert.match(rest.stderr, /Resuming .*: dynamics_original continue, mlp_small keep/);
      await assertSameAsReference(runDir, reference);
    });

    await t.step("two --only processes finish one run side by side", async () => {
      const runDir = await crashedCopy(
        reference,
        nodePath.join(base, "concurrent"),
        (e) => e.event === "run_started",
      );
      const children = await Promise.all(
        EXTRACTORS.map((name) => spawnResume([runDir, "--only", name])),
      );
      const results = await Promise.all(children.map(finish));
      for (const result of results) assert.equal(result.code, 0, result.stderr);
      await assertSameAsReference(runDir, reference);
      const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
      const selections = events.flatMap((e) => e.event === "run_resumed" ? [e.only] : []);
      assert.deepEqual(selections.sort(), EXTRACTORS.map((name) => [name]));
    });
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});
