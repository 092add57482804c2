/**
 * `deno task build:wasm`: compiles the WebAssembly text modules of lib/ (`*.wat`) into
 * the binaries committed beside them (`*.wasm`) with WABT's wat2wasm (npm:wabt).
 * `--check` compares instead of writing: it exits 1 naming every binary that is not
 * its text compiled.
 *
 * Exit codes: 0 written (or all up to date with `--check`), 1 a binary differs or a
 * text does not compile, 2 a bad flag.
 *
 * @module
 */
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import wabtInit from "wabt";
import {
  EXIT_FAILURE,
  EXIT_OK,
  parseCommandLine,
  reportUsageError,
  UsageError,
  writeStderr,
  writeStdout,
} from "./_cli.ts";

const ROOT = nodePath.dirname(nodePath.dirname(fileURLToPath(import.meta.url)));

/** WebAssembly text modules, relative to the repository root. */
export const WAT_SOURCES: readonly string[] = ["lib/nn/_mask_fill.wat"];

/**
 * Compile WebAssembly text to a binary module (SIMD enabled, no debug names, so the
 * bytes depend on the text alone).
 * @param fileName Name used in error messages.
 * @param text The module's text format.
 * @returns The `.wasm` bytes.
 * @throws {Error} When the text does not parse or validate (WABT's message, with
 *   line and column).
 */
export async function compileWat(fileName: string, text: string): Promise<Uint8Array> {
  const wabt = await wabtInit();
  const module = wabt.parseWat(fileName, text, { simd: true });
  try {
    module.validate();
    return new Uint8Array(module.toBinary({ write_debug_names: false }).buffer);
  } finally {
    module.destroy();
  }
}

const USAGE = `Usage: deno task build:wasm [--check]

Compiles ${WAT_SOURCES.join(", ")} into the .wasm beside each.
  --check   write nothing; exit 1 naming each .wasm that is not its .wat compiled
`;

async function main(args: string[]): Promise<number> {
  let check: boolean;
  try {
    const { values, positionals } = parseCommandLine(args, {
      check: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    });
    if (values.help === true) {
      writeStdout(USAGE);
      return EXIT_OK;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    check = values.check === true;
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError("build:wasm", error);
    throw error;
  }
  let stale = 0;
  for (const source of WAT_SOURCES) {
    const watPath = nodePath.join(ROOT, source);
    const wasmPath = watPath.replace(/\.wat$/, ".wasm");
    let bytes: Uint8Array;
    try {
      bytes = await compileWat(source, await Deno.readTextFile(watPath));
    } catch (error) {
      writeStderr(`build:wasm: ${source}: ${(error as Error).message}\n`);
      return EXIT_FAILURE;
    }
    if (check) {
      const committed = await Deno.readFile(wasmPath).catch(() => null);
      const same = committed !== null && committed.length === bytes.length &&
        committed.every((b, i) => b === bytes[i]);
      if (!same) {
        writeStderr(`build:wasm: ${nodePath.relative(ROOT, wasmPath)} is not ${source} compiled\n`);
        stale++;
      }
      continue;
    }
    // Write beside, then rename: never a half-written module.
    const partial = `${wasmPath}.partial`;
    await Deno.writeFile(partial, bytes);
    await Deno.rename(partial, wasmPath);
    writeStdout(`${nodePath.relative(ROOT, wasmPath)}: ${bytes.length} bytes\n`);
  }
  return stale === 0 ? EXIT_OK : EXIT_FAILURE;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
