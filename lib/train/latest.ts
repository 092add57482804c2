/**
 * `resume --latest`: the newest run directory under the output root the command line,
 * `MULTI_EXTRACTOR_TMP`, `ROBOT_SF_MULTI_EXTRACTOR_TMP` or the default names.
 *
 * @module
 */
import { findLatestRun, outputRootProblem, resolveOutputRoot } from "../run/paths.ts";
import type { OutputRoot } from "../run/paths.ts";
import { InvocationError } from "./prepare.ts";

/** The run `--latest` names and the output root it was found under. */
export interface LatestRun {
  /** The output root searched. */
  root: OutputRoot;
  /** Absolute path of the newest run directory. */
  runDir: string;
}

/**
 * Find the newest run directory (by its timestamped name) under the output root.
 *
 * @param outputRootFlag `--output-root`, or null for the environment or the default.
 * @param env Reads environment variables. @default lib/internal's readEnv
 * @returns The root and the run directory.
 * @throws {InvocationError} For `--latest` when the root cannot hold runs or holds none.
 */
export async function resolveLatestRun(
  outputRootFlag: string | null,
  env?: (name: string) => string | undefined,
): Promise<LatestRun> {
  const root = resolveOutputRoot({ flag: outputRootFlag, ...(env ? { env } : {}) });
  const problem = await outputRootProblem(root.path);
  if (problem !== null) throw new InvocationError("--latest", problem);
  const runDir = await findLatestRun(root.path);
  if (runDir === null) throw new InvocationError("--latest", `no run directory under ${root.path}`);
  return { root, runDir };
}
