import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { readManifest } from "../../../lib/run/mod.ts";
import {
  arrayTasks,
  createSlurmRun,
  manualSubmitCommands,
  parseSbatchJobId,
  readJobsFile,
  SlurmCommandError,
  slurmRunStatus,
  submitSlurmRun,
} from "../../../lib/slurm/mod.ts";
import { prepareComparison } from "../../../lib/train/mod.ts";
import { hostReport, listDir } from "../train/_helpers.ts";

const SCENARIO = `run:
  run_id: cluster
slurm:
  partition: gpu
  time: "02:00:00"
  gpus: "gpu:a100:1"
  deno_command: /opt/deno/bin/deno
  max_concurrent_tasks: 2
  setup_commands: ["module load cuda"]
extractors:
  - {name: dynamics_original, preset: dynamics_original}
  - {name: cnn, preset: lightweight_cnn, expected_resources: gpu}
  - {name: broken, preset: mlp_smal}
  - {name: mlp_small, preset: mlp_small, priority: -1}
`;

async function scenarioDir(text: string) {
  const dir = await Deno.makeTempDir({ prefix: "slurm unit " });
  const file = nodePath.join(dir, "scenario.yaml");
  await Deno.writeTextFile(file, text);
  return {
    dir,
    file,
    root: nodePath.join(dir, "shared runs"),
    cleanup: () => Deno.remove(dir, { recursive: true }),
  };
}

function prepare(file: string, root: string, options: { testMode?: boolean } = {}) {
  return prepareComparison(file, {
    outputRoot: root,
    hardware: hostReport(), // no CUDA on the submitting host
    cudaUsable: true, // the compute nodes get the GPUs the scripts request
    now: new Date("2026-11-29T12:00:00Z"),
    env: () => undefined,
    testMode: options.testMode,
  });
}

Deno.test("arrayTasks() numbers the runnable extractors in run order and marks GPU ones", async () => {
  const t = await scenarioDir(SCENARIO);
  try {
    const prepared = await prepare(t.file, t.root);
    assert.deepEqual(arrayTasks(prepared), [
      { index: 0, extractor: "mlp_small", gpu: false },
      { index: 1, extractor: "dynamics_original", gpu: false },
      { index: 2, extractor: "cnn", gpu: true },
    ]);
    await Deno.writeTextFile(
      t.file,
      SCENARIO.replace("run_id: cluster", "run_id: cluster\n  device: cuda"),
    );
    const cuda = await prepare(t.file, t.root);
    assert.deepEqual(arrayTasks(cuda).map((task) => task.gpu), [true, true, true]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("createSlurmRun() creates the run like train and writes the scripts and jobs.json", async () => {
  const t = await scenarioDir(SCENARIO);
  try {
    const prepared = await prepare(t.file, t.root, { testMode: true });
    const slurmRun = await createSlurmRun(prepared, {
      projectDir: "/home/ana/multi extractor",
      overrides: { time: "03:00:00" },
      argv: ["scenario.yaml"],
    });
    const runDir = nodePath.join(t.root, "20261129-120000-cluster");
    assert.equal(slurmRun.run.path, runDir);
    assert.deepEqual(await listDir(runDir), [
      "extractors",
      "manifest.jsonl",
      "run.lock",
      "scenario.yaml",
      "slurm",
    ]);
    assert.deepEqual(await listDir(nodePath.join(runDir, "slurm")), [
      "array.sbatch",
      "array_gpu.sbatch",
      "jobs.json",
      "logs",
      "summarize.sbatch",
    ]);
    const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
    assert.deepEqual(events.map((e) => e.event), ["run_started"]);
    const started = events[0];
    assert.ok(started.event === "run_started");
    assert.equal(started.config.test_mode, true);
    assert.deepEqual(started.argv, ["scenario.yaml"]);

    const jobs = await readJobsFile(runDir);
    assert.deepEqual(jobs.tasks.map((task) => task.extractor), [
      "mlp_small",
      "dynamics_original",
      "cnn",
    ]);
    assert.equal(jobs.project_dir, "/home/ana/multi extractor");
    assert.equal(jobs.settings.time, "03:00:00", "the flag wins over the scenario");
    assert.equal(jobs.settings.gres, "gpu:a100:1");
    assert.equal(jobs.settings.max_concurrent_tasks, 2);
    assert.deepEqual(jobs.settings.setup_commands, ["module load cuda"]);
    assert.equal(jobs.test_mode, true);
    assert.deepEqual(jobs.scripts, ["array.sbatch", "array_gpu.sbatch", "summarize.sbatch"]);
    assert.deepEqual(jobs.submissions, []);

    const cpu = await Deno.readTextFile(slurmRun.arrayScripts[0]);
    assert.match(cpu, /^#SBATCH --array=0-1%2$/m);
    assert.match(cpu, /^module load cuda$/m);
    assert.match(cpu, /^\/opt\/deno\/bin\/deno task resume "\$RUN_DIR" --only "\$NAME"$/m);
    assert.match(cpu, /^export MULTI_EXTRACTOR_TEST_MODE=1$/m);
    assert.doesNotMatch(cpu, /--gres/);
    const gpu = await Deno.readTextFile(slurmRun.arrayScripts[1]);
    assert.match(gpu, /^#SBATCH --array=2%2$/m);
    assert.match(gpu, /^#SBATCH --gres="gpu:a100:1"$/m);

    assert.deepEqual(manualSubmitCommands(jobs), [
      `ARRAY0=$(sbatch --parsable '${runDir}/slurm/array.sbatch')`,
      `ARRAY1=$(sbatch --parsable '${runDir}/slurm/array_gpu.sbatch')`,
      `sbatch --dependency=afterany:\${ARRAY0%%;*}:\${ARRAY1%%;*} '${runDir}/slurm/summarize.sbatch'`,
    ]);
  } finally {
    await t.cleanup();
  }
});

Deno.test("slurmRunStatus() reports a run that was written but not submitted", async () => {
  const t = await scenarioDir(SCENARIO);
  try {
    const slurmRun = await createSlurmRun(await prepare(t.file, t.root));
    const status = await slurmRunStatus(slurmRun.run.path, { query: false });
    assert.deepEqual(
      status.tasks.map((task) => [task.index, task.extractor, task.manifest.state, task.jobId]),
      [[0, "mlp_small", "not started", null], [1, "dynamics_original", "not started", null], [
        2,
        "cnn",
        "not started",
        null,
      ]],
    );
    assert.equal(status.tasks[2].script, "array_gpu.sbatch");
    assert.equal(status.summarize, null);
    assert.deepEqual(status.others.map((o) => [o.extractor, o.state]), [["broken", "skipped"]]);
    assert.match(status.others[0].reason ?? "", /^Invalid config entry: .*preset/);
  } finally {
    await t.cleanup();
  }
});

Deno.test("createSlurmRun() writes nothing when a setting cannot be used or nothing can run", async () => {
  const t = await scenarioDir(SCENARIO);
  try {
    await assert.rejects(
      createSlurmRun(await prepare(t.file, t.root), { overrides: { partition: "two words" } }),
      /slurm.partition must not contain spaces/,
    );
    assert.deepEqual(await listDir(t.root), []);
    const onlyBroken = await scenarioDir(
      "extractors:\n  - {name: broken, preset: mlp_smal}\n",
    );
    try {
      await assert.rejects(
        createSlurmRun(await prepare(onlyBroken.file, onlyBroken.root)),
        /can run; nothing to submit/,
      );
      assert.deepEqual(await listDir(onlyBroken.root), []);
    } finally {
      await onlyBroken.cleanup();
    }
    const comma = await scenarioDir("extractors:\n  - {name: 'a,b', preset: mlp_small}\n");
    try {
      await assert.rejects(
        createSlurmRun(await prepare(comma.file, comma.root)),
        /contains a comma/,
      );
    } finally {
      await comma.cleanup();
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("slurmRunStatus() names a directory that was not submitted with slurm, is missing or is a file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(slurmRunStatus(dir, { query: false }), /no slurm\/jobs.json/);
    const missing = nodePath.join(dir, "no such run");
    await assert.rejects(
      slurmRunStatus(missing, { query: false }),
      (error: Error) => {
        assert.equal(error.name, "RunDirectoryError");
        assert.equal(
          error.message,
          `${missing}: does not exist (give the run directory that \`deno task slurm\` printed)`,
        );
        return true;
      },
    );
    const file = nodePath.join(dir, "manifest.jsonl");
    await Deno.writeTextFile(file, "");
    await assert.rejects(
      slurmRunStatus(file, { query: false }),
      (error: Error) => {
        assert.equal(error.name, "RunDirectoryError");
        assert.match(error.message, /manifest\.jsonl: is not a directory \(give the run directory/);
        return true;
      },
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseSbatchJobId() reads sbatch --parsable output with and without a cluster name", () => {
  assert.equal(parseSbatchJobId("1234\n"), "1234");
  assert.equal(parseSbatchJobId("1234;gpu-cluster\n"), "1234");
  assert.throws(() => parseSbatchJobId("Submitted batch job 1234\n"), /no job id/);
});

/**
 * An sbatch stand-in: prints job ids 101, 102, ... (`--parsable`) and fails like sbatch
 * for the script whose file name is given.
 */
async function fakeSbatch(dir: string, failFor: string): Promise<string> {
  const path = nodePath.join(dir, "sbatch");
  await Deno.writeTextFile(
    path,
    `#!/bin/bash
for arg in "$@"; do
  case "$arg" in
    */${failFor}) echo "sbatch: error: Batch job submission failed: Invalid account" >&2; exit 1 ;;
  esac
done
count=$(( $(cat "${dir}/count" 2>/dev/null || echo 100) + 1 ))
echo "$count" > "${dir}/count"
echo "$count"
`,
  );
  await Deno.chmod(path, 0o755);
  return path;
}

Deno.test("submitSlurmRun() names what was submitted and how to finish when sbatch fails", async (t) => {
  const dir = await scenarioDir(SCENARIO);
  try {
    for (
      const [failFor, submitted, hint] of [
        [
          "array.sbatch",
          0,
          /^Nothing was submitted; the run directory .* is kept: submit it with: deno task slurm resubmit '.*shared runs\/.*-cluster'$/,
        ],
        [
          "array_gpu.sbatch",
          1,
          /^Submitted array job 101 \(array.sbatch\) but not tasks 2 nor a summarize job; submit them with: deno task slurm resubmit '/,
        ],
        [
          "summarize.sbatch",
          2,
          /^Submitted array job 101 \(array.sbatch\), array job 102 \(array_gpu.sbatch\) but no summarize job; submit it with: sbatch '.*\/slurm\/summarize.sbatch' \(it waits for 101, 102\), or run deno task summarize '/,
        ],
      ] as const
    ) {
      await t.step(`sbatch failing for ${failFor}`, async () => {
        const bin = await Deno.makeTempDir({ dir: dir.dir });
        const { run } = await createSlurmRun(await prepare(dir.file, dir.root));
        const sbatch = await fakeSbatch(bin, failFor);
        await assert.rejects(submitSlurmRun(run.path, { sbatch }), (error: unknown) => {
          assert.ok(error instanceof SlurmCommandError);
          assert.match(error.message, /exited with 1: .*Invalid account/);
          assert.match(error.hint ?? "", hint);
          return true;
        });
        assert.equal((await readJobsFile(run.path)).submissions.length, submitted);
      });
    }
  } finally {
    await dir.cleanup();
  }
});
