import assert from "node:assert/strict";
import { gresRequest, resolveSlurmSettings } from "../../../lib/slurm/mod.ts";

Deno.test("resolveSlurmSettings() fills in the defaults when the scenario has no slurm block", () => {
  assert.deepEqual(resolveSlurmSettings(null), {
    partition: null,
    account: null,
    time: null,
    cpus_per_task: null,
    mem: null,
    gres: "gpu:1",
    deno_command: "deno",
    extra_sbatch_args: [],
    max_concurrent_tasks: null,
    setup_commands: [],
  });
});

Deno.test("resolveSlurmSettings() lets flags replace values and extend the lists", () => {
  const settings = resolveSlurmSettings(
    {
      partition: "cpu",
      time: "01:00:00",
      cpus_per_task: 4,
      extra_sbatch_args: ["--qos=normal"],
      setup_commands: ["module load deno"],
    },
    {
      partition: "gpu",
      gpus: 2,
      extra_sbatch_args: ["--mail-type=END"],
      setup_commands: ["export OMP_NUM_THREADS=1"],
    },
  );
  assert.equal(settings.partition, "gpu");
  assert.equal(settings.time, "01:00:00");
  assert.equal(settings.cpus_per_task, 4);
  assert.equal(settings.gres, "gpu:2");
  assert.deepEqual(settings.extra_sbatch_args, ["--qos=normal", "--mail-type=END"]);
  assert.deepEqual(settings.setup_commands, ["module load deno", "export OMP_NUM_THREADS=1"]);
});

Deno.test("resolveSlurmSettings() refuses values that cannot go into a job script", () => {
  assert.throws(() => resolveSlurmSettings({ partition: "a b" }), /slurm.partition.*spaces/);
  assert.throws(() => resolveSlurmSettings({ time: "" }), /slurm.time must not be empty/);
  assert.throws(
    () => resolveSlurmSettings({ deno_command: "deno\nrm -rf /" }),
    /slurm.deno_command must be one line/,
  );
  assert.throws(() => resolveSlurmSettings(null, { cpus_per_task: 0 }), /integer >= 1/);
  assert.throws(() => resolveSlurmSettings(null, { max_concurrent_tasks: 1.5 }), /integer >= 1/);
  assert.throws(
    () => resolveSlurmSettings({ extra_sbatch_args: ["qos=high"] }),
    /starting with "-"/,
  );
  assert.throws(() => resolveSlurmSettings({ setup_commands: ["a\nb"] }), /one line/);
});

Deno.test("gresRequest() turns a count or a gres string into a --gres value", () => {
  assert.equal(gresRequest(1), "gpu:1");
  assert.equal(gresRequest("3"), "gpu:3");
  assert.equal(gresRequest("gpu:a100:2"), "gpu:a100:2");
  assert.equal(gresRequest("a100:2"), "gpu:a100:2");
  assert.equal(gresRequest("gpu"), "gpu");
  assert.throws(() => gresRequest(0), RangeError);
  assert.throws(() => gresRequest("gpu: 1"), /spaces/);
});

Deno.test("gresRequest() refuses negative and zero counts written as gres strings", () => {
  // "--gpus=-1" arrives as the string "-1"; it used to become --gres=gpu:-1.
  assert.throws(() => gresRequest("-1"), /slurm.gpus must be a count >= 1.*"-1"/);
  assert.throws(() => gresRequest("a100:0"), /count is >= 1.*"a100:0"/);
  assert.throws(() => gresRequest("gpu:00"), /count is >= 1/);
  assert.throws(() => gresRequest("00"), /count >= 1/);
  assert.equal(gresRequest("a100:10"), "gpu:a100:10");
  assert.equal(gresRequest("gpu:h100"), "gpu:h100");
});
