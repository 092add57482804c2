// The published API documents itself: `deno doc --lint mod.ts` finds nothing (every
// exported symbol has JSDoc and an explicit type, and every type it refers to is
// exported too).
import assert from "node:assert/strict";
import * as nodePath from "node:path";

Deno.test("deno doc --lint mod.ts reports no problems", async () => {
  const repo = nodePath.resolve(new URL("../..", import.meta.url).pathname);
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["doc", "--lint", "mod.ts"],
    cwd: repo,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.equal(out.code, 0, text);
});
