// Symlinks inside a guarded run directory: every write, append, lock, mkdir and read
// the suite does there refuses a link on the way (the link's target, a "victim"
// outside the run, is hashed before and after), also in an extractor worker; the run
// directory itself may be a link.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { stringify } from "yaml";
import { parseScenario } from "../../../lib/config/mod.ts";
import {
  assertNoSymlinks,
  assertNoSymlinksBelow,
  guardDirectory,
  mkdirNoFollow,
  unguardDirectory,
  UnsafePathError,
} from "../../../lib/internal/safe_path.ts";
import {
  acquireFileLock,
  ManifestWriter,
  readManifest,
  sha256Hex,
  writeFileAtomic,
  writeTextFileAtomic,
} from "../../../lib/run/mod.ts";
import { testModeSettings, trainExtractorInWorker } from "../../../lib/train/mod.ts";

/** SHA-256 of every file under `dir` (by relative path), following nothing. */
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

async function fixture() {
  const base = await Deno.makeTempDir({ prefix: "safe-path-" });
  const run = nodePath.join(base, "run");
  const victim = nodePath.join(base, "victim");
  await Deno.mkdir(nodePath.join(run, "extractors", "a"), { recursive: true });
  await Deno.mkdir(victim);
  await Deno.writeTextFile(nodePath.join(victim, "data.txt"), "keep me\nunterminated");
  guardDirectory(run);
  return {
    base,
    run,
    victim,
    async cleanup() {
      unguardDirectory(run);
      await Deno.remove(base, { recursive: true });
    },
  };
}

async function refused(action: () => Promise<unknown>, link: string): Promise<void> {
  await assert.rejects(action, (error: Error) => {
    assert.ok(error instanceof UnsafePathError, `${error.name}: ${error.message}`);
    assert.ok(error.message.includes(link), error.message);
    assert.match(error.message, /symbolic link inside the run directory/);
    return true;
  });
}

Deno.test("writes, appends, locks, mkdirs and reads below a linked directory of a run are refused", async () => {
  const t = await fixture();
  try {
    const link = nodePath.join(t.run, "extractors", "a", "checkpoints");
    await Deno.symlink(t.victim, link);
    const before = await treeHash(t.victim);
    await refused(() => writeFileAtomic(nodePath.join(link, "x.ckpt"), new Uint8Array(8)), link);
    await refused(() => writeTextFileAtomic(nodePath.join(link, "data.txt"), "x"), link);
    await refused(() => ManifestWriter.open(nodePath.join(link, "data.txt")), link);
    await refused(() => acquireFileLock(nodePath.join(link, "training.lock")), link);
    await refused(() => mkdirNoFollow(nodePath.join(link, "sub")), link);
    await refused(() => readManifest(nodePath.join(link, "data.txt")), link);
    await refused(() => assertNoSymlinksBelow(t.run), link);
    assert.deepEqual(await treeHash(t.victim), before);
  } finally {
    await t.cleanup();
  }
});

Deno.test("a manifest that is a link is neither appended to nor repaired", async () => {
  const t = await fixture();
  try {
    const link = nodePath.join(t.run, "manifest.jsonl");
    await Deno.symlink(nodePath.join(t.victim, "data.txt"), link);
    const before = await treeHash(t.victim);
    await refused(() => ManifestWriter.open(link, { create: false }), link);
    assert.deepEqual(await treeHash(t.victim), before);
  } finally {
    await t.cleanup();
  }
});

Deno.test("the run directory itself may be a link; paths outside guarded directories are not checked", async () => {
  const t = await fixture();
  try {
    const alias = nodePath.join(t.base, "alias");
    await Deno.symlink(t.run, alias);
    guardDirectory(alias);
    try {
      await writeTextFileAtomic(nodePath.join(alias, "extractors", "a", "ok.txt"), "ok");
      await assertNoSymlinksBelow(alias);
    } finally {
      unguardDirectory(alias);
    }
    assert.equal(await Deno.readTextFile(nodePath.join(t.run, "extractors", "a", "ok.txt")), "ok");
    // Outside any guarded directory nothing is refused (the user's own files).
    await assertNoSymlinks(nodePath.join(t.base, "alias", "x"));
  } finally {
    await t.cleanup();
  }
});

Deno.test("an extractor worker refuses a checkpoints folder that is a link, writing nothing there", async () => {
  const t = await fixture();
  try {
    const extractorDir = nodePath.join(t.run, "extractors", "a");
    const link = nodePath.join(extractorDir, "checkpoints");
    await Deno.symlink(t.victim, link);
    const before = await treeHash(t.victim);
    const scenario = await parseScenario(
      stringify({
        run: { run_id: "links", total_timesteps: 64, eval_freq: 64, save_freq: 64, seed: 3 },
        env: { map: "open_field", episode_seconds: 2 },
        extractors: [{ name: "a", preset: "mlp_small" }],
      }),
      { file: nodePath.join(t.base, "scenario.yaml") },
    );
    await assert.rejects(
      () =>
        trainExtractorInWorker({
          profile: scenario.extractors[0],
          settings: testModeSettings(scenario.settings),
          extractorDir,
          runDir: t.run,
          manifest: { append: () => Promise.resolve() },
        }),
      (error: Error) => {
        assert.equal(error.name, "UnsafePathError", error.message);
        assert.ok(error.message.includes(link), error.message);
        return true;
      },
    );
    assert.deepEqual(await treeHash(t.victim), before);
  } finally {
    await t.cleanup();
  }
});
