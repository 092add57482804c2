import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  MMAP_THRESHOLD_BYTES,
  NATIVE_ALLOCATOR_VARIABLE,
  tuneNativeAllocator,
} from "../../../lib/nn/_allocator.ts";

const REPO = nodePath.resolve(nodePath.dirname(new URL(import.meta.url).pathname), "../../..");
const LINUX = Deno.build.os === "linux" &&
  (Deno.build.arch === "x86_64" || Deno.build.arch === "aarch64");

/** tuneNativeAllocator()'s outcome in a fresh process with these flags and environment. */
async function outcomeIn(flags: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, "tests/unit/nn/_allocator_probe.ts"],
    cwd: REPO,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

Deno.test({
  name:
    "tuneNativeAllocator() reaches mallopt through ONNX Runtime's library once per process on Linux",
  ignore: !LINUX,
  fn() {
    const first = tuneNativeAllocator();
    assert.equal(first.applied, true, first.reason ?? "");
    // The library onnxruntime-node ships for this platform.
    const arch = Deno.build.arch === "x86_64" ? "x64" : "arm64";
    assert.match(
      first.library!,
      new RegExp(`/bin/napi-v\\d+/linux/${arch}/libonnxruntime\\.so\\.1$`),
    );
    assert.ok(Deno.statSync(first.library!).isFile);
    assert.equal(tuneNativeAllocator(), first);
    assert.equal(MMAP_THRESHOLD_BYTES, 2 ** 25); // glibc's largest on 64-bit: HEAP_MAX_SIZE / 2
  },
});

Deno.test({
  name:
    "tuneNativeAllocator() changes nothing without ffi permission for the library, or when told to keep the defaults",
  ignore: !LINUX,
  async fn() {
    const denied = await outcomeIn(["--allow-read"]);
    assert.equal(denied.applied, false);
    assert.equal(denied.reason, "no ffi permission for it");
    const kept = await outcomeIn(["--allow-read", "--allow-ffi=node_modules", "--allow-env"], {
      [NATIVE_ALLOCATOR_VARIABLE]: "default",
    });
    assert.deepEqual(kept, { applied: false, reason: `${NATIVE_ALLOCATOR_VARIABLE}=default` });
    const applied = await outcomeIn(["--allow-read", "--allow-ffi=node_modules"]);
    assert.equal(applied.applied, true, applied.reason);
  },
});
