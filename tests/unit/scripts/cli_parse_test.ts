import assert from "node:assert/strict";
import {
  parseCommandLine,
  refuseEmptyPathFlags,
  systemPathMessage,
  UsageError,
} from "../../../scripts/_cli.ts";

const FLAGS = {
  "cpus-per-task": { type: "string" },
  "sbatch-arg": { type: "string", multiple: true },
  verbose: { type: "boolean", short: "v", default: false },
} as const;

Deno.test("parseCommandLine() says how to give a flag a value that starts with a dash", () => {
  assert.throws(
    () => parseCommandLine(["run.yaml", "--sbatch-arg", "--qos=high"], FLAGS),
    (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        '--sbatch-arg is followed by "--qos=high", which starts with "-": ' +
          "write --sbatch-arg=--qos=high if that is its value",
      );
      return true;
    },
  );
  assert.throws(
    () => parseCommandLine(["--cpus-per-task", "-1"], FLAGS),
    /^UsageError: --cpus-per-task is followed by "-1", which starts with "-": write --cpus-per-task=-1 if that is its value$/,
  );
  const parsed = parseCommandLine(["--sbatch-arg=--qos=high", "run.yaml"], FLAGS);
  assert.deepEqual(parsed.values["sbatch-arg"], ["--qos=high"]);
  assert.deepEqual(parsed.positionals, ["run.yaml"]);
});

Deno.test("refuseEmptyPathFlags() refuses an empty path flag instead of using the default", () => {
  // `--output-root "$SCRATCH"` with SCRATCH unset parses to "".
  const values = parseCommandLine(["--cpus-per-task", " "], FLAGS).values;
  assert.throws(
    () => refuseEmptyPathFlags(values, ["cpus-per-task"]),
    (error: Error) => {
      assert.ok(error instanceof UsageError);
      assert.equal(
        error.message,
        "--cpus-per-task is empty; give a path (is a shell variable unset?)",
      );
      return true;
    },
  );
  // Absent flags and real paths pass.
  refuseEmptyPathFlags({ "cpus-per-task": "/scratch" }, ["cpus-per-task", "out"]);
});

Deno.test("systemPathMessage() names a /proc path Deno refuses even with --allow-read", async () => {
  // Deno guards /proc with "all access" even when reads are granted everywhere.
  const error = await Deno.stat("/proc/nope").then(() => null, (e) => e);
  assert.equal(
    systemPathMessage(error),
    "/proc/nope is a system path that runs cannot read or write",
  );
  assert.equal(systemPathMessage(new Deno.errors.NotFound("x")), null);
  assert.equal(systemPathMessage(new Error('Requires all access to "/proc"')), null);
});
