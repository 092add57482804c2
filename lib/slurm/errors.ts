/**
 * Errors of the SLURM module that callers catch.
 *
 * @module
 */

/** A SLURM command that could not be run or exited with an error. */
export class SlurmCommandError extends Error {
  /** The command line, e.g. "sbatch --parsable array.sbatch". */
  readonly command: string;
  /** Exit code, or null when the command could not be started. */
  readonly exitCode: number | null;
  /** What the command wrote to stderr (trimmed). */
  readonly stderr: string;
  /**
   * What to do next, or null: set by submitSlurmRun() when an sbatch call of a
   * submission failed (which jobs were made and the command that finishes it).
   */
  hint: string | null = null;

  /**
   * Create a SlurmCommandError.
   * @param command The command line.
   * @param exitCode Exit code, or null when it could not be started.
   * @param stderr Its stderr, or the reason it could not be started.
   */
  constructor(command: string, exitCode: number | null, stderr: string) {
    super(
      exitCode === null
        ? `Cannot run ${command}: ${stderr}`
        : `${command} exited with ${exitCode}${stderr === "" ? "" : `: ${stderr}`}`,
    );
    this.name = "SlurmCommandError";
    this.command = command;
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}
