// Checked reads: the type and size checks, and the read that stops at the limit even
// when the file claims a smaller size than it has (as /proc files claim 0).
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  formatBytes,
  InputFileError,
  inputLimit,
  readInputFile,
  readInputText,
} from "../../../lib/internal/input_file.ts";

Deno.test("formatBytes() and the default limits", () => {
  assert.equal(formatBytes(1024 * 1024), "1 MiB");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(12), "12 bytes");
  assert.equal(inputLimit("scenario"), 1024 * 1024);
  assert.equal(inputLimit("map"), 64 * 1024 * 1024);
});

Deno.test("a file that claims size 0 is still read only up to the limit", async () => {
  const info = await Deno.stat("/proc/self/status").catch(() => null);
  if (info === null || info.size !== 0) return; // not Linux procfs
  await assert.rejects(
    () => readInputFile("/proc/self/status", { kind: "json", limit: 100 }),
    (error: Error) => {
      assert.ok(error instanceof InputFileError);
      assert.equal(error.problem, "too_large");
      assert.match(
        error.message,
        /JSON file \/proc\/self\/status is over 100 bytes; the limit is 100 bytes/,
      );
      return true;
    },
  );
});

Deno.test("readInputText() reads a regular file exactly and refuses binary content by kind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const text = nodePath.join(dir, "a.yaml");
    const content = "run:\n  run_id: ü\n".repeat(5000); // larger than one read chunk
    await Deno.writeTextFile(text, content);
    assert.equal(await readInputText(text, { kind: "scenario" }), content);
    const bin = nodePath.join(dir, "b.yaml");
    await Deno.writeFile(bin, Uint8Array.of(0x61, 0xc3));
    await assert.rejects(
      () => readInputText(bin, { kind: "scenario" }),
      /scenario .* is not UTF-8 text/,
    );
    await assert.rejects(
      () => readInputFile(nodePath.join(dir, "missing"), { kind: "map", nativeNotFound: true }),
      Deno.errors.NotFound,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
