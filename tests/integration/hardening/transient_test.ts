// Faults that cost no progress, against real runs of the default scenario in test
// mode, compared with one uninterrupted reference run: a disk that fills up mid-run
// (a small tmpfs; skipped where mounting one is not allowed) leaves the extractor
// resumable, and resume after freeing space ends bitwise like the reference; a
// garbled line of a kept eval_history.jsonl is warned about and rebuilt on resume.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { ManifestWriter, readManifest } from "../../../lib/run/mod.ts";
import {
  assertSameAsReference,
  finish,
  killAt,
  resume,
  runDirIn,
  spawnTrain,
} from "../resume/_harness.ts";

async function run(command: string, args: string[]): Promise<{ code: number; out: string }> {
  try {
    const result = await new Deno.Command(command, { args, stdout: "piped", stderr: "piped" })
      .output();
    return { code: result.code, out: new TextDecoder().decode(result.stdout) };
  } catch {
    return { code: -1, out: "" };
  }
}

/** Whether this machine lets the tests mount a tmpfs (root, and mount allowed). */
async function canMountTmpfs(): Promise<boolean> {
  if (Deno.build.os !== "linux" || Deno.uid() !== 0) return false;
  const dir = await Deno.makeTempDir({ prefix: "tmpfs-probe-" });
  try {
    const mounted = await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir]);
    if (mounted.code !== 0) return false;
    await run("umount", [dir]);
    return true;
  } finally {
    await Deno.remove(dir).catch(() => {});
  }
}

const TMPFS = await canMountTmpfs();

let reference: Promise<string> | null = null;

/** One uninterrupted run, shared by the tests. */
function referenceRun(): Promise<string> {
  reference ??= (async () => {
    const root = await Deno.makeTempDir({ prefix: "transient-reference-" });
    const done = await finish(await spawnTrain(root));
    assert.equal(done.code, 0, done.stderr);
    return (await runDirIn(root))!;
  })();
  return reference;
}

/** Bytes available on the file system of `dir` (df). */
async function available(dir: string): Promise<number> {
  const df = await run("df", ["-B1", "--output=avail", dir]);
  assert.equal(df.code, 0);
  return Number(df.out.trim().split("\n").pop());
}

/** Fill the file system of `dir` with `file`, leaving `slack` bytes free. */
async function fill(file: string, slack: number): Promise<void> {
  let left = (await available(nodePath.dirname(file))) - slack;
  const handle = await Deno.open(file, { write: true, create: true });
  const chunk = new Uint8Array(1 << 20).fill(1);
  try {
    while (left > 0) {
      const part = chunk.subarray(0, Math.min(chunk.length, left));
      let offset = 0;
      while (offset < part.length) offset += await handle.write(part.subarray(offset));
      left -= part.length;
    }
  } finally {
    handle.close();
  }
}

/**
 * Poll the run's manifest and send SIGSTOP to `child` once a checkpoint_written line
 * is there. Returns false when the child ended first (or after 120 s).
 */
async function stopAfterFirstCheckpoint(
  child: Deno.ChildProcess,
  root: string,
  output: Promise<unknown>,
): Promise<boolean> {
  let done = false;
  output.then(() => done = true, () => done = true);
  const deadline = Date.now() + 120_000;
  while (!done && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 3));
    const dir = await runDirIn(root);
    if (dir === null) continue;
    const text = await Deno.readTextFile(nodePath.join(dir, "manifest.jsonl")).catch(() => "");
    if (text.includes('"event":"checkpoint_written"')) {
      Deno.kill(child.pid, "SIGSTOP");
      return true;
    }
  }
  return false;
}

Deno.test({
  name:
    "a disk that fills up mid-run: the record says so without 'bug', and resume after freeing space ends like an uninterrupted run",
  ignore: !TMPFS,
  async fn() {
    const ref = await referenceRun();
    const mountPoint = await Deno.makeTempDir({ prefix: "tmpfs-full-" });
    assert.equal(
      (await run("mount", ["-t", "tmpfs", "-o", "size=48m", "tmpfs", mountPoint])).code,
      0,
    );
    try {
      const root = nodePath.join(mountPoint, "runs");
      const filler = nodePath.join(mountPoint, "filler");
      const child = await spawnTrain(root);
      const output = finish(child);
      // Stop the run right after its first checkpoint, fill the disk (a little room is
      // left for manifest lines, not for the next checkpoint), let it go on.
      const stopped = await stopAfterFirstCheckpoint(child, root, output);
      if (stopped) {
        await fill(filler, 96 * 1024);
        Deno.kill(child.pid, "SIGCONT");
      }
      const finished = output;
      assert.ok(stopped, "the run ended before its first checkpoint");
      const crashed = await finished;
      assert.notEqual(crashed.code, 0, "the run should have hit the full disk");
      assert.doesNotMatch(crashed.stderr, /bug/i);
      const runDir = (await runDirIn(root))!;
      const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
      const reasons = events.flatMap((e) =>
        e.event === "extractor_finished" && e.record.status === "failed" ? [e.record.reason] : []
      );
      assert.ok(
        reasons.some((r) => /^no space left on device: /.test(r ?? "")),
        `no failure names the full disk: ${JSON.stringify(reasons)} / ${crashed.stderr}`,
      );
      const checkpoints = events.filter((e) => e.event === "checkpoint_written").length;

      await Deno.remove(filler);
      const resumed = await resume([runDir]);
      assert.equal(resumed.code, 0, resumed.stderr);
      const after = (await readManifest(nodePath.join(runDir, "manifest.jsonl"))).events;
      const continued = after.filter((e) =>
        e.event === "extractor_started" && e.resumed_from !== undefined
      );
      assert.ok(checkpoints === 0 || continued.length > 0, "resume did not continue a checkpoint");
      await assertSameAsReference(runDir, ref);
    } finally {
      await run("umount", ["-l", mountPoint]);
      await Deno.remove(mountPoint, { recursive: true }).catch(() => {});
    }
  },
});

Deno.test("resume warns about and rebuilds a garbled line of eval_history.jsonl, ending like an uninterrupted run", async () => {
  const ref = await referenceRun();
  const root = await Deno.makeTempDir({ prefix: "garbled-" });
  try {
    const { killed } = await killAt(await spawnTrain(root), root, {
      event: "checkpoint_written",
      occurrence: 2,
    });
    assert.ok(killed);
    const runDir = (await runDirIn(root))!;
    // Trials may run at once: garble the history of an extractor that has both a
    // checkpoint to resume from and an evaluation on record.
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    const checkpointed = new Set(
      events.flatMap((e) => e.event === "checkpoint_written" ? [e.extractor] : []),
    );
    let history = "";
    let lines: string[] = [];
    for (const name of checkpointed) {
      const path = nodePath.join(runDir, "extractors", name, "eval_history.jsonl");
      const text = await Deno.readTextFile(path).catch(() => "");
      if (text.trim() !== "") [history, lines] = [path, text.split("\n")];
    }
    assert.ok(history !== "", "no checkpointed extractor had an evaluation on record");
    lines[0] = `${lines[0].slice(0, 20)}\u0007\u0000garbled`;
    await Deno.writeTextFile(history, lines.join("\n"));
    const resumed = await resume([runDir]);
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.match(resumed.stderr, /eval_history\.jsonl line 1 is garbled; it was rebuilt/);
    await assertSameAsReference(runDir, ref);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test({
  name: "a manifest append cut short by a full disk leaves no partial line behind",
  ignore: !TMPFS,
  async fn() {
    const mountPoint = await Deno.makeTempDir({ prefix: "tmpfs-manifest-" });
    assert.equal(
      (await run("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", mountPoint])).code,
      0,
    );
    try {
      const path = nodePath.join(mountPoint, "manifest.jsonl");
      const manifest = await ManifestWriter.open(path);
      const event = (size: number) => ({
        event: "summary_written" as const,
        files: { json: "x".repeat(size) },
        output_dir: mountPoint,
      });
      await manifest.append(event(10));
      const before = await Deno.readTextFile(path);
      await fill(nodePath.join(mountPoint, "filler"), 4096);
      await assert.rejects(() => manifest.append(event(64 * 1024)), /No space left on device/);
      assert.equal(await Deno.readTextFile(path), before);
      await Deno.remove(nodePath.join(mountPoint, "filler"));
      await manifest.append(event(20));
      manifest.close();
      const { events, torn } = await readManifest(path);
      assert.equal(torn, null);
      assert.equal(events.length, 2);
    } finally {
      await run("umount", ["-l", mountPoint]);
      await Deno.remove(mountPoint, { recursive: true }).catch(() => {});
    }
  },
});
