import assert from "node:assert/strict";
import {
  createFailedRecord,
  createRunRecord,
  createSkippedRecord,
  type ManifestEvent,
} from "../../../lib/run/mod.ts";
import {
  expandArrayJobId,
  expandIndexRange,
  extractorProgress,
  formatSlurmStatus,
  needsResubmit,
  parseSacct,
  parseScontrolJobs,
  parseSqueue,
  querySlurmJobs,
  type SlurmRunStatus,
} from "../../../lib/slurm/mod.ts";

// Output of squeue 22.05 (Debian slurm-wlm) on the test cluster: `squeue --noheader --array
// --format=%i|%T|%M|%R`, an array of 4 running two at a time and a dependent array.
const SQUEUE = `3_2|PENDING|0:00|(Resources)
3_3|PENDING|0:00|(Resources)
4_0|PENDING|0:00|(Dependency)
3_0|RUNNING|0:01|vm
3_1|RUNNING|0:01|vm
`;

// The same queue without --array: pending tasks folded into ranges.
const SQUEUE_FOLDED = `3_[2-3]|PENDING|0:00|(Resources)
4_[0-3%2]|PENDING|0:00|(Dependency)
3_0|RUNNING|0:01|vm
`;

// `sacct --noheader --parsable2 --allocations --format=JobID,State,ExitCode,Elapsed,NodeList`.
const SACCT = `12_0|COMPLETED|0:0|00:00:14|node03
12_1|FAILED|3:0|00:00:02|node04
12_1.batch|FAILED|3:0|00:00:02|node04
12_[2-3]|PENDING|0:0|00:00:00|None assigned
13|CANCELLED by 1000|0:15|00:01:00|node03
`;

// `scontrol --oneliner show job 1` on the test cluster (fields shortened).
const SCONTROL =
  `JobId=2 ArrayJobId=1 ArrayTaskId=0 JobName=mx-test UserId=root(0) JobState=COMPLETED Reason=None Dependency=(null) ExitCode=0:0 RunTime=00:00:01 NodeList=vm Command=/tmp/dir with space/t.sbatch StdOut=/tmp/x Power=
JobId=1 ArrayJobId=1 ArrayTaskId=1 JobName=mx-test UserId=root(0) JobState=FAILED Reason=NonZeroExitCode Dependency=(null) ExitCode=3:0 RunTime=00:00:02 NodeList=vm Power=
JobId=1 ArrayJobId=1 ArrayTaskId=2-3 JobName=mx-test JobState=PENDING Reason=Resources ExitCode=0:0 RunTime=00:00:00 NodeList=(null) Power=
JobId=9 JobName=mx-test-summary JobState=PENDING Reason=Dependency ExitCode=0:0 RunTime=00:00:00 NodeList=(null) Power=
`;

Deno.test("parseSqueue() reads one state per array task", () => {
  const states = parseSqueue(SQUEUE);
  assert.deepEqual(states.map((s) => [s.jobId, s.state, s.reason]), [
    ["3_2", "PENDING", "Resources"],
    ["3_3", "PENDING", "Resources"],
    ["4_0", "PENDING", "Dependency"],
    ["3_0", "RUNNING", "vm"],
    ["3_1", "RUNNING", "vm"],
  ]);
  assert.equal(states[3].elapsed, "0:01");
  assert.equal(states[3].source, "squeue");
});

Deno.test("parseSqueue() expands folded pending ranges", () => {
  assert.deepEqual(parseSqueue(SQUEUE_FOLDED).map((s) => s.jobId), [
    "3_2",
    "3_3",
    "4_0",
    "4_1",
    "4_2",
    "4_3",
    "3_0",
  ]);
});

Deno.test("parseSacct() keeps job allocations, drops steps and shortens 'CANCELLED by'", () => {
  const states = parseSacct(SACCT);
  assert.deepEqual(states.map((s) => [s.jobId, s.state, s.exitCode, s.reason]), [
    ["12_0", "COMPLETED", "0:0", "node03"],
    ["12_1", "FAILED", "3:0", "node04"],
    ["12_2", "PENDING", "0:0", null],
    ["12_3", "PENDING", "0:0", null],
    ["13", "CANCELLED", "0:15", "node03"],
  ]);
});

Deno.test("parseScontrolJobs() names array tasks by array job id and task id", () => {
  const states = parseScontrolJobs(SCONTROL);
  assert.deepEqual(states.map((s) => [s.jobId, s.state, s.exitCode, s.reason, s.elapsed]), [
    ["1_0", "COMPLETED", "0:0", "vm", "00:00:01"],
    ["1_1", "FAILED", "3:0", "NonZeroExitCode", "00:00:02"],
    ["1_2", "PENDING", "0:0", "Resources", "00:00:00"],
    ["1_3", "PENDING", "0:0", "Resources", "00:00:00"],
    ["9", "PENDING", "0:0", "Dependency", "00:00:00"],
  ]);
});

Deno.test("expandIndexRange() honours ranges, steps and the task limit", () => {
  assert.deepEqual(expandIndexRange("0-2,5"), [0, 1, 2, 5]);
  assert.deepEqual(expandIndexRange("0-6:3%2"), [0, 3, 6]);
  assert.deepEqual(expandArrayJobId("7_[1,3]"), ["7_1", "7_3"]);
  assert.deepEqual(expandArrayJobId("7_1"), ["7_1"]);
});

const T = (second: number) => `2026-11-29T12:00:${String(second).padStart(2, "0")}.000Z`;

function events(): ManifestEvent[] {
  const base = { format_version: 1 as const };
  return [
    { ...base, event: "extractor_started", time: T(1), extractor: "a", directory: "extractors/a" },
    { ...base, event: "extractor_started", time: T(1), extractor: "b", directory: "extractors/b" },
    {
      ...base,
      event: "checkpoint_written",
      time: T(2),
      extractor: "b",
      path: "extractors/b/checkpoints/checkpoint_128_steps.ckpt",
      step: 128,
      sha256: "0".repeat(64),
    },
    {
      ...base,
      event: "evaluation_done",
      time: T(3),
      extractor: "a",
      timestep: 256,
      mean_reward: -0.1,
      std_reward: 0,
    },
    {
      ...base,
      event: "extractor_finished",
      time: T(4),
      extractor: "a",
      record: createRunRecord({
        config_name: "a",
        status: "success",
        start_time: T(1),
        worker_mode: "single-thread",
        training_steps: 256,
        metrics: { best_mean_reward: -0.1 },
        artifacts: { extractor_dir: "extractors/a" },
      }),
    },
    {
      ...base,
      event: "extractor_finished",
      time: T(5),
      extractor: "b",
      record: createFailedRecord("b", "interrupted", {
        workerMode: "single-thread",
        startTime: new Date(T(1)),
        trainingSteps: 128,
      }),
    },
    { ...base, event: "extractor_started", time: T(6), extractor: "c", directory: "extractors/c" },
    {
      ...base,
      event: "extractor_finished",
      time: T(7),
      extractor: "c",
      record: createFailedRecord("c", "NaN loss at step 64", {
        workerMode: "single-thread",
        startTime: new Date(T(6)),
        trainingSteps: 64,
      }),
    },
    { ...base, event: "extractor_started", time: T(8), extractor: "c", directory: "extractors/c" },
    {
      ...base,
      event: "extractor_finished",
      time: T(9),
      extractor: "d",
      record: createSkippedRecord("d", "CUDA not usable", { workerMode: "single-thread" }),
    },
  ];
}

Deno.test("extractorProgress() follows each extractor's last start or finish", () => {
  const progress = extractorProgress(events(), ["a", "b", "c", "d", "e"]);
  assert.deepEqual(progress.map((p) => [p.extractor, p.state, p.steps, p.starts]), [
    ["a", "success", 256, 1],
    ["b", "interrupted", 128, 1],
    ["c", "running", 64, 2],
    ["d", "skipped", null, 0],
    ["e", "not started", null, 0],
  ]);
  assert.equal(progress[1].lastCheckpoint, "extractors/b/checkpoints/checkpoint_128_steps.ckpt");
  assert.equal(progress[1].reason, "interrupted");
  assert.equal(progress[2].reason, null, "a new start clears the old failure");
  assert.equal(progress[3].reason, "CUDA not usable");
  assert.equal(progress[2].updatedAt, T(8));
});

Deno.test("needsResubmit() picks tasks that did not finish well and are not queued or running", () => {
  const [a, b, c, d, e] = extractorProgress(events(), ["a", "b", "c", "d", "e"]);
  const slurm = (state: string) => ({
    jobId: "1_0",
    state,
    reason: null,
    exitCode: null,
    elapsed: null,
    source: "squeue" as const,
  });
  assert.equal(needsResubmit(a, null), false, "success");
  assert.equal(needsResubmit(d, slurm("COMPLETED")), false, "skipped");
  assert.equal(needsResubmit(b, slurm("PREEMPTED")), true, "interrupted and pre-empted");
  assert.equal(needsResubmit(b, slurm("PENDING")), false, "requeued and waiting");
  assert.equal(needsResubmit(c, slurm("TIMEOUT")), true, "killed at the time limit");
  assert.equal(needsResubmit(c, slurm("RUNNING")), false, "still running");
  assert.equal(needsResubmit(e, slurm("FAILED")), true, "failed before training");
  assert.equal(needsResubmit(e, null), true, "unknown to SLURM");
});

Deno.test("formatSlurmStatus() shows manifest and SLURM state per task and the resubmit command", () => {
  const [a, b] = extractorProgress(events(), ["a", "b"]);
  const status: SlurmRunStatus = {
    runDir: "/runs/my run",
    runId: "lab",
    tasks: [
      {
        index: 0,
        extractor: "a",
        gpu: false,
        script: "array.sbatch",
        jobId: "12_0",
        manifest: a,
        slurm: parseSacct(SACCT)[0],
        resubmit: false,
      },
      {
        index: 1,
        extractor: "b",
        gpu: true,
        script: "array_gpu.sbatch",
        jobId: "13_1",
        manifest: b,
        slurm: null,
        resubmit: true,
      },
    ],
    others: [],
    summarize: { jobId: "14", slurm: null },
    notes: ["sacct: Slurm accounting storage is disabled"],
  };
  const text = formatSlurmStatus(status);
  const lines = text.split("\n");
  assert.match(lines[0], /^Run \/runs\/my run \(run_id lab\)$/);
  assert.match(lines[2], /^Task\s+Extractor\s+Resources\s+Manifest\s+SLURM job$/);
  assert.match(
    lines[3],
    /^0\s+a\s+cpu\s+success \(256 steps\)\s+12_0 COMPLETED \(00:00:14, exit 0:0, node03\)$/,
  );
  assert.match(lines[4], /^1\s+b\s+gpu\s+interrupted \(128 steps\)\s+13_1 \(unknown to SLURM\)$/);
  assert.match(text, /^Summarize job: 14 \(unknown to SLURM\)$/m);
  assert.match(text, /^Note: sacct: Slurm accounting storage is disabled$/m);
  assert.match(text, /submit again with: deno task slurm resubmit '\/runs\/my run'$/m);
});

/** A stand-in SLURM command that prints fixed output (or fails like sacct without accounting). */
async function fakeCommand(dir: string, name: string, stdout: string, code = 0): Promise<string> {
  const path = `${dir}/${name}`;
  const quoted = stdout.replaceAll("'", "'\\''");
  await Deno.writeTextFile(
    path,
    `#!/bin/bash\n${
      code === 0
        ? `printf '%s' '${quoted}'`
        : `echo "${name}: error: Slurm accounting storage is disabled" >&2`
    }\nexit ${code}\n`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("querySlurmJobs() finds the ended tasks of an array that still has queued tasks", async () => {
  // On the test cluster (no accounting), task 0 of array 13 completed while task 1 was
  // requeued: squeue lists only 13_1, sacct is disabled, scontrol remembers both.
  const dir = await Deno.makeTempDir();
  try {
    const result = await querySlurmJobs(["13", "14"], {
      squeue: await fakeCommand(
        dir,
        "squeue",
        "13_1|PENDING|0:00|(BeginTime)\n14|PENDING|0:00|(Dependency)\n",
      ),
      sacct: await fakeCommand(dir, "sacct", "", 1),
      scontrol: await fakeCommand(
        dir,
        "scontrol",
        "JobId=15 ArrayJobId=13 ArrayTaskId=0 JobName=mx-odd JobState=COMPLETED Reason=None ExitCode=0:0 RunTime=00:00:10 NodeList=vm\n" +
          "JobId=13 ArrayJobId=13 ArrayTaskId=1 JobName=mx-odd JobState=PENDING Reason=BeginTime ExitCode=0:0 RunTime=00:00:00 NodeList=(null)\n",
      ),
    });
    const states = [...result.jobs.values()].map((s) => [s.jobId, s.state, s.source]).sort();
    assert.deepEqual(states, [
      ["13_0", "COMPLETED", "scontrol"],
      ["13_1", "PENDING", "squeue"],
      ["14", "PENDING", "squeue"],
    ]);
    assert.equal(result.notes.length, 1);
    assert.match(result.notes[0], /sacct: sacct: error: Slurm accounting storage is disabled$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
