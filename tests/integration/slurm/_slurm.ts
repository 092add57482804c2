/**
 * Runs `deno task slurm` as users do (the task's permission flags) in a subprocess.
 */
import * as nodePath from "node:path";

/** Repository root. */
export const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);

/** A finished command. */
export interface CommandResult {
  /** Exit code. */
  code: number;
  /** stdout text. */
  stdout: string;
  /** stderr text. */
  stderr: string;
}

/**
 * Run `deno task --quiet slurm <args>` in the repository.
 *
 * @param args Arguments after the task name.
 * @param env Environment additions.
 * @returns Exit code and output.
 */
export async function slurmTask(
  args: string[],
  env: Record<string, string> = {},
): Promise<CommandResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "slurm", ...args],
    cwd: REPO,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/**
 * The run directory a `slurm` submission printed (`Run directory: <path>`).
 *
 * @param stdout The command's stdout.
 * @returns The path.
 * @throws {Error} When the output names none.
 */
export function printedRunDir(stdout: string): string {
  const match = /^Run directory: (.+)$/m.exec(stdout);
  if (match === null) throw new Error(`No run directory in:\n${stdout}`);
  return match[1];
}
