/**
 * Running the SLURM client commands (sbatch, squeue, sacct, scontrol).
 *
 * @module
 */
import { SlurmCommandError } from "./errors.ts";

/** Output of a command that exited with 0. */
export interface _CommandOutput {
  stdout: string;
  stderr: string;
}

/**
 * Run a command and collect its output.
 *
 * @throws {SlurmCommandError} When it cannot be started (NotFound: not installed) or
 * exits with a non-zero code.
 */
export async function _runCommand(program: string, args: string[]): Promise<_CommandOutput> {
  const line = [program, ...args].join(" ");
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command(program, {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? `${program} not found (is this a SLURM host?)`
      : (error as Error).message;
    throw new SlurmCommandError(line, null, reason);
  }
  const decoder = new TextDecoder();
  const stdout = decoder.decode(output.stdout);
  const stderr = decoder.decode(output.stderr).trim();
  if (!output.success) throw new SlurmCommandError(line, output.code, stderr);
  return { stdout, stderr };
}
