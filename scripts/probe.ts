/**
 * `probe`: print this host's hardware profile (OS, CPU, memory, NVIDIA GPU and CUDA
 * version, ONNX Runtime execution providers that work, runtime versions) as a table,
 * or as JSON with --json.
 *
 * Usage: deno task probe [--json] [--workers N] [--no-gpu] [--help]
 *
 * @module
 */
import { formatHardwareReport, probeHardware } from "../lib/hardware/mod.ts";
import {
  EXIT_FAILURE,
  EXIT_OK,
  parseCommandLine,
  reportUsageError,
  UsageError,
  writeStderr,
  writeStdout,
} from "./_cli.ts";

/** Help text of the probe command. */
export const PROBE_HELP = `Print this host's hardware profile.

Usage: deno task probe [options]

Options:
  --json         Print the full report as JSON (profile, execution providers, GPUs, notes)
  --workers N    Environment workers to record in the profile, 1 .. 1024 (default: logical cores)
  --no-gpu       Do not run nvidia-smi
  -h, --help     Show this help

Exit codes: 0 success, 1 failure, 2 invalid command line.
`;

/**
 * Run the probe command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let json: boolean;
  let workers: number | undefined;
  let gpu: boolean;
  try {
    const { values, positionals } = parseCommandLine(args, {
      json: { type: "boolean", default: false },
      workers: { type: "string" },
      "no-gpu": { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    });
    if (values.help) {
      writeStdout(PROBE_HELP);
      return EXIT_OK;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    json = values.json as boolean;
    gpu = !values["no-gpu"];
    if (values.workers !== undefined) {
      workers = Number(values.workers);
      // At most one env worker per env, and num_envs is at most 1024.
      if (!Number.isInteger(workers) || workers < 1 || workers > 1024) {
        throw new UsageError(`--workers must be an integer 1 .. 1024, got "${values.workers}"`);
      }
    }
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError("probe", error);
    throw error;
  }
  try {
    const report = await probeHardware({ workers, nvidiaSmi: gpu ? "nvidia-smi" : null });
    writeStdout(json ? `${JSON.stringify(report, null, 2)}\n` : formatHardwareReport(report));
    return EXIT_OK;
  } catch (error) {
    writeStderr(`probe: ${(error as Error).message}\n`);
    return EXIT_FAILURE;
  }
}

if (import.meta.main) Deno.exit(await main(Deno.args));
