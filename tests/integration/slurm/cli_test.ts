// `deno task slurm` as users run it, without a cluster: dry runs, status, usage errors.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { printedRunDir, REPO, slurmTask } from "./_slurm.ts";

const CONFIG = nodePath.join(REPO, "configs/scenarios/multi_extractor_default.yaml");

Deno.test("deno task slurm --dry-run writes the run directory and scripts and submits nothing", async () => {
  const root = await Deno.makeTempDir({ prefix: "slurm cli " });
  try {
    const result = await slurmTask([
      CONFIG,
      "--dry-run",
      "--output-root",
      nodePath.join(root, "runs"),
      "--partition",
      "cpu",
      "--cpus-per-task",
      "2",
      "--sbatch-arg=--qos=short",
      "--setup",
      "module load deno",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const runDir = printedRunDir(result.stdout);
    assert.ok(runDir.startsWith(nodePath.join(root, "runs")));
    assert.match(result.stdout, /Dry run: nothing submitted/);
    assert.match(result.stdout, /^ {2}ARRAY0=\$\(sbatch --parsable '.*\/slurm\/array\.sbatch'\)$/m);
    const script = await Deno.readTextFile(nodePath.join(runDir, "slurm", "array.sbatch"));
    assert.match(script, /^#SBATCH --array=0-1$/m);
    assert.match(script, /^#SBATCH --partition="cpu"$/m);
    assert.match(script, /^#SBATCH --cpus-per-task=2$/m);
    assert.match(script, /^#SBATCH "--qos=short"$/m);
    assert.match(script, /^module load deno$/m);
    assert.match(script, new RegExp(`^#SBATCH --chdir="${REPO}"$`, "m"));

    const status = await slurmTask(["status", runDir, "--no-query"]);
    assert.equal(status.code, 0, status.stderr);
    assert.match(status.stdout, /^0\s+dynamics_original\s+cpu\s+not started\s+not submitted$/m);
    assert.match(status.stdout, /^1\s+mlp_small\s+cpu\s+not started\s+not submitted$/m);
    assert.match(status.stdout, /^Summarize job: not submitted$/m);

    const json = await slurmTask(["status", runDir, "--no-query", "--json"]);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(JSON.parse(json.stdout).tasks.length, 2);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task slurm refuses bad flags and directories with exit code 2", async () => {
  const root = await Deno.makeTempDir({ prefix: "slurm cli " });
  try {
    const flag = await slurmTask([CONFIG, "--cpus-per-task", "0", "--output-root", root]);
    assert.equal(flag.code, 2);
    assert.match(flag.stderr, /--cpus-per-task needs an integer >= 1/);
    const setting = await slurmTask([CONFIG, "--dry-run", "--time", "1 h", "--output-root", root]);
    assert.equal(setting.code, 2);
    assert.match(setting.stderr, /slurm.time must not contain spaces/);
    assert.deepEqual([...Deno.readDirSync(root)], [], "nothing written");
    const only = await slurmTask([
      CONFIG,
      "--dry-run",
      "--only",
      "mlp_smal",
      "--output-root",
      root,
    ]);
    assert.equal(only.code, 2);
    assert.match(only.stderr, /did you mean "mlp_small"/);
    const status = await slurmTask(["status", root]);
    assert.equal(status.code, 2);
    assert.match(status.stderr, /not a run submitted with `deno task slurm`/);
    const missing = await slurmTask(["status"]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /Missing the run directory/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
