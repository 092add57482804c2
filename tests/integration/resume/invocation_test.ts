// `deno task resume` on invalid invocations: exit codes and messages, nothing written.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { createRun, prepareComparison } from "../../../lib/train/mod.ts";
import { hostReport } from "../../unit/train/_helpers.ts";
import { REPO, resume, snapshotFiles } from "./_harness.ts";
import { taskRunArgs } from "../../fixtures/tasks.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "resume-invocation-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function stdoutOf(args: string[]): Promise<{ code: number; stdout: string }> {
  const words = await taskRunArgs("resume");
  const output = await new Deno.Command(Deno.execPath(), {
    args: [...words, ...args],
    cwd: REPO,
    stdout: "piped",
    stderr: "null",
  }).output();
  return { code: output.code, stdout: new TextDecoder().decode(output.stdout) };
}

Deno.test("deno task resume --help lists the flags and exits with 0", async () => {
  const { code, stdout } = await stdoutOf(["--help"]);
  assert.equal(code, 0);
  for (const flag of ["--latest", "--output-root", "--only", "--retry-failed", "--quiet"]) {
    assert.ok(stdout.includes(flag), flag);
  }
});

Deno.test("deno task resume rejects a missing, doubled or misplaced argument with exit code 2", async () => {
  const cases: [string[], RegExp][] = [
    [[], /resume: Missing run directory \(or --latest\)/],
    [["a", "b"], /Unexpected argument "b"/],
    [["a", "--latest"], /either a run directory or --latest, not both/],
    [["a", "--output-root", "/tmp"], /--output-root only goes with --latest/],
    [["--lastest"], /Unknown option '--lastest'/],
  ];
  for (const [args, message] of cases) {
    const result = await resume(args);
    assert.equal(result.code, 2, args.join(" "));
    assert.match(result.stderr, message);
  }
});

Deno.test("deno task resume refuses a directory that is no run and --latest without runs", async () => {
  await withDir(async (dir) => {
    const notRun = await resume([dir]);
    assert.equal(notRun.code, 2);
    assert.match(notRun.stderr, /ERROR +.* has no manifest\.jsonl: it is not a run directory/);
    const latest = await resume(["--latest", "--output-root", dir]);
    assert.equal(latest.code, 2);
    assert.match(latest.stderr, /ERROR +--latest: no run directory under /);
    assert.deepEqual([...(await snapshotFiles(dir)).keys()], []);
  });
});

Deno.test("deno task resume names a run directory or --output-root that is a file or missing, with exit code 2", async () => {
  await withDir(async (dir) => {
    const file = nodePath.join(dir, "notes.txt");
    await Deno.writeTextFile(file, "not a run");
    const missing = nodePath.join(dir, "no_such_run");
    const cases: [string[], RegExp][] = [
      [[file], /ERROR +.*notes\.txt is not a directory \(resume needs a run directory\)/],
      [[missing], /ERROR +.*no_such_run does not exist/],
      [["--latest", "--output-root", file], /ERROR +--latest: .*notes\.txt is not a directory/],
    ];
    for (const [args, message] of cases) {
      const result = await resume(args);
      assert.equal(result.code, 2, args.join(" "));
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /os error/);
    }
    assert.deepEqual([...(await snapshotFiles(dir)).keys()], ["notes.txt"]);
  });
});

Deno.test("deno task resume --only with a name that is no extractor of the run exits with 2", async () => {
  await withDir(async (dir) => {
    const prepared = await prepareComparison(
      nodePath.join(REPO, "configs/scenarios/multi_extractor_default.yaml"),
      { outputRoot: dir, hardware: hostReport(), testMode: true },
    );
    const created = await createRun(prepared);
    await created.close();
    const before = await snapshotFiles(created.run.path);
    const result = await resume([created.run.path, "--only", "mlp_smal"]);
    assert.equal(result.code, 2);
    assert.match(
      result.stderr,
      /--only: "mlp_smal" names no extractor of this run \(did you mean "mlp_small"\?\)/,
    );
    const after = await snapshotFiles(created.run.path);
    assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  });
});
