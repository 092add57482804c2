/**
 * Shared command-line plumbing of the scripts: strict flag parsing (unknown flags are
 * usage errors) and the exit codes.
 *
 * Exit codes: 0 success; 1 unexpected failure; 2 invalid command line or invalid
 * input (scenario config, run directory).
 *
 * @module
 */
import {
  OverrideSyntaxError,
  parseOverride,
  type ScenarioOverride,
  seedOverride,
} from "../lib/config/mod.ts";
import { consoleSafe } from "../lib/internal/control_chars.ts";
import { parseArgs, type ParseArgsConfig } from "node:util";

/** Exit code of a successful command. */
export const EXIT_OK = 0;
/** Exit code of an unexpected failure. */
export const EXIT_FAILURE = 1;
/** Exit code of an invalid command line or invalid input. */
export const EXIT_INVALID = 2;

/** A command line that cannot be used. */
export class UsageError extends Error {
  /**
   * @param message What is wrong with the command line.
   */
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** Parsed flags and positionals. */
export interface ParsedCommandLine {
  /** Flag values by long name. */
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  /** Positional arguments. */
  positionals: string[];
}

/**
 * Parse arguments strictly with node:util parseArgs.
 *
 * @param args Arguments after the script name.
 * @param options Flag definitions.
 * @returns Flags and positionals.
 * @throws {UsageError} On unknown flags, missing flag values or wrong flag types.
 */
export function parseCommandLine(
  args: readonly string[],
  options: NonNullable<ParseArgsConfig["options"]>,
): ParsedCommandLine {
  try {
    const { values, positionals } = parseArgs({
      args: [...args],
      options,
      strict: true,
      allowPositionals: true,
    });
    return { values: values as ParsedCommandLine["values"], positionals };
  } catch (error) {
    const message = (error as Error).message.split("\n")[0]
      .replace(/\. To specify a positional argument.*$/, "");
    // parseArgs refuses a value that starts with "-" after a space ("--time -1",
    // "--sbatch-arg --qos=high") as "ambiguous"; say what to write instead.
    const ambiguous = /^Option '(-[^']+)' argument is ambiguous/.exec(message);
    if (ambiguous !== null) {
      const flag = ambiguous[1];
      const value = args[args.indexOf(flag) + 1] ?? "";
      throw new UsageError(
        `${flag} is followed by "${value}", which starts with "-": write ${flag}=${value} ` +
          `if that is its value`,
      );
    }
    throw new UsageError(message.replace(/\.$/, ""));
  }
}

/**
 * Write text to stdout.
 *
 * @param text Text to write (no newline added).
 */
export function writeStdout(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stdout.writeSync(bytes.subarray(offset));
}

/**
 * Write text to stderr.
 *
 * @param text Text to write (no newline added).
 */
export function writeStderr(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let offset = 0;
  while (offset < bytes.length) offset += Deno.stderr.writeSync(bytes.subarray(offset));
}

/**
 * Whether `error` is invalid input found while reading or writing files: a symlink
 * inside a run directory (UnsafePathError, also as it crosses from an extractor
 * worker) or an input file refused by its type or size (InputFileError). Both map to
 * {@linkcode EXIT_INVALID}; their messages name the path.
 *
 * @param error What was thrown.
 * @returns True for those errors.
 */
export function isInvalidFileInput(error: unknown): error is Error {
  return error instanceof Error &&
    (error.name === "UnsafePathError" || error.name === "InputFileError");
}

/**
 * The message for a path Deno guards even with `--allow-read`/`--allow-write` granted (/proc,
 * /dev, /sys: "Requires all access to ..."), named as the input problem it is; null for
 * every other error.
 *
 * @param error What was thrown.
 * @returns `<path> is a system path that runs cannot read or write`, or null.
 */
export function systemPathMessage(error: unknown): string | null {
  if (!(error instanceof Deno.errors.NotCapable)) return null;
  const path = /Requires all access to "([^"]*)"/.exec(error.message)?.[1];
  return path === undefined ? null : `${path} is a system path that runs cannot read or write`;
}

/**
 * Report a usage error with a pointer to --help.
 *
 * @param script Script name for the message.
 * @param error The usage error.
 * @returns {@linkcode EXIT_INVALID}.
 */
export function reportUsageError(script: string, error: UsageError): number {
  writeStderr(`${script}: ${consoleSafe(error.message)}\nRun with --help for usage.\n`);
  return EXIT_INVALID;
}

/**
 * Refuse path flags given with an empty value (`--output-root "$SCRATCH"` with the variable
 * unset), which would otherwise fall back silently to the default.
 *
 * @param values Parsed flags.
 * @param names The path flags to check, without `--`.
 * @throws {UsageError} Naming the first flag whose value is empty or blank.
 */
export function refuseEmptyPathFlags(values: Record<string, unknown>, names: string[]): void {
  for (const name of names) {
    const value = values[name];
    if (typeof value === "string" && value.trim() === "") {
      throw new UsageError(`--${name} is empty; give a path (is a shell variable unset?)`);
    }
  }
}

/**
 * The extractor names of repeatable, comma-separated `--only` values
 * (`--only a,b --only c` gives a, b, c), or null when the flag is absent.
 *
 * @param value The parsed flag (a string list, or undefined).
 * @returns The names, or null.
 * @throws {UsageError} When the flag is given but names nothing.
 */
export function parseOnlyFlag(value: unknown): string[] | null {
  if (value === undefined) return null;
  const names = (value as string[]).flatMap((item) => item.split(",")).map((s) => s.trim())
    .filter((s) => s !== "");
  if (names.length === 0) throw new UsageError("--only needs at least one extractor name");
  return names;
}

/**
 * The trial seeds of repeatable, comma-separated `--seeds` values (`--seeds 1,2
 * --seeds 3` gives 1, 2, 3), or null when the flag is absent.
 *
 * @param value The parsed flag (a string list, or undefined).
 * @returns The seeds, or null.
 * @throws {UsageError} When the flag names no seed or a value is not an integer in [0, 2^32).
 */
export function parseSeedsFlag(value: unknown): number[] | null {
  if (value === undefined) return null;
  const words = (value as string[]).flatMap((item) => item.split(",")).map((s) => s.trim())
    .filter((s) => s !== "");
  if (words.length === 0) throw new UsageError("--seeds needs at least one seed");
  return words.map((word) => {
    const seed = /^\d+$/.test(word) ? Number(word) : NaN;
    if (!Number.isSafeInteger(seed) || seed > 4294967295) {
      throw new UsageError(`--seeds: "${word}" is not a seed (an integer in 0 .. 4294967295)`);
    }
    return seed;
  });
}

/**
 * The scenario overrides of repeatable `--set key=value` flags and `--seed N` (`run.seed`,
 * applied last), in command-line order.
 * @param set The `--set` values, or undefined.
 * @param seed The `--seed` value, or undefined.
 * @throws {UsageError} On a malformed flag (names it).
 */
export function parseOverrideFlags(set: unknown, seed: unknown): ScenarioOverride[] {
  try {
    const out = ((set as string[] | undefined) ?? []).map(parseOverride);
    if (typeof seed === "string") out.push(seedOverride(seed));
    return out;
  } catch (error) {
    if (error instanceof OverrideSyntaxError) throw new UsageError(error.message);
    throw error;
  }
}
