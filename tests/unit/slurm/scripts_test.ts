import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  arrayScript,
  arraySpec,
  type ArrayTask,
  dependencySpec,
  literalFilename,
  resolveSlurmSettings,
  sbatchQuote,
  shellQuote,
  type SlurmScriptContext,
  summarizeScript,
} from "../../../lib/slurm/mod.ts";

const TASKS: ArrayTask[] = [
  { index: 0, extractor: "dynamics_original", gpu: false },
  { index: 1, extractor: "lightweight_cnn", gpu: true },
  { index: 2, extractor: "mlp small's copy", gpu: false },
  { index: 3, extractor: "attention_small", gpu: true },
  { index: 4, extractor: "mlp_large", gpu: false },
];

function context(overrides: Partial<SlurmScriptContext> = {}): SlurmScriptContext {
  return {
    runDir: "/shared/runs with spaces/20261129-120000-lab",
    projectDir: "/home/ana/multi extractor",
    runId: "lab",
    tasks: TASKS,
    settings: resolveSlurmSettings({
      partition: "gpu",
      account: "rl-lab",
      time: "04:00:00",
      cpus_per_task: 8,
      mem: "16G",
      gpus: "a100:2",
      deno_command: "/opt/deno/bin/deno",
      extra_sbatch_args: ["--qos=high"],
    }),
    testMode: false,
    ...overrides,
  };
}

/** The `#SBATCH` lines of a script, as option -> value (quotes kept). */
function directives(script: string): Map<string, string> {
  const map = new Map<string, string>();
  for (const line of script.split("\n")) {
    const match = /^#SBATCH (--[a-z-]+)(?:=(.*))?$/.exec(line);
    if (match !== null) map.set(match[1], match[2] ?? "");
  }
  return map;
}

async function bash(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; stdout: string; stderr: string }> {
  const output = await new Deno.Command("bash", { args, env, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

Deno.test("arraySpec() writes runs of indices as ranges and appends the task limit", () => {
  assert.equal(arraySpec([0, 1, 2, 3]), "0-3");
  assert.equal(arraySpec([5, 0, 2, 6, 7]), "0,2,5-7");
  assert.equal(arraySpec([4]), "4");
  assert.equal(arraySpec([1, 1, 2]), "1-2");
  assert.equal(arraySpec([0, 1, 3], 2), "0-1,3%2");
  assert.throws(() => arraySpec([]), RangeError);
  assert.throws(() => arraySpec([-1]), /integers >= 0/);
  assert.throws(() => arraySpec([0], 0), /integer >= 1/);
});

Deno.test("dependencySpec() waits for every job in any end state", () => {
  assert.equal(dependencySpec(["1234"]), "afterany:1234");
  assert.equal(dependencySpec(["1234", "1240"]), "afterany:1234:1240");
  assert.throws(() => dependencySpec([]), RangeError);
  assert.throws(() => dependencySpec(["12_3"]), /decimal/);
});

Deno.test("shellQuote() gives bash one word equal to the input", async () => {
  const values = ["plain", "with space", "it's", '$HOME `x` "q" \\ ; & | *', "", "a\nb"];
  for (const value of values) {
    const result = await bash(["-c", `printf '%s' ${shellQuote(value)}`]);
    assert.equal(result.stdout, value);
  }
});

Deno.test("sbatchQuote() escapes what sbatch's #SBATCH parser treats specially", () => {
  assert.equal(sbatchQuote("/runs/my run"), '"/runs/my run"');
  assert.equal(sbatchQuote('a "b" #c \\d'), '"a \\"b\\" \\#c \\\\d"');
  assert.throws(() => sbatchQuote("a\nb"), RangeError);
  assert.equal(literalFilename("/runs/100%/x"), "/runs/100%%/x");
});

Deno.test("arrayScript() puts CPU extractors in one array and GPU extractors in another, with global indices", () => {
  const cpu = arrayScript(context(), false);
  const gpu = arrayScript(context(), true);
  assert.equal(directives(cpu).get("--array"), "0,2,4");
  assert.equal(directives(gpu).get("--array"), "1,3");
  assert.match(
    cpu,
    /^EXTRACTORS=\(\[0\]='dynamics_original' \[2\]='mlp small'\\''s copy' \[4\]='mlp_large'\)$/m,
  );
  assert.match(gpu, /^EXTRACTORS=\(\[1\]='lightweight_cnn' \[3\]='attention_small'\)$/m);
  assert.throws(
    () => arrayScript(context({ tasks: TASKS.filter((t) => !t.gpu) }), true),
    /no GPU extractor/,
  );
});

Deno.test("arrayScript() requests the resources, and --gres only in the GPU array", () => {
  for (const gpu of [false, true]) {
    const d = directives(arrayScript(context(), gpu));
    assert.equal(d.get("--partition"), '"gpu"');
    assert.equal(d.get("--account"), '"rl-lab"');
    assert.equal(d.get("--time"), '"04:00:00"');
    assert.equal(d.get("--cpus-per-task"), "8");
    assert.equal(d.get("--mem"), '"16G"');
    assert.equal(d.get("--chdir"), '"/home/ana/multi extractor"');
    assert.equal(d.get("--requeue"), "");
    assert.equal(d.get("--job-name"), '"mx-lab"');
    assert.equal(d.get("--gres"), gpu ? '"gpu:a100:2"' : undefined);
  }
  const cpu = arrayScript(context(), false);
  assert.match(cpu, /^#SBATCH "--qos=high"$/m);
  assert.equal(
    directives(cpu).get("--output"),
    '"/shared/runs with spaces/20261129-120000-lab/slurm/logs/array-%A_%a.out"',
  );
  assert.equal(
    directives(arrayScript(context(), true)).get("--output"),
    '"/shared/runs with spaces/20261129-120000-lab/slurm/logs/array_gpu-%A_%a.out"',
  );
});

Deno.test("arrayScript() leaves out the resources the settings do not set", () => {
  const d = directives(arrayScript(context({ settings: resolveSlurmSettings(null) }), false));
  assert.deepEqual(
    [...d.keys()].sort(),
    ["--array", "--chdir", "--job-name", "--output", "--requeue"],
  );
});

Deno.test("arrayScript() task i runs the deno command's resume --only on extractor i, paths quoted", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slurm script it's " });
  try {
    const projectDir = nodePath.join(dir, "project dir");
    await Deno.mkdir(projectDir);
    const runDir = nodePath.join(dir, "runs 'a' $x", "20261129-120000-lab");
    // The deno command prints its working directory and each argument it receives.
    const settings = resolveSlurmSettings({
      deno_command: `pwd; printf '<%s>\\n'`,
      setup_commands: ['echo "setup ran for $NAME"'],
    });
    const script = nodePath.join(dir, "array.sbatch");
    await Deno.writeTextFile(script, arrayScript(context({ runDir, projectDir, settings }), false));
    assert.equal((await bash(["-n", script])).code, 0, "valid bash");

    const result = await bash([script], { SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_JOB_ID: "77" });
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trimEnd().split("\n");
    assert.equal(lines[0], "setup ran for mlp small's copy");
    assert.match(lines[1], /^multi-extractor: array task 2 of job 77 trains mlp small's copy on /);
    assert.deepEqual(lines.slice(2), [
      projectDir,
      "<task>",
      "<resume>",
      `<${runDir}>`,
      "<--only>",
      "<mlp small's copy>",
    ]);

    const wrongKind = await bash([script], { SLURM_ARRAY_TASK_ID: "1" });
    assert.equal(wrongKind.code, 2);
    assert.match(wrongKind.stderr, /array task 1 trains no extractor \(tasks 0,2,4\)/);
    const noArray = await bash([script]);
    assert.equal(noArray.code, 2);
    assert.match(noArray.stderr, /run it as a job array/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("arrayScript() sets test mode for the job when the run was prepared in test mode", () => {
  assert.match(
    arrayScript(context({ testMode: true }), false),
    /^export MULTI_EXTRACTOR_TEST_MODE=1$/m,
  );
  assert.doesNotMatch(arrayScript(context(), false), /MULTI_EXTRACTOR_TEST_MODE/);
});

Deno.test("summarizeScript() depends on every array job and summarizes the run directory", async () => {
  const text = summarizeScript(context(), { dependsOn: ["1234", "1235"] });
  const d = directives(text);
  assert.equal(d.get("--dependency"), "afterany:1234:1235");
  assert.equal(d.get("--cpus-per-task"), "1");
  assert.equal(d.get("--partition"), '"gpu"');
  assert.equal(d.get("--gres"), undefined);
  assert.equal(d.get("--time"), undefined);
  assert.equal(
    d.get("--output"),
    '"/shared/runs with spaces/20261129-120000-lab/slurm/logs/summarize-%j.out"',
  );
  assert.match(text, /^\/opt\/deno\/bin\/deno task summarize "\$RUN_DIR"$/m);
  assert.match(text, /^RUN_DIR='\/shared\/runs with spaces\/20261129-120000-lab'$/m);

  const dry = summarizeScript(context());
  assert.equal(directives(dry).get("--dependency"), undefined);
  assert.match(dry, /^## --dependency=afterany:<array job ids>/m);

  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/s.sbatch`, text);
    assert.equal((await bash(["-n", `${dir}/s.sbatch`])).code, 0, "valid bash");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("scripts escape #, quotes and % in #SBATCH paths", () => {
  const text = arrayScript(context({ runDir: '/runs/100% "done" #1' }), false);
  assert.equal(
    directives(text).get("--output"),
    '"/runs/100%% \\"done\\" \\#1/slurm/logs/array-%A_%a.out"',
  );
  assert.match(text, /^RUN_DIR='\/runs\/100% "done" #1'$/m);
});

Deno.test("arrayScript() of a multi-seed run: task i resumes trial i with --only and --seeds", async () => {
  const dir = await Deno.makeTempDir({ prefix: "slurm trials " });
  try {
    const projectDir = nodePath.join(dir, "project");
    await Deno.mkdir(projectDir);
    const tasks: ArrayTask[] = [
      { index: 0, extractor: "dynamics_original", seed: 1, gpu: false },
      { index: 1, extractor: "mlp_small", seed: 1, gpu: false },
      { index: 2, extractor: "dynamics_original", seed: 2, gpu: false },
      { index: 3, extractor: "mlp_small", seed: 2, gpu: false },
    ];
    const settings = resolveSlurmSettings({ deno_command: `printf '<%s>\\n'` });
    const script = nodePath.join(dir, "array.sbatch");
    await Deno.writeTextFile(
      script,
      arrayScript(
        context({ runDir: nodePath.join(dir, "run"), projectDir, settings, tasks }),
        false,
      ),
    );
    const result = await bash([script], { SLURM_ARRAY_TASK_ID: "3" });
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(
      result.stdout.trimEnd().split("\n").slice(-7),
      [
        "<task>",
        "<resume>",
        `<${nodePath.join(dir, "run")}>`,
        "<--only>",
        "<mlp_small>",
        "<--seeds>",
        "<2>",
      ],
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
