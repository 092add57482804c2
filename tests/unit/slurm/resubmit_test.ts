import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  createFailedRecord,
  createRunRecord,
  MANIFEST_FILE_NAME,
  ManifestWriter,
} from "../../../lib/run/mod.ts";
import {
  createSlurmRun,
  readJobsFile,
  resubmitSlurmRun,
  writeJobsFile,
} from "../../../lib/slurm/mod.ts";
import { prepareComparison } from "../../../lib/train/mod.ts";
import { hostReport } from "../train/_helpers.ts";

const SCENARIO = `run:
  run_id: again
extractors:
  - {name: done, preset: mlp_small}
  - {name: crashed, preset: mlp_small}
  - {name: never_ran, preset: mlp_small}
`;

/** A host without SLURM commands: every query is answered by a missing program. */
const NO_SLURM = {
  squeue: "/nonexistent/squeue",
  sacct: "/nonexistent/sacct",
  scontrol: "/nonexistent/scontrol",
  sbatch: "/nonexistent/sbatch",
};

/** A submitted run: "done" succeeded, "crashed" was interrupted, "never_ran" never started. */
async function submittedRun(): Promise<{ runDir: string; cleanup: () => Promise<void> }> {
  const dir = await Deno.makeTempDir({ prefix: "slurm resubmit " });
  const file = nodePath.join(dir, "scenario.yaml");
  await Deno.writeTextFile(file, SCENARIO);
  const prepared = await prepareComparison(file, {
    outputRoot: nodePath.join(dir, "runs"),
    hardware: hostReport(),
    cudaUsable: true,
    env: () => undefined,
  });
  const { run } = await createSlurmRun(prepared);
  const jobs = await readJobsFile(run.path);
  jobs.submissions.push({
    time: new Date().toISOString(),
    script: "array.sbatch",
    job_id: "500",
    indices: [0, 1, 2],
    dependency: null,
  });
  await writeJobsFile(run.path, jobs);
  const manifest = await ManifestWriter.open(nodePath.join(run.path, MANIFEST_FILE_NAME));
  const start = new Date();
  for (const name of ["done", "crashed"]) {
    await manifest.append({
      event: "extractor_started",
      extractor: name,
      directory: `extractors/${name}`,
    });
  }
  await manifest.append({
    event: "extractor_finished",
    extractor: "done",
    record: createRunRecord({
      config_name: "done",
      status: "success",
      start_time: start.toISOString(),
      worker_mode: "single-thread",
      metrics: { best_mean_reward: 1 },
      artifacts: { extractor_dir: "extractors/done" },
    }),
  });
  await manifest.append({
    event: "extractor_finished",
    extractor: "crashed",
    record: createFailedRecord("crashed", "interrupted", {
      workerMode: "single-thread",
      startTime: start,
    }),
  });
  manifest.close();
  return { runDir: run.path, cleanup: () => Deno.remove(dir, { recursive: true }) };
}

Deno.test("resubmitSlurmRun() picks the tasks that did not finish well", async () => {
  const t = await submittedRun();
  try {
    const result = await resubmitSlurmRun(t.runDir, { ...NO_SLURM, dryRun: true });
    assert.deepEqual(
      result.tasks.map((task) => [task.index, task.extractor, task.manifest.state, task.jobId]),
      [[1, "crashed", "interrupted", "500_1"], [2, "never_ran", "not started", "500_2"]],
    );
    assert.equal(result.submission, null, "dry run");
    assert.equal((await readJobsFile(t.runDir)).submissions.length, 1, "nothing recorded");
  } finally {
    await t.cleanup();
  }
});

Deno.test("resubmitSlurmRun() takes --only names whatever their state and names unknown ones", async () => {
  const t = await submittedRun();
  try {
    const result = await resubmitSlurmRun(t.runDir, { ...NO_SLURM, dryRun: true, only: ["done"] });
    assert.deepEqual(result.tasks.map((task) => task.extractor), ["done"]);
    await assert.rejects(
      resubmitSlurmRun(t.runDir, { ...NO_SLURM, dryRun: true, only: ["crashd"] }),
      /"crashd" is no array task .*did you mean "crashed"/,
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("resubmitSlurmRun() reports a missing sbatch as a SLURM command error", async () => {
  const t = await submittedRun();
  try {
    await assert.rejects(
      resubmitSlurmRun(t.runDir, NO_SLURM),
      (error: Error) => {
        assert.equal(error.name, "SlurmCommandError");
        assert.match(error.message, /^Cannot run \/nonexistent\/sbatch --parsable --array=1-2 /);
        assert.match(error.message, /not found \(is this a SLURM host\?\)$/);
        return true;
      },
    );
    assert.equal((await readJobsFile(t.runDir)).submissions.length, 1, "nothing recorded");
  } finally {
    await t.cleanup();
  }
});

/** An sbatch stand-in that prints job id 900 and records its arguments. */
async function recordingSbatch(dir: string): Promise<{ sbatch: string; calls: string }> {
  const sbatch = nodePath.join(dir, "sbatch");
  const calls = nodePath.join(dir, "calls");
  await Deno.writeTextFile(sbatch, `#!/bin/bash\necho "$@" >> '${calls}'\necho 900\n`);
  await Deno.chmod(sbatch, 0o755);
  return { sbatch, calls };
}

Deno.test("resubmitSlurmRun() submits the summarize job alone when every task ended well but the summary is missing", async () => {
  const t = await submittedRun();
  try {
    // The two unfinished tasks finish well; no summary_written follows.
    const manifest = await ManifestWriter.open(nodePath.join(t.runDir, MANIFEST_FILE_NAME));
    for (const name of ["crashed", "never_ran"]) {
      await manifest.append({
        event: "extractor_finished",
        extractor: name,
        record: createRunRecord({
          config_name: name,
          status: "success",
          start_time: new Date().toISOString(),
          worker_mode: "single-thread",
          metrics: { best_mean_reward: 1 },
          artifacts: { extractor_dir: `extractors/${name}` },
        }),
      });
    }
    const dry = await resubmitSlurmRun(t.runDir, { ...NO_SLURM, dryRun: true });
    assert.deepEqual([dry.tasks, dry.submission, dry.summaryOnly], [[], null, true]);

    const bin = await Deno.makeTempDir();
    try {
      const { sbatch, calls } = await recordingSbatch(bin);
      const result = await resubmitSlurmRun(t.runDir, { ...NO_SLURM, sbatch });
      assert.equal(result.summaryOnly, true);
      assert.deepEqual(result.submission?.arrays, []);
      assert.equal(result.submission?.summarize.jobId, "900");
      const script = nodePath.join(t.runDir, "slurm", "summarize.sbatch");
      assert.equal(await Deno.readTextFile(calls), `--parsable ${script}\n`);
      const text = await Deno.readTextFile(script);
      assert.doesNotMatch(text, /#SBATCH --dependency/);
      assert.match(text, /## no dependency: every array task has ended/);
      const last = (await readJobsFile(t.runDir)).submissions.at(-1);
      assert.deepEqual(
        [last?.script, last?.job_id, last?.indices, last?.dependency],
        ["summarize.sbatch", "900", [], null],
      );
    } finally {
      await Deno.remove(bin, { recursive: true });
    }

    // Once the summary is written after the last record, there is nothing to submit.
    await manifest.append({
      event: "summary_written",
      files: { json: "summary.json" },
      output_dir: t.runDir,
    });
    manifest.close();
    const after = await resubmitSlurmRun(t.runDir, { ...NO_SLURM, dryRun: true });
    assert.deepEqual([after.tasks, after.summaryOnly], [[], false]);
  } finally {
    await t.cleanup();
  }
});
