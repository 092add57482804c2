/**
 * `deno task compile`: one binary, `dist/multi-extractor`, with every subcommand of
 * scripts/cli.ts and only this host's ONNX Runtime binaries (onnxruntime-node ships
 * them for every platform; the others would add about 240 MB).
 *
 * `deno compile` downloads the Deno runtime it builds on (`denort`) from
 * dl.deno.land; offline, `DENORT_BIN` names a denort binary of this Deno version.
 * A `DENORT_BIN` that is not one is refused before anything is written.
 *
 * Exit codes: 0 built, 1 `deno compile` failed, 2 invalid input (a bad DENORT_BIN, a
 * bad flag).
 *
 * @module
 */
import * as nodePath from "node:path";
import { fileURLToPath } from "node:url";
import { readEnv } from "../lib/internal/env.ts";
import { parseCommandLine, UsageError, writeStderr, writeStdout } from "./_cli.ts";

const ROOT = nodePath.dirname(nodePath.dirname(fileURLToPath(import.meta.url)));

/** Programs the binary may run, granted by absolute path (no lookup, no "Failed to resolve"). */
const PROGRAMS = ["nvidia-smi", "sbatch", "squeue", "sacct", "scontrol"];
/** Where those programs usually live, granted as well as where this host has them. */
const PROGRAM_DIRS = ["/usr/bin", "/usr/local/bin", "/bin", "/opt/slurm/bin"];

/** Modules loaded by URL at run time (Workers), which the module graph does not show. */
const WORKER_MODULES = [
  "lib/sim/_env_worker.ts",
  "lib/nn/_mask_worker.ts",
  "lib/train/_extractor_worker.ts",
];

const HELP = `Usage: deno task compile [--output <file>]

Builds one executable with every multi-extractor subcommand (train, resume, probe,
validate, summarize, slurm, render) and this host's ONNX Runtime binaries only.

Options:
  --output <file>   Where to write the binary (default dist/multi-extractor)
  -h, --help        Show this help

Environment:
  DENORT_BIN        A denort binary of Deno ${Deno.version.deno} to build on, for machines that
                    cannot download it from dl.deno.land

Exit codes: 0 built, 1 deno compile failed, 2 invalid input.
`;

/**
 * Why `path` is not a denort binary of this Deno version, or null when it is one: it
 * must be an executable file (ELF, Mach-O or PE) that names itself denort, carries
 * this Deno version, and is not the full `deno` command (which has the CLI's help).
 *
 * @param path The DENORT_BIN value.
 * @returns The problem, or null.
 */
export async function denortProblem(path: string): Promise<string | null> {
  let bytes: Uint8Array;
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) return `${path} is not a file`;
    bytes = await Deno.readFile(path);
  } catch (error) {
    return `${path} cannot be read (${(error as Error).message})`;
  }
  const head = Array.from(bytes.subarray(0, 4));
  const executable =
    (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) ||
    (head[0] === 0x4d && head[1] === 0x5a) || // PE
    [0xfeedfacf, 0xcffaedfe, 0xcafebabe, 0xbebafeca].includes(
      new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0),
    ); // Mach-O
  if (!executable) return `${path} is not an executable program`;
  const contains = (text: string) => _indexOf(bytes, new TextEncoder().encode(text)) >= 0;
  if (!contains("denort")) return `${path} is not a denort binary`;
  if (contains("Approve npm lifecycle scripts")) {
    return `${path} is the deno command, not the denort runtime`;
  }
  if (!contains(Deno.version.deno)) {
    return `${path} is not a denort of Deno ${Deno.version.deno}`;
  }
  return null;
}

function _indexOf(haystack: Uint8Array, needle: Uint8Array): number {
  const first = needle[0];
  outer: for (let i = haystack.indexOf(first); i >= 0; i = haystack.indexOf(first, i + 1)) {
    if (i + needle.length > haystack.length) return -1;
    for (let j = 1; j < needle.length; j++) if (haystack[i + j] !== needle[j]) continue outer;
    return i;
  }
  return -1;
}

/**
 * The onnxruntime-node binary folders of other platforms (excluded from the binary).
 *
 * @param root Project folder.
 * @returns Absolute folder paths.
 */
export async function foreignOrtBinaries(root: string): Promise<string[]> {
  const os = { linux: "linux", darwin: "darwin", windows: "win32" }[Deno.build.os as string];
  const arch = { x86_64: "x64", aarch64: "arm64" }[Deno.build.arch as string];
  const found: string[] = [];
  const store = nodePath.join(root, "node_modules", ".deno");
  for await (const pkg of _entries(store)) {
    if (!pkg.startsWith("onnxruntime-node@")) continue;
    const bin = nodePath.join(store, pkg, "node_modules", "onnxruntime-node", "bin");
    for await (const napi of _entries(bin)) {
      for await (const platform of _entries(nodePath.join(bin, napi))) {
        for await (const cpu of _entries(nodePath.join(bin, napi, platform))) {
          if (platform !== os || cpu !== arch) found.push(nodePath.join(bin, napi, platform, cpu));
        }
      }
    }
  }
  return found.sort();
}

async function* _entries(dir: string): AsyncGenerator<string> {
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isDirectory) yield entry.name;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}

/** Absolute paths the binary may run: this host's programs and the usual places. */
async function _programPaths(): Promise<string[]> {
  const paths = new Set<string>();
  const dirs = [...(readEnv("PATH") ?? "").split(nodePath.delimiter), ...PROGRAM_DIRS];
  for (const name of PROGRAMS) {
    for (const dir of PROGRAM_DIRS) paths.add(nodePath.join(dir, name));
    for (const dir of dirs) {
      if (!nodePath.isAbsolute(dir)) continue;
      const candidate = nodePath.join(dir, name);
      if (await Deno.stat(candidate).then((i) => i.isFile, () => false)) paths.add(candidate);
    }
  }
  return [...paths].sort();
}

/**
 * The `deno compile` arguments of the binary.
 *
 * @param output Binary path.
 * @returns Arguments after `deno`.
 */
export async function compileArgs(output: string): Promise<string[]> {
  const excludes = await foreignOrtBinaries(ROOT);
  return [
    "compile",
    "--no-prompt",
    "--v8-flags=--expose-gc,--max-semi-space-size=1",
    "--allow-read",
    "--allow-write",
    "--allow-env",
    "--allow-sys",
    "--allow-ffi",
    `--allow-run=${(await _programPaths()).join(",")}`,
    ...WORKER_MODULES.flatMap((module) => ["--include", module]),
    ...excludes.flatMap((dir) => ["--exclude", nodePath.relative(ROOT, dir)]),
    "--output",
    output,
    "scripts/cli.ts",
  ];
}

/**
 * Build the binary.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let output: string;
  try {
    const { values, positionals } = parseCommandLine(args, {
      output: { type: "string" },
      help: { type: "boolean", short: "h", default: false },
    });
    if (values.help) {
      writeStdout(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`Unexpected argument "${positionals[0]}"`);
    output = nodePath.resolve((values.output as string | undefined) ?? "dist/multi-extractor");
  } catch (error) {
    if (error instanceof UsageError) {
      writeStderr(`compile: ${error.message}\n`);
      return 2;
    }
    throw error;
  }
  const denort = readEnv("DENORT_BIN");
  if (denort !== undefined && denort !== "") {
    const problem = await denortProblem(denort);
    if (problem !== null) {
      writeStderr(
        `compile: DENORT_BIN: ${problem}; download denort for Deno ${Deno.version.deno} ` +
          `(https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip) and ` +
          "point DENORT_BIN at the unzipped file.\n",
      );
      return 2;
    }
  }
  // "deno" as found on PATH: the task grants that path (scripts/allow_run.sh deno).
  const child = await new Deno.Command("deno", {
    args: await compileArgs(output),
    cwd: ROOT,
    stdout: "inherit",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(child.stderr);
  if (child.code === 0) {
    const size = (await Deno.stat(output)).size;
    writeStdout(`wrote ${output} (${(size / 2 ** 20).toFixed(1)} MiB)\n`);
    return 0;
  }
  if (/dl\.deno\.land|Setting up base binary/.test(stderr)) {
    writeStderr(
      `compile: deno compile could not download the Deno runtime (denort) it builds on; ` +
        `on a machine with internet access download ` +
        `https://dl.deno.land/release/v${Deno.version.deno}/denort-${Deno.build.target}.zip, unzip it ` +
        "here and run DENORT_BIN=/path/to/denort deno task compile.\n",
    );
    return 1;
  }
  writeStderr(stderr);
  return 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
