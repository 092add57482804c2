/**
 * Create a run directory for a prepared comparison: the directory, the byte-identical
 * scenario copy, the run lock and the manifest with its run_started event. `train`
 * trains the run at once; `slurm` creates it and leaves the training to array tasks
 * (`resume --only`). This module imports neither the trainer nor ONNX Runtime.
 *
 * @module
 */
import * as nodePath from "node:path";
import { resolvedConfig } from "../config/plan.ts";
import { readInputFile } from "../internal/input_file.ts";
import { guardDirectory } from "../internal/safe_path.ts";
import { writeFileAtomic } from "../internal/atomic_write.ts";
import { sha256Hex } from "../run/hash.ts";
import { acquireFileLock, type FileLock, RUN_LOCK_FILE_NAME } from "../run/locks.ts";
import { MANIFEST_FILE_NAME, ManifestWriter } from "../run/manifest.ts";
import { createRunDirectory, type RunDirectory } from "../run/paths.ts";
import type { PreparedComparison } from "./prepare.ts";

/** File name of the scenario copy inside a run directory (byte-identical to the original). */
export const SCENARIO_COPY_FILE_NAME = "scenario.yaml";

/** Options of {@linkcode createRun}. */
export interface CreateRunOptions {
  /**
   * Command-line arguments recorded in run_started.
   * @default undefined
   */
  argv?: string[];
  /**
   * Called once the run directory exists, before the manifest is written (e.g. to
   * attach run.log.jsonl).
   * @default undefined
   */
  onRunCreated?: (run: RunDirectory) => void | Promise<void>;
}

/** A run directory just created, with its manifest open and its run lock held. */
export interface CreatedRun {
  /** The run directory. */
  run: RunDirectory;
  /** The open manifest (run_started written). */
  manifest: ManifestWriter;
  /**
   * Release the run lock and close the manifest.
   * @param options `removeLock`: remove the lock file too (a run that ended here).
   */
  close(options?: { removeLock?: boolean }): Promise<void>;
}

/**
 * Create the run directory of a prepared comparison: the directory, the scenario copy
 * (`scenario.yaml`, byte-identical), the run lock (held exclusively until close()),
 * and the manifest with its run_started event. `runComparison` trains the run
 * afterwards; a run created here and closed at once can be trained later with
 * `resume` (e.g. one extractor per process with `resume --only`).
 *
 * @param prepared The comparison from prepareComparison().
 * @param options Command line to record, hook once the directory exists.
 * @returns The run, its open manifest and a close function.
 * @throws {Error} When the scenario file changed after it was validated, or the run
 * directory or manifest cannot be written.
 */
export async function createRun(
  prepared: PreparedComparison,
  options: CreateRunOptions = {},
): Promise<CreatedRun> {
  const { scenario, plan } = prepared;
  const fileBytes = await readInputFile(scenario.file, { kind: "scenario" });
  // With --set overrides the run's scenario copy is the overridden document.
  const bytes = scenario.overridden === undefined
    ? fileBytes
    : new TextEncoder().encode(scenario.overridden.text);
  if (await sha256Hex(fileBytes) !== (scenario.overridden?.fileSha256 ?? scenario.sha256)) {
    throw new Error(`Scenario file ${scenario.file} changed after it was validated; start again`);
  }
  const mapPath = scenario.settings.env.map_path;
  const map = mapPath === null ? {} : {
    map_file: nodePath.resolve(mapPath),
    map_sha256: await sha256Hex(await Deno.readFile(mapPath)),
  };
  const run = await createRunDirectory(
    nodePath.dirname(plan.run_directory),
    scenario.settings.run.run_id,
    { now: prepared.startedAt },
  );
  guardDirectory(run.path);
  await writeFileAtomic(nodePath.join(run.path, SCENARIO_COPY_FILE_NAME), bytes);
  const lock: FileLock = await acquireFileLock(nodePath.join(run.path, RUN_LOCK_FILE_NAME));
  let manifest: ManifestWriter | null = null;
  try {
    await options.onRunCreated?.(run);
    manifest = await ManifestWriter.open(nodePath.join(run.path, MANIFEST_FILE_NAME));
    await manifest.append({
      event: "run_started",
      run_id: scenario.settings.run.run_id,
      run_dir_name: run.name,
      config_file: scenario.file,
      config_sha256: scenario.sha256,
      ...map,
      config: {
        ...resolvedConfig(scenario),
        test_mode: prepared.testMode,
        notes: [...prepared.notes],
      },
      hardware: prepared.hardware.profile,
      argv: options.argv,
    });
  } catch (error) {
    manifest?.close();
    await lock.release();
    throw error;
  }
  const open = manifest;
  return {
    run,
    manifest: open,
    async close(closeOptions: { removeLock?: boolean } = {}) {
      open.close();
      await lock.release({ remove: closeOptions.removeLock ?? false });
    },
  };
}
