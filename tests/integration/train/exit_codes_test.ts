// `deno task train` on an output root it cannot write to and on a directory given as
// env.map: invalid input, so exit code 2, a message naming the flag or the key and
// line, and nothing created.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { REPO, train } from "./_train.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "train-exit-codes-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test("deno task train --output-root under /proc exits with 2 naming the flag", async () => {
  const root = "/proc/multi-extractor-no-such-root";
  const child = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "train", "--output-root", root],
    cwd: REPO,
    env: { NO_COLOR: "1", MULTI_EXTRACTOR_TEST_MODE: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  assert.equal(child.code, 2, stderr);
  assert.match(stderr, /--output-root: \/proc\/multi-extractor-no-such-root is a system path/);
  assert.doesNotMatch(stderr, /--allow-all/);
  assert.equal(await Deno.lstat(root).then(() => true, () => false), false);
});

Deno.test({
  name: "deno task train into a read-only directory exits with 2 and creates nothing",
  // The superuser may write into any directory whatever its mode.
  ignore: Deno.build.os === "windows" || Deno.uid() === 0,
  async fn() {
    await withDir(async (dir) => {
      const locked = nodePath.join(dir, "locked");
      await Deno.mkdir(locked, { mode: 0o555 });
      try {
        const result = await train([], {
          root: nodePath.join(locked, "runs"),
          env: { MULTI_EXTRACTOR_TEST_MODE: "1" },
        });
        assert.equal(result.code, 2, result.stderr);
        assert.match(result.stderr, /--output-root: .*locked is not writable/);
        assert.deepEqual(await entries(locked), []);
      } finally {
        await Deno.chmod(locked, 0o755);
      }
    });
  },
});

Deno.test("deno task train with a directory as env.map exits with 2 naming the key and line", async () => {
  await withDir(async (dir) => {
    const maps = nodePath.join(dir, "maps");
    await Deno.mkdir(maps);
    const file = nodePath.join(dir, "dir_map.yaml");
    await Deno.writeTextFile(
      file,
      `run:\n  run_id: dir_map\nenv:\n  map: ${maps}\nextractors:\n  - {name: a, preset: mlp_small}\n`,
    );
    const root = nodePath.join(dir, "runs");
    const result = await train(["--config", file], {
      root,
      env: { MULTI_EXTRACTOR_TEST_MODE: "1" },
    });
    assert.equal(result.code, 2, result.stderr);
    assert.ok(
      result.stderr.includes(`${file}:4:8: env.map: ${maps} is not a file but a directory`),
      result.stderr,
    );
    assert.deepEqual(result.runDirs, []);
    assert.deepEqual(await entries(dir), ["dir_map.yaml", "maps"]);
  });
});
