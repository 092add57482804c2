// deno task compile: refuses a DENORT_BIN that is not a denort binary (nothing
// written), leaves out other platforms' ONNX Runtime binaries, and the binary's
// dispatcher has every script's command.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { COMMANDS } from "../../../scripts/cli.ts";
import { denortProblem, foreignOrtBinaries } from "../../../scripts/compile.ts";
import { taskRunArgs } from "../../fixtures/tasks.ts";

const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);

async function compileWith(denort: string, output: string) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [...await taskRunArgs("compile"), "--output", output],
    cwd: REPO,
    env: { DENORT_BIN: denort, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  return { code: out.code, stderr: new TextDecoder().decode(out.stderr) };
}

Deno.test("deno task compile refuses a DENORT_BIN that is not denort and writes nothing", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compile-" });
  try {
    const text = nodePath.join(dir, "denort");
    await Deno.writeTextFile(text, "#!/bin/sh\necho denort 2.9.6\n");
    const output = nodePath.join(dir, "out", "multi-extractor");
    for (
      const [denort, why] of [
        [text, "is not an executable program"],
        [nodePath.join(dir, "missing"), "cannot be read"],
        [dir, "is not a file"],
        [Deno.execPath(), "is the deno command, not the denort runtime"],
      ]
    ) {
      const result = await compileWith(denort, output);
      assert.equal(result.code, 2, result.stderr);
      assert.ok(result.stderr.includes(`compile: DENORT_BIN: ${denort} ${why}`), result.stderr);
      assert.match(result.stderr, /point DENORT_BIN at the unzipped file/);
      // The URL names this host's target (x86_64-unknown-linux-gnu, ...), not a placeholder.
      assert.ok(
        result.stderr.includes(`/denort-${Deno.build.target}.zip`) && !result.stderr.includes("<"),
        result.stderr,
      );
      assert.equal(result.stderr.trim().split("\n").length, 1, "one sentence");
    }
    assert.deepEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["denort"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("denortProblem() refuses an ELF program that is not denort", async () => {
  const problem = await denortProblem("/bin/sh");
  assert.ok(problem !== null && problem.endsWith("is not a denort binary"), String(problem));
});

Deno.test("compile leaves out every other platform's ONNX Runtime binaries", async () => {
  const os = { linux: "linux", darwin: "darwin", windows: "win32" }[Deno.build.os as string];
  const arch = { x86_64: "x64", aarch64: "arm64" }[Deno.build.arch as string];
  const excluded = await foreignOrtBinaries(REPO);
  const bin = (dir: string) => dir.split(nodePath.sep).slice(-2).join("/");
  assert.ok(excluded.length > 0);
  assert.ok(!excluded.map(bin).includes(`${os}/${arch}`), "the host's binaries stay");
  // onnxruntime-node 1.30 ships darwin/arm64, linux/{arm64,x64}, win32/{arm64,x64}.
  assert.deepEqual(
    [...excluded.map(bin), `${os}/${arch}`].sort(),
    ["darwin/arm64", "linux/arm64", "linux/x64", "win32/arm64", "win32/x64"],
  );
});

Deno.test("the binary has a command for every script", async () => {
  const scripts: string[] = [];
  for await (const entry of Deno.readDir(nodePath.join(REPO, "scripts"))) {
    const name = entry.name.replace(/\.ts$/, "");
    // The build tools (compile, build_wasm) make the binary and its modules; they are not in it.
    if (
      !entry.name.endsWith(".ts") || name.startsWith("_") ||
      ["cli", "compile", "build_wasm"].includes(name)
    ) {
      continue;
    }
    scripts.push(name);
  }
  assert.deepEqual(Object.keys(COMMANDS).sort(), scripts.sort());
});
