import assert from "node:assert/strict";
import { _resumeCommand } from "../../../lib/train/_resume_command.ts";

// What bash makes of a command line: its words, through `printf '%s\n'`.
async function bashWords(line: string): Promise<string[]> {
  const output = await new Deno.Command("bash", {
    args: ["-c", `set -- ${line}; printf '%s\\n' "$@"`],
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(output.stdout).trimEnd().split("\n");
}

Deno.test("_resumeCommand() leaves plain paths as they are", () => {
  assert.equal(
    _resumeCommand("/scratch/ana/runs/20261129-120000-default"),
    "deno task resume /scratch/ana/runs/20261129-120000-default",
  );
  assert.equal(
    _resumeCommand("/runs/r-1", ["mlp_small", "dynamics_original"]),
    "deno task resume /runs/r-1 --only mlp_small,dynamics_original",
  );
});

Deno.test("_resumeCommand() quotes a run directory and names that the shell would split", async () => {
  const runDir = "/work/runs/it's %x #1 $HOME/20261129-215610-odd";
  const line = _resumeCommand(runDir, ["MLP small"]);
  assert.equal(
    line,
    "deno task resume '/work/runs/it'\\''s %x #1 $HOME/20261129-215610-odd' --only 'MLP small'",
  );
  assert.deepEqual(await bashWords(line), [
    "deno",
    "task",
    "resume",
    runDir,
    "--only",
    "MLP small",
  ]);
});
