/**
 * Runs `deno task train` as users do (the task's permission flags) in a subprocess,
 * with the output root in a temporary directory.
 */
import * as nodePath from "node:path";
import { taskRunArgs } from "../../fixtures/tasks.ts";

/** Repository root. */
export const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);

/** A finished train process. */
export interface TrainRun {
  /** Exit code. */
  code: number;
  /** stdout text. */
  stdout: string;
  /** stderr text. */
  stderr: string;
  /** Run directories created under the output root (absolute). */
  runDirs: string[];
}

/** Options of {@linkcode train}. */
export interface TrainOptions {
  /** Output root (passed with --output-root). */
  root: string;
  /** Environment additions. */
  env?: Record<string, string>;
  /** Called with the running process (e.g. to send a signal). */
  onSpawn?: (child: Deno.ChildProcess, root: string) => Promise<void>;
  /**
   * Run the script directly with the train task's `deno run` flags instead of through
   * `deno task`, so that the spawned process is the script itself.
   */
  direct?: boolean;
}

/** `deno run <flags> scripts/train.ts` of the train task in deno.json, split into arguments. */
export function trainTaskArgs(): Promise<string[]> {
  return taskRunArgs("train");
}

/**
 * Run `deno task train <args> --output-root <root>`.
 *
 * @param args Flags after the task name.
 * @param options Output root, environment, process hook.
 * @returns Exit code, output and the run directories created.
 */
export async function train(args: string[], options: TrainOptions): Promise<TrainRun> {
  const command = options.direct ? await trainTaskArgs() : ["task", "--quiet", "train"];
  const child = new Deno.Command(Deno.execPath(), {
    args: [...command, ...args, "--output-root", options.root],
    cwd: REPO,
    env: { NO_COLOR: "1", ...options.env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const output = child.output();
  await options.onSpawn?.(child, options.root);
  const { code, stdout, stderr } = await output;
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  const runDirs: string[] = [];
  try {
    for await (const entry of Deno.readDir(options.root)) {
      if (entry.isDirectory) runDirs.push(nodePath.join(options.root, entry.name));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return { code, stdout: decode(stdout), stderr: decode(stderr), runDirs: runDirs.sort() };
}

/** Parse a JSON file. */
export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Whether a path exists. */
export async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}
