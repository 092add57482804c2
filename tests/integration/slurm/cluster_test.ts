// `deno task slurm` against a real single-node SLURM cluster (munged, slurmctld and slurmd
// started on localhost from tests/fixtures/slurm): a test-mode comparison of two
// extractors runs as a job array into one run directory, the summarize job merges it,
// and a failed array task is submitted again alone.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { readManifest, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { readJobsFile, shellQuote } from "../../../lib/slurm/mod.ts";
import {
  findSlurmPrograms,
  type SlurmCluster,
  startSlurmCluster,
} from "../../fixtures/slurm/cluster.ts";
import { printedRunDir, REPO, slurmTask } from "./_slurm.ts";

const CONFIG = nodePath.join(REPO, "configs/scenarios/multi_extractor_default.yaml");
/** Longest wait for a run's jobs (two test-mode extractors and the summary take ~15 s). */
const JOB_TIMEOUT_MS = 90_000;

const programs = findSlurmPrograms();
const installed = !("missing" in programs);
if (!installed) {
  console.log(
    `skipped: SLURM is not installed (missing ${
      (programs as { missing: string[] }).missing.join(", ")
    }; apt-get install slurm-wlm munge)`,
  );
}

async function jobLogs(runDir: string): Promise<string> {
  const dir = nodePath.join(runDir, "slurm", "logs");
  const parts: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      parts.push(`--- ${entry.name}\n${await Deno.readTextFile(nodePath.join(dir, entry.name))}`);
    }
  } catch {
    parts.push("(no job logs)");
  }
  return parts.join("\n");
}

/** Wait until SLURM no longer lists any job of the run (all ended, whatever their state). */
async function waitForRun(cluster: SlurmCluster, runDir: string): Promise<void> {
  const jobs = await readJobsFile(runDir);
  const ids = [...new Set(jobs.submissions.map((s) => s.job_id))].join(",");
  const deadline = Date.now() + JOB_TIMEOUT_MS;
  let queue = "";
  while (Date.now() < deadline) {
    const output = await new Deno.Command(cluster.programs.squeue, {
      args: ["--noheader", `--jobs=${ids}`, "--format=%i %T"],
      env: cluster.env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    queue = new TextDecoder().decode(output.stdout).trim();
    if (output.success && queue === "") return;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  throw new Error(
    `Jobs ${ids} still queued after ${JOB_TIMEOUT_MS / 1000} s:\n${queue}\n` +
      `${await jobLogs(runDir)}\n${await cluster.logs()}`,
  );
}

async function summaryOf(runDir: string) {
  const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
  assert.deepEqual(validateTrainingSummary(summary), [], "summary.json follows the schema");
  return summary as {
    extractor_results: { config_name: string; status: string; hardware_profile?: unknown }[];
    aggregate_metrics: Record<string, number>;
  };
}

Deno.test({
  name:
    "a test-mode comparison of 2 extractors runs as a SLURM job array and a failed task is resubmitted alone",
  ignore: !installed,
  fn: async (t) => {
    const started = await startSlurmCluster();
    if ("skip" in started) {
      console.log(`skipped: SLURM could not be started on this machine: ${started.skip}`);
      return;
    }
    const { cluster } = started;
    const root = await Deno.makeTempDir({ prefix: "mx-slurm-runs-" });
    // Run directories on a path with a space, a quote and a percent sign.
    const outputRoot = nodePath.join(root, "shared runs 'lab' 100%");
    const env = { ...cluster.env, MULTI_EXTRACTOR_TEST_MODE: "1" };
    const common = ["--output-root", outputRoot, "--deno-command", shellQuote(Deno.execPath())];
    try {
      await t.step(
        "both array tasks train into one run and the summarize job merges them",
        async () => {
          const submit = await slurmTask([CONFIG, ...common, "--cpus-per-task", "1"], env);
          assert.equal(submit.code, 0, `${submit.stdout}\n${submit.stderr}`);
          const runDir = printedRunDir(submit.stdout);
          assert.match(submit.stdout, /^Submitted array job \d+ \(array\.sbatch\)$/m);
          assert.match(submit.stdout, /^Submitted summarize job \d+ \(after \d+\)$/m);
          await waitForRun(cluster, runDir);

          const summary = await summaryOf(runDir).catch(async (error) => {
            throw new Error(`${error.message}\n${await jobLogs(runDir)}`);
          });
          assert.deepEqual(
            summary.extractor_results.map((r) => [r.config_name, r.status]),
            [["dynamics_original", "success"], ["mlp_small", "success"]],
          );
          assert.equal(summary.aggregate_metrics.completed_runs, 2);

          const jobs = await readJobsFile(runDir);
          const [array, summarize] = jobs.submissions;
          assert.deepEqual(array.indices, [0, 1]);
          assert.equal(summarize.dependency, `afterany:${array.job_id}`);
          const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
          const finished = events.filter((e) => e.event === "extractor_finished");
          assert.equal(finished.length, 2);
          const written = events.filter((e) => e.event === "summary_written");
          assert.ok(written.length > 0);
          assert.ok(
            written[written.length - 1].time >= finished[finished.length - 1].time,
            "the summarize job ran after both array tasks",
          );
          const logs = await jobLogs(runDir);
          assert.match(
            logs,
            new RegExp(`array task 0 of job ${array.job_id} trains dynamics_original`),
          );
          assert.match(logs, new RegExp(`array task 1 of job ${array.job_id} trains mlp_small`));

          const status = await slurmTask(["status", runDir], env);
          assert.equal(status.code, 0, status.stderr);
          assert.match(
            status.stdout,
            new RegExp(
              `^0\\s+dynamics_original\\s+cpu\\s+success .*${array.job_id}_0 COMPLETED`,
              "m",
            ),
          );
          assert.match(
            status.stdout,
            new RegExp(`^1\\s+mlp_small\\s+cpu\\s+success .*${array.job_id}_1 COMPLETED`, "m"),
          );
          assert.doesNotMatch(status.stdout, /submit again/);
        },
      );

      await t.step(
        "a failed array task is submitted again alone and continues the run",
        async () => {
          // The first attempt of mlp_small's task fails before training (exit 3).
          const failFirst =
            'if [ "${NAME:-}" = mlp_small ] && [ ! -e "$RUN_DIR/failed_once" ]; then ' +
            'touch "$RUN_DIR/failed_once"; echo "failing this attempt on purpose" >&2; exit 3; fi';
          const submit = await slurmTask(
            [
              CONFIG,
              ...common,
              "--cpus-per-task",
              "1",
              "--run-id",
              "resubmit",
              "--setup",
              failFirst,
            ],
            env,
          );
          assert.equal(submit.code, 0, `${submit.stdout}\n${submit.stderr}`);
          const runDir = printedRunDir(submit.stdout);
          await waitForRun(cluster, runDir);
          const jobs = await readJobsFile(runDir);
          const arrayJob = jobs.submissions[0].job_id;

          const before = await slurmTask(["status", runDir], env);
          assert.equal(before.code, 0, before.stderr);
          assert.match(before.stdout, /^0\s+dynamics_original\s+cpu\s+success /m);
          assert.match(
            before.stdout,
            new RegExp(
              `^1\\s+mlp_small\\s+cpu\\s+not started\\s+${arrayJob}_1 FAILED \\(.*exit 3:0`,
              "m",
            ),
          );
          assert.match(before.stdout, /Not finished and not queued: mlp_small; submit again with/);
          const partial = await summaryOf(runDir);
          assert.deepEqual(partial.extractor_results.map((r) => r.status), ["success", "skipped"]);

          const resubmit = await slurmTask(["resubmit", runDir], env);
          assert.equal(resubmit.code, 0, `${resubmit.stdout}\n${resubmit.stderr}`);
          assert.match(resubmit.stdout, /^Task 1 mlp_small: not started, SLURM FAILED$/m);
          assert.match(resubmit.stdout, /^Submitted array job \d+ \(tasks 1\)$/m);
          await waitForRun(cluster, runDir);

          const after = await readJobsFile(runDir);
          const [again, summarizeAgain] = after.submissions.slice(2);
          assert.deepEqual(again.indices, [1], "only the failed task");
          assert.equal(summarizeAgain.dependency, `afterany:${again.job_id}`);
          const summary = await summaryOf(runDir).catch(async (error) => {
            throw new Error(`${error.message}\n${await jobLogs(runDir)}`);
          });
          assert.deepEqual(
            summary.extractor_results.map((r) => [r.config_name, r.status]),
            [["dynamics_original", "success"], ["mlp_small", "success"]],
            await jobLogs(runDir),
          );
          const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
          assert.equal(
            events.filter((e) =>
              e.event === "extractor_started" && e.extractor === "dynamics_original"
            )
              .length,
            1,
            "the finished extractor was not trained again",
          );
          const status = await slurmTask(["status", runDir], env);
          assert.match(
            status.stdout,
            new RegExp(`^1\\s+mlp_small\\s+cpu\\s+success .*${again.job_id}_1 COMPLETED`, "m"),
          );
        },
      );
    } finally {
      await cluster.stop();
      await Deno.remove(root, { recursive: true });
    }
  },
});
