import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  acquireFileLock,
  isExclusivelyLocked,
  LockBusyError,
  withFileLock,
} from "../../../lib/run/mod.ts";

async function withDir(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "locks-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("acquireFileLock() lets shared holders in together and keeps an exclusive one out", async () => {
  await withDir(async (dir) => {
    const path = nodePath.join(dir, "run.lock");
    const a = await acquireFileLock(path, { exclusive: false });
    const b = await acquireFileLock(path, { exclusive: false });
    await assert.rejects(
      acquireFileLock(path, { busyMessage: "The run is busy" }),
      (error: Error) => error instanceof LockBusyError && error.message === "The run is busy",
    );
    await a.release();
    await b.release();
    await b.release(); // idempotent
    const c = await acquireFileLock(path);
    await assert.rejects(acquireFileLock(path, { exclusive: false }), LockBusyError);
    assert.equal(await isExclusivelyLocked(path), true);
    await c.release();
    assert.equal(await isExclusivelyLocked(path), false);
  });
});

Deno.test("isExclusivelyLocked() ignores shared holders and never creates the file", async () => {
  await withDir(async (dir) => {
    const path = nodePath.join(dir, "training.lock");
    assert.equal(await isExclusivelyLocked(path), false);
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    const shared = await acquireFileLock(path, { exclusive: false });
    assert.equal(await isExclusivelyLocked(path), false);
    await shared.release();
  });
});

Deno.test("withFileLock() runs concurrent sections one after another", async () => {
  await withDir(async (dir) => {
    const path = nodePath.join(dir, "summary.lock");
    const trace: string[] = [];
    const section = (name: string) =>
      withFileLock(path, async () => {
        trace.push(`${name} in`);
        await new Promise((resolve) => setTimeout(resolve, 20));
        trace.push(`${name} out`);
        return name;
      });
    assert.deepEqual(await Promise.all([section("a"), section("b")]), ["a", "b"]);
    // Either may go first; the other enters only after the first has left.
    const [first, second] = [trace[0][0], trace[2][0]];
    assert.deepEqual([first, second].sort(), ["a", "b"]);
    assert.deepEqual(trace, [`${first} in`, `${first} out`, `${second} in`, `${second} out`]);
    await assert.rejects(withFileLock(path, () => Promise.reject(new Error("boom"))), /boom/);
    assert.equal(await isExclusivelyLocked(path), false);
  });
});

Deno.test("a lock held by a process killed with SIGKILL is free again", async () => {
  await withDir(async (dir) => {
    const path = nodePath.join(dir, "run.lock");
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "eval",
        `const f = await Deno.open(${
          JSON.stringify(path)
        }, {read: true, write: true, create: true});
         await f.lock(true); console.log("locked"); setInterval(() => f, 1000);`,
      ],
      stdout: "piped",
      stderr: "null",
    }).spawn();
    const reader = child.stdout.getReader();
    const { value } = await reader.read();
    assert.match(new TextDecoder().decode(value), /locked/);
    assert.equal(await isExclusivelyLocked(path), true);
    await assert.rejects(acquireFileLock(path), LockBusyError);
    child.kill("SIGKILL");
    await child.status;
    reader.releaseLock();
    await child.stdout.cancel();
    const lock = await acquireFileLock(path);
    await lock.release();
  });
});

Deno.test("release({ remove: true }) removes the lock file, and a waiter then locks the new file", async () => {
  await withDir(async (dir) => {
    const path = nodePath.join(dir, "training.lock");
    const first = await acquireFileLock(path);
    // A second process waits on the file the first one will remove.
    const waiting = acquireFileLock(path, { wait: true });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await first.release({ remove: true });
    const second = await waiting;
    // The waiter holds the file now at the path, so a third process is kept out.
    const info = await Deno.stat(path);
    assert.ok(info.isFile);
    await assert.rejects(acquireFileLock(path), LockBusyError);
    await second.release({ remove: true });
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    // A shared holder removes the file only when it is the last one.
    const a = await acquireFileLock(path, { exclusive: false });
    const b = await acquireFileLock(path, { exclusive: false });
    await a.release({ remove: true });
    assert.ok((await Deno.stat(path)).isFile);
    await b.release({ remove: true });
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
    // withFileLock leaves no file behind.
    await withFileLock(path, () => Promise.resolve());
    await assert.rejects(Deno.stat(path), Deno.errors.NotFound);
  });
});
