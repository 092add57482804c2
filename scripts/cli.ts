/**
 * Entry point of the compiled binary `multi-extractor`: dispatches
 * `multi-extractor <command> [options]` to the scripts' `main` functions.
 *
 * @module
 */
import denoConfig from "../deno.json" with { type: "json" };
import { main as probe } from "./probe.ts";
import { main as summarize } from "./summarize.ts";
import { main as validate } from "./validate.ts";
import { escapeControlCharacters } from "../lib/internal/control_chars.ts";
import { EXIT_INVALID, EXIT_OK, writeStderr, writeStdout } from "./_cli.ts";

/** Subcommands of the binary. */
export const COMMANDS: Readonly<Record<string, (args: string[]) => Promise<number>>> = Object
  .freeze({
    // Loaded on first use: training pulls in ONNX Runtime, which needs --allow-ffi.
    train: async (args: string[]) => (await import("./train.ts")).main(args),
    resume: async (args: string[]) => (await import("./resume.ts")).main(args),
    eval: async (args: string[]) => (await import("./eval.ts")).main(args),
    probe,
    validate,
    summarize,
    slurm: async (args: string[]) => (await import("./slurm.ts")).main(args),
    render: async (args: string[]) => (await import("./render.ts")).main(args),
  });

/** Help text of the binary. */
export const CLI_HELP =
  `multi-extractor ${denoConfig.version}: train and compare PPO feature extractors.

Usage: multi-extractor <command> [options]

Commands:
  train       Train every extractor of a scenario and compare them
  resume      Finish an interrupted run from its run directory
  probe       Print this host's hardware profile
  validate    Check a scenario config and print the run plan
  summarize   Rebuild or merge run summaries
  eval        Evaluate an exported policy or a baseline controller (navigation metrics)
  slurm       Submit a comparison as a SLURM job array; status and resubmission
  render      Draw a map or an episode as SVG or PNG

Run "multi-extractor <command> --help" for a command's options.
`;

/**
 * Dispatch to a subcommand.
 *
 * @param args Command-line arguments; the first names the command.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    writeStdout(CLI_HELP);
    return command === undefined ? EXIT_INVALID : EXIT_OK;
  }
  if (command === "--version") {
    writeStdout(`multi-extractor ${denoConfig.version}\n`);
    return EXIT_OK;
  }
  const run = COMMANDS[command];
  if (run === undefined) {
    writeStderr(
      `multi-extractor: unknown command "${escapeControlCharacters(command)}"\n` +
        "Run with --help for usage.\n",
    );
    return EXIT_INVALID;
  }
  return await run(rest);
}

if (import.meta.main) Deno.exit(await main(Deno.args));
