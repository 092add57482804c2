import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  removeStaleTempFiles,
  writeFileAtomic,
  writeJsonFileAtomic,
  writeTextFileAtomic,
} from "../../../lib/run/mod.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
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

Deno.test("writeJsonFileAtomic() writes indented JSON with a final newline", async () => {
  await withDir(async (dir) => {
    await writeJsonFileAtomic(`${dir}/a.json`, { b: [1, 2] });
    assert.equal(await Deno.readTextFile(`${dir}/a.json`), '{\n  "b": [\n    1,\n    2\n  ]\n}\n');
    assert.deepEqual(await entries(dir), ["a.json"]);
  });
});

Deno.test("writeTextFileAtomic() replaces an existing file", async () => {
  await withDir(async (dir) => {
    await writeTextFileAtomic(`${dir}/s.md`, "old");
    await writeTextFileAtomic(`${dir}/s.md`, "new");
    assert.equal(await Deno.readTextFile(`${dir}/s.md`), "new");
  });
});

Deno.test("writeFileAtomic() leaves the old file intact when the write fails midway", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/checkpoint.bin`;
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    async function* failing() {
      yield new Uint8Array(1 << 20).fill(7); // 1 MiB reaches the temp file
      throw new Error("disk went away");
    }
    await assert.rejects(() => writeFileAtomic(path, failing()), /disk went away/);
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    assert.deepEqual(await entries(dir), ["checkpoint.bin"], "the temp file is removed");
  });
});

Deno.test("writeFileAtomic() streams chunks in order", async () => {
  await withDir(async (dir) => {
    const chunks = [new Uint8Array([1, 2]), new Uint8Array([]), new Uint8Array([3])];
    await writeFileAtomic(`${dir}/c.bin`, chunks);
    assert.deepEqual(await Deno.readFile(`${dir}/c.bin`), new Uint8Array([1, 2, 3]));
  });
});

Deno.test("writeJsonFileAtomic() refuses unserialisable values before touching the file", async () => {
  await withDir(async (dir) => {
    await writeJsonFileAtomic(`${dir}/m.json`, { ok: true });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(() => writeJsonFileAtomic(`${dir}/m.json`, cyclic), TypeError);
    await assert.rejects(() => writeJsonFileAtomic(`${dir}/m.json`, { n: 1n }), TypeError);
    await assert.rejects(() => writeJsonFileAtomic(`${dir}/m.json`, undefined), TypeError);
    assert.equal(await Deno.readTextFile(`${dir}/m.json`), '{\n  "ok": true\n}\n');
    assert.deepEqual(await entries(dir), ["m.json"]);
  });
});

Deno.test("writeFileAtomic() fails with NotFound when the directory is missing", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      () => writeTextFileAtomic(`${dir}/missing/x.txt`, "x"),
      Deno.errors.NotFound,
    );
  });
});

Deno.test("a reader never sees a partial file while writes replace it", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/summary.json`;
    const big = (n: number) => ({ n, pad: "x".repeat(200_000) });
    await writeJsonFileAtomic(path, big(0));
    let reads = 0;
    const writer = (async () => {
      for (let n = 1; n <= 20; n++) await writeJsonFileAtomic(path, big(n));
    })();
    let done = false;
    writer.finally(() => (done = true));
    while (!done) {
      const value = JSON.parse(await Deno.readTextFile(path)); // throws on a partial file
      assert.equal(value.pad.length, 200_000);
      reads++;
    }
    await writer;
    assert.ok(reads > 0);
  });
});

Deno.test("writeFileAtomic() skips temporary names another process already holds", async () => {
  await withDir(async (dir) => {
    // Learn this process's next temporary name while a write is under way.
    let seen = "";
    async function* observing() {
      seen = (await entries(dir)).find((name) => name.endsWith(".tmp")) ?? "";
      yield new Uint8Array([1]);
    }
    await writeFileAtomic(`${dir}/probe.bin`, observing());
    const match = /^\.probe\.bin\.(\d+)-(\d+)\.tmp$/.exec(seen);
    assert.ok(match, `temporary name ${seen}`);
    const [pid, counter] = [Number(match[1]), Number(match[2])];
    assert.equal(pid, Deno.pid);
    // A process with the same id on another host (a SLURM array task) holds the next names.
    const held = [1, 2, 3].map((k) => `.state.json.${pid}-${counter + k}.tmp`);
    for (const name of held) await Deno.writeTextFile(`${dir}/${name}`, "other host");
    await writeJsonFileAtomic(`${dir}/state.json`, { ok: true });
    assert.deepEqual(JSON.parse(await Deno.readTextFile(`${dir}/state.json`)), { ok: true });
    for (const name of held) assert.equal(await Deno.readTextFile(`${dir}/${name}`), "other host");
    assert.deepEqual(await entries(dir), [...held, "probe.bin", "state.json"].sort());
  });
});

Deno.test("removeStaleTempFiles() removes what killed atomic writes left and nothing else", async () => {
  await withDir(async (dir) => {
    // A process killed by SIGKILL in the middle of writeFileAtomic.
    const module = new URL("../../../lib/internal/atomic_write.ts", import.meta.url).href;
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `import { writeFileAtomic } from ${JSON.stringify(module)};
         setInterval(() => {}, 1000); // keeps the process alive while the write hangs
         async function* chunks() { yield new Uint8Array(10); console.log("writing"); await new Promise(() => {}); }
         await writeFileAtomic(${JSON.stringify(nodePath.join(dir, "summary.json"))}, chunks());`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    await reader.read();
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    const [leftover] = await entries(dir);
    assert.match(leftover, /^\.summary\.json\.\d+-1\.tmp$/);
    // lib/nn's temporary file name, one of this process (an atomic write in flight) and
    // ordinary files.
    await Deno.writeTextFile(nodePath.join(dir, "final_model.onnx.999999999.3.tmp"), "x");
    const own = `.metrics.json.${Deno.pid}-7.tmp`;
    for (const name of [own, "summary.md", "checkpoint_128_steps.ckpt", "notes.tmp"]) {
      await Deno.writeTextFile(nodePath.join(dir, name), "x");
    }
    assert.deepEqual(
      await removeStaleTempFiles(dir),
      [leftover, "final_model.onnx.999999999.3.tmp"].sort(),
    );
    assert.deepEqual(
      await entries(dir),
      [own, "checkpoint_128_steps.ckpt", "notes.tmp", "summary.md"].sort(),
    );
    assert.deepEqual(await removeStaleTempFiles(nodePath.join(dir, "missing")), []);
  });
});
