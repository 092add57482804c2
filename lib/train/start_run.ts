/**
 * The start of every comparison run, shared by `train` (which then trains in this
 * process) and `slurm` (which hands the extractors to SLURM array tasks): create the
 * run directory, copy the scenario file into it, open the manifest and record
 * run_started with the resolved config, its SHA-256, the notes and the hardware profile.
 *
 * @module
 */
import * as nodePath from "node:path";
import { resolvedConfig } from "../config/plan.ts";
import { writeFileAtomic } from "../run/atomic.ts";
import { sha256Hex } from "../run/hash.ts";
import { MANIFEST_FILE_NAME, ManifestWriter } from "../run/manifest.ts";
import { createRunDirectory, type RunDirectory } from "../run/paths.ts";
import type { PreparedComparison } from "./prepare.ts";

/** File name of the scenario copy inside a run directory (byte-identical to the original). */
export const SCENARIO_COPY_FILE_NAME = "scenario.yaml";

/** Options of {@linkcode startRun}. */
export interface StartRunOptions {
  /**
   * Command-line arguments recorded in run_started.
   * @default undefined
   */
  argv?: string[];
  /**
   * Called once the run directory exists, before anything else is written to it
   * (e.g. to attach run.log.jsonl).
   * @default undefined
   */
  onRunCreated?: (run: RunDirectory) => void | Promise<void>;
}

/** A run directory with its manifest open and run_started written. */
export interface StartedRun {
  /** The new run directory. */
  run: RunDirectory;
  /** The manifest, open for appending; the caller closes it. */
  manifest: ManifestWriter;
}

/**
 * Create the run directory of a prepared comparison (`<output_root>/<timestamp>-<run_id>`,
 * never reused), copy the scenario file into it as {@linkcode SCENARIO_COPY_FILE_NAME},
 * open `manifest.jsonl` and append run_started (resolved config with `test_mode` and
 * `notes`, the scenario's path and SHA-256, the hardware profile, argv).
 *
 * @example Start a run and close its manifest
 * ```ts
 * const prepared = await prepareComparison("configs/scenarios/multi_extractor_default.yaml");
 * const { run, manifest } = await startRun(prepared);
 * manifest.close();
 * console.log(run.path);
 * ```
 *
 * @param prepared The comparison from prepareComparison().
 * @param options argv to record and a callback once the directory exists.
 * @returns The run directory and its open manifest.
 * @throws {Error} When the scenario file changed since it was validated (nothing is
 * written), or the directory or manifest cannot be written.
 */
export async function startRun(
  prepared: PreparedComparison,
  options: StartRunOptions = {},
): Promise<StartedRun> {
  const { scenario, plan } = prepared;
  const bytes = await Deno.readFile(scenario.file);
  if (await sha256Hex(bytes) !== scenario.sha256) {
    throw new Error(`Scenario file ${scenario.file} changed after it was validated; start again`);
  }
  const run = await createRunDirectory(
    nodePath.dirname(plan.run_directory),
    scenario.settings.run.run_id,
    { now: prepared.startedAt },
  );
  await writeFileAtomic(nodePath.join(run.path, SCENARIO_COPY_FILE_NAME), bytes);
  await options.onRunCreated?.(run);
  const manifest = await ManifestWriter.open(nodePath.join(run.path, MANIFEST_FILE_NAME));
  try {
    const config = {
      ...resolvedConfig(scenario),
      test_mode: prepared.testMode,
      notes: [...prepared.notes],
    };
    await manifest.append({
      event: "run_started",
      run_id: scenario.settings.run.run_id,
      run_dir_name: run.name,
      config_file: scenario.file,
      config_sha256: scenario.sha256,
      config,
      hardware: prepared.hardware.profile,
      argv: options.argv,
    });
  } catch (error) {
    manifest.close();
    throw error;
  }
  return { run, manifest };
}
