// Symlinks planted inside a real run directory (train killed with SIGKILL after its
// first checkpoint): resume and summarize refuse them with exit 2, naming the link,
// before anything is read through them or written. The link targets ("victims")
// outside the run are hashed before and after, and nothing inside the run is lost.
// A run directory reached through a link resumes as usual.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { sha256Hex } from "../../../lib/run/mod.ts";
import { copyTree, finish, killAt, REPO, resume, spawnTrain } from "../resume/_harness.ts";

/** SHA-256 of every plain file under `dir`, by relative path (links are not followed). */
async function treeHash(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(nodePath.join(dir, sub))) {
      const rel = nodePath.join(sub, entry.name);
      if (entry.isDirectory) await walk(rel);
      else if (entry.isFile) {
        out[rel] = await sha256Hex(await Deno.readFile(nodePath.join(dir, rel)));
      } else out[rel] = "link";
    }
  };
  await walk("");
  return out;
}

const crashed = new Map<string, Promise<{ base: string; runDir: string }>>();

/**
 * One run of the default scenario (test mode), killed right after its first checkpoint:
 * "sequential" trains one extractor at a time (the second has not started at the kill),
 * "parallel" both at once in extractor workers (the default on a 2-core host).
 */
function crashedRun(
  mode: "sequential" | "parallel",
): Promise<{ base: string; runDir: string }> {
  let run = crashed.get(mode);
  if (run === undefined) {
    run = (async () => {
      const base = await Deno.makeTempDir({ prefix: "symlink-attacks-" });
      const root = nodePath.join(base, "crashed");
      const args = mode === "sequential"
        ? ["--set", "run.parallel_extractors=1"]
        : ["--set", "run.parallel_extractors=2"];
      const { killed } = await killAt(await spawnTrain(root, args), root, {
        event: "checkpoint_written",
        occurrence: 1,
      });
      assert.ok(killed, "the train process ended before its first checkpoint");
      const [name] = await Array.fromAsync(Deno.readDir(root));
      return { base, runDir: nodePath.join(root, name.name) };
    })();
    crashed.set(mode, run);
  }
  return run;
}

/** A fresh copy of the crashed run and a victim directory beside it. */
async function attackSetup(label: string, mode: "sequential" | "parallel" = "sequential") {
  const { base, runDir } = await crashedRun(mode);
  const dir = nodePath.join(base, label);
  const run = nodePath.join(dir, nodePath.basename(runDir));
  await copyTree(runDir, run);
  const victim = nodePath.join(dir, "victim");
  await Deno.mkdir(victim);
  await Deno.writeTextFile(nodePath.join(victim, "notes.jsonl"), '{"a":1}\n{"cut me');
  return { run, victim };
}

async function assertRefused(
  args: string[],
  task: "resume" | "summarize",
  run: string,
  victim: string,
  link: string,
): Promise<void> {
  const before = { victim: await treeHash(victim), run: await treeHash(run) };
  const log = nodePath.join(run, "run.log.jsonl");
  const logBefore = await Deno.readTextFile(log).catch(() => null);
  const result = task === "resume" ? await resume(args) : await summarize(args);
  assert.equal(result.code, 2, result.stderr);
  assert.ok(result.stderr.includes(link), result.stderr);
  assert.match(result.stderr, /symbolic link inside the run directory/);
  assert.deepEqual(await treeHash(victim), before.victim, "a file outside the run changed");
  // Nothing inside the run is lost: every file keeps its bytes, except that the run's
  // own log may have gained the refusal.
  const after = await treeHash(run);
  if (logBefore !== null && !(await Deno.lstat(log)).isSymlink) {
    assert.ok((await Deno.readTextFile(log)).startsWith(logBefore), "run.log.jsonl lost lines");
    delete after["run.log.jsonl"];
    delete before.run["run.log.jsonl"];
  }
  assert.deepEqual(after, before.run, "the run directory changed");
}

async function summarize(args: string[]) {
  const config = JSON.parse(await Deno.readTextFile(nodePath.join(REPO, "deno.json")));
  const words = (config.tasks.summarize as string).split(/\s+/).slice(1);
  return await finish(
    new Deno.Command(Deno.execPath(), {
      args: [...words, ...args],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "null",
      stderr: "piped",
    }).spawn(),
  );
}

Deno.test("resume refuses a checkpoints folder that links outside the run", async () => {
  const { run, victim } = await attackSetup("checkpoints");
  const checkpoints = nodePath.join(run, "extractors", "dynamics_original", "checkpoints");
  for await (const entry of Deno.readDir(checkpoints)) {
    await Deno.rename(nodePath.join(checkpoints, entry.name), nodePath.join(victim, entry.name));
  }
  await Deno.remove(checkpoints);
  await Deno.symlink(victim, checkpoints);
  await assertRefused([run], "resume", run, victim, checkpoints);
});

Deno.test("resume refuses an extractor directory not yet started that links outside the run", async () => {
  const { run, victim } = await attackSetup("extractor");
  const link = nodePath.join(run, "extractors", "mlp_small");
  await Deno.symlink(victim, link);
  await assertRefused([run], "resume", run, victim, link);
});

Deno.test("resume refuses a manifest.jsonl or run.log.jsonl that links to another file", async () => {
  for (const name of ["manifest.jsonl", "run.log.jsonl"]) {
    const { run, victim } = await attackSetup(name);
    const link = nodePath.join(run, name);
    const target = nodePath.join(victim, "notes.jsonl");
    if (name === "manifest.jsonl") {
      await Deno.copyFile(link, target); // a real manifest, with an unterminated last line
      await Deno.writeTextFile(target, '{"cut', { append: true });
    }
    await Deno.remove(link).catch(() => {});
    await Deno.symlink(target, link);
    await assertRefused([run], "resume", run, victim, link);
  }
});

Deno.test("summarize refuses a figures folder that links outside the run", async () => {
  const { run, victim } = await attackSetup("figures");
  const link = nodePath.join(run, "figures");
  await Deno.remove(link, { recursive: true }).catch(() => {});
  await Deno.symlink(victim, link);
  await assertRefused([run], "summarize", run, victim, link);
});

Deno.test("a run directory reached through a link resumes to the end", async () => {
  // Resumed in extractor workers, whose file permissions must cover the link's target.
  const { run } = await attackSetup("alias", "parallel");
  const alias = nodePath.join(nodePath.dirname(run), "alias-of-run");
  await Deno.symlink(run, alias);
  const result = await resume([alias]);
  assert.equal(result.code, 0, result.stderr);
  const summary = JSON.parse(await Deno.readTextFile(nodePath.join(run, "summary.json")));
  assert.deepEqual(
    summary.extractor_results.map((r: { status: string }) => r.status),
    ["success", "success"],
  );
  await Deno.remove(nodePath.dirname(nodePath.dirname(run)), { recursive: true });
});
