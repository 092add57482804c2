/**
 * Sessions flush subnormal floats to zero (ORT_SESSION_CONFIG), which keeps gradients that
 * decay over long recurrences from slowing x86 arithmetic down; each case runs in a fresh
 * process because ONNX Runtime applies the first session's setting once per process.
 */
import assert from "node:assert/strict";

async function probe(mode: "lib" | "raw"): Promise<{ onnx: number; js: number }> {
  const script = new URL("../../fixtures/nn/subnormal_probe.ts", import.meta.url).pathname;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-env", "--allow-ffi", "--allow-sys", script, mode],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(out.code, 0, new TextDecoder().decode(out.stderr));
  return JSON.parse(new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!);
}

Deno.test("a lib/nn session flushes float32 subnormals to zero; a plain session keeps them", async () => {
  const lib = await probe("lib");
  assert.equal(lib.onnx, 0);
  // The flag reaches the creating (JavaScript) thread too, as documented.
  assert.equal(lib.js, 0);
  const raw = await probe("raw");
  // 2e-39 * 0.5 in float32: 2e-39 rounds to 1,427,248 steps of 2^-149 on the subnormal
  // grid, half of it is 713,624 steps (worked out with NumPy's float32). Written as a
  // float64 product, which this thread's flush-to-zero flag (set by sessions created
  // here by earlier tests) cannot touch, unlike Math.fround of a float32 subnormal.
  assert.equal(raw.onnx, 713_624 * 2 ** -149);
  assert.ok(raw.onnx > 0);
  assert.equal(raw.js, 5e-311);
});
