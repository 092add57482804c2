// The scripts as users run them: through `deno task`, with each task's permission flags.
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { validateHardwareProfile, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { buildRunDirectory } from "../../fixtures/run_dir.ts";

const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

async function task(args: string[], env: Record<string, string> = {}): Promise<Result> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", ...args],
    cwd: REPO,
    env: { NO_COLOR: "1", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

Deno.test("deno task probe prints the hardware table", async () => {
  const result = await task(["probe", "--workers", "2"]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^Execution providers +cpu: usable/m);
  assert.match(result.stdout, /^Workers +2$/m);
});

Deno.test("deno task probe --json prints a report with a schema-valid profile", async () => {
  const result = await task(["probe", "--json"]);
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(validateHardwareProfile(report.profile), []);
  assert.equal(report.profile.workers, navigator.hardwareConcurrency);
});

Deno.test("an unknown flag is a usage error with exit code 2", async () => {
  const result = await task(["probe", "--jsn"]);
  assert.equal(result.code, 2);
  assert.match(result.stderr, /probe: Unknown option '--jsn'/);
  const validate = await task(["validate", "--bogus", "x.yaml"]);
  assert.equal(validate.code, 2);
});

Deno.test("deno task probe --workers outside 1 .. 1024 is a usage error with exit code 2", async () => {
  for (const value of ["0", "1e20", "1025", "2.5", "many"]) {
    const result = await task(["probe", "--workers", value]);
    assert.equal(result.code, 2, value);
    assert.match(
      result.stderr,
      new RegExp(`--workers must be an integer 1 \\.\\. 1024, got "${value}"`),
    );
  }
});

Deno.test("deno task validate accepts both shipped configs and creates nothing", async () => {
  const root = await Deno.makeTempDir();
  try {
    const out = `${root}/never-created`;
    for (const config of ["multi_extractor_default.yaml", "multi_extractor_gpu.yaml"]) {
      const result = await task(["validate", `configs/scenarios/${config}`], {
        MULTI_EXTRACTOR_TMP: out,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.match(result.stdout, /Extractors in run order:/);
      assert.ok(result.stdout.includes(`Run directory (not created): ${out}/`), result.stdout);
      assert.match(result.stdout, /Output root from: MULTI_EXTRACTOR_TMP/);
    }
    assert.equal(await exists(out), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task validate --json prints the plan as JSON", async () => {
  const result = await task([
    "validate",
    "--json",
    "configs/scenarios/multi_extractor_default.yaml",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const plan = JSON.parse(result.stdout);
  assert.deepEqual(plan.extractors.map((e: { name: string }) => e.name), [
    "dynamics_original",
    "mlp_small",
  ]);
  assert.equal(plan.settings.run.seed, 42);
});

Deno.test("deno task validate and train refuse an output root that is a file with exit 2", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = `${root}/not_a_dir`;
    await Deno.writeTextFile(file, "x");
    const config = "configs/scenarios/multi_extractor_default.yaml";
    const validate = await task(["validate", config, "--output-root", file]);
    assert.equal(validate.code, 2, validate.stderr);
    assert.ok(
      validate.stderr.includes(`--output-root: ${file} is not a directory`),
      validate.stderr,
    );
    const train = await task(["train", "--config", config, "-q"], { MULTI_EXTRACTOR_TMP: file });
    assert.equal(train.code, 2, train.stderr);
    assert.ok(
      train.stderr.includes(`MULTI_EXTRACTOR_TMP: ${file} is not a directory`),
      train.stderr,
    );
    assert.equal(await Deno.readTextFile(file), "x");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task validate rejects a malformed config with exit 2, naming key and line", async () => {
  const root = await Deno.makeTempDir();
  try {
    const file = `${root}/bad.yaml`;
    await Deno.writeTextFile(
      file,
      "run:\n  num_envs: -3\nextractors:\n  - {name: a, preset: mlp_small}\n",
    );
    const out = `${root}/out`;
    const result = await task(["validate", file], { MULTI_EXTRACTOR_TMP: out });
    assert.equal(result.code, 2);
    assert.ok(
      result.stderr.includes(`${file}:2:13: run.num_envs: must be >= 1, got -3`),
      result.stderr,
    );
    assert.equal(await exists(out), false);
    const syntax = `${root}/syntax.yaml`;
    await Deno.writeTextFile(syntax, "run: {seed: 1\n");
    assert.equal((await task(["validate", syntax])).code, 2);
    assert.equal((await task(["validate", `${root}/missing.yaml`])).code, 2);
    // train refuses held-out episodes that reuse a trial seed; validate must agree.
    const overlap = `${root}/overlap.yaml`;
    await Deno.writeTextFile(
      overlap,
      "run:\n  seeds: [5, 6]\nevaluation:\n  held_out_seed_start: 6\n" +
        "extractors:\n  - {name: a, preset: mlp_small}\n",
    );
    const refused = await task(["validate", overlap], { MULTI_EXTRACTOR_TMP: out });
    assert.equal(refused.code, 2, refused.stderr);
    // final_episodes defaults to 50: held-out seeds 6 .. 55; trial seed 6 is among them.
    assert.match(
      refused.stderr,
      /evaluation\.held_out_seed_start: held-out episode seeds 6 \.\. 55 include .* \(6\)/,
    );
    assert.equal(await exists(out), false);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task summarize rebuilds a run directory built by the tests", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { runDir } = await buildRunDirectory(root);
    const result = await task(["summarize", runDir]);
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual(result.stdout.trim().split("\n"), [
      `${runDir}/summary.json`,
      `${runDir}/summary.md`,
      `${runDir}/complete_results.json`,
    ]);
    const summary = JSON.parse(await Deno.readTextFile(`${runDir}/summary.json`));
    assert.deepEqual(validateTrainingSummary(summary), []);
    const log = await Deno.readTextFile(`${runDir}/run.log.jsonl`);
    assert.match(log, /"logger":"multi-extractor.summarize"/);
    // The task's narrow --allow-ffi and --allow-sys are enough for the PNG copies.
    for (const name of ["learning_curves", "final_metrics", "learning_curve_mlp_small"]) {
      assert.ok(await exists(`${runDir}/figures/${name}.svg`), name);
      assert.ok(await exists(`${runDir}/figures/${name}.png`), name);
    }
    assert.match(log, /4 figures written to/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("summarize without --allow-ffi writes SVG figures only and says why", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { runDir } = await buildRunDirectory(root);
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", "--allow-read", "--allow-write", "scripts/summarize.ts", runDir],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
    assert.ok(await exists(`${runDir}/figures/learning_curves.svg`));
    assert.equal(await exists(`${runDir}/figures/learning_curves.png`), false);
    const markdown = await Deno.readTextFile(`${runDir}/summary.md`);
    assert.match(
      markdown,
      /^- Learning curves, all extractors: \[SVG\]\(figures\/learning_curves\.svg\)$/m,
    );
    assert.match(
      markdown,
      /^- Note: PNG copies not written: the resvg addon did not load .*--allow-ffi/m,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task summarize merges runs from two hosts with --out", async () => {
  const root = await Deno.makeTempDir();
  try {
    const a = await buildRunDirectory(`${root}/a`);
    const b = await buildRunDirectory(`${root}/b`);
    const missingOut = await task(["summarize", a.runDir, b.runDir]);
    assert.equal(missingOut.code, 2);
    assert.match(missingOut.stderr, /needs --out DIR/);
    const result = await task([
      "summarize",
      a.runDir,
      b.runDir,
      "--out",
      `${root}/merged`,
      "--run-id",
      "lab",
    ]);
    assert.equal(result.code, 0, result.stderr);
    const summary = JSON.parse(await Deno.readTextFile(`${root}/merged/summary.json`));
    assert.equal(summary.run_id, "lab");
    assert.equal(summary.extractor_results.length, 8);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task summarize on a directory that is not a run exits with 2", async () => {
  const root = await Deno.makeTempDir();
  try {
    const result = await task(["summarize", root]);
    assert.equal(result.code, 2);
    assert.match(result.stderr, /no manifest\.jsonl; not a run directory/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the cli dispatcher runs subcommands and rejects unknown ones", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--quiet", "--allow-read", "--allow-env", "scripts/cli.ts", ...args],
      cwd: REPO,
      stdout: "piped",
      stderr: "piped",
    }).output();
  const version = await run(["--version"]);
  assert.equal(version.code, 0);
  assert.match(new TextDecoder().decode(version.stdout), /^multi-extractor \d+\.\d+\.\d+\n$/);
  const help = await run(["summarize", "--help"]);
  assert.equal(help.code, 0);
  assert.match(new TextDecoder().decode(help.stdout), /Usage: deno task summarize/);
  const unknown = await run(["trian"]);
  assert.equal(unknown.code, 2);
  assert.match(new TextDecoder().decode(unknown.stderr), /unknown command "trian"/);
});

Deno.test("deno task render draws a map and refuses bad input with exit 2 and no stack trace", async () => {
  const root = await Deno.makeTempDir();
  try {
    const ok = await task(["render", "--map", "open_square", "--out", `${root}/map.svg`]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok((await Deno.readTextFile(`${root}/map.svg`)).startsWith("<svg"));
    const unknown = await task(["render", "--map", "nosuch", "--out", `${root}/x.svg`]);
    assert.equal(unknown.code, 2, unknown.stderr);
    assert.match(unknown.stderr, /Unknown built-in map 'nosuch'/);
    const gif = await task(["render", "--map", "open_square", "--out", `${root}/x.gif`]);
    assert.equal(gif.code, 2, gif.stderr);
    assert.match(gif.stderr, /--out must end in \.svg or \.png/);
    assert.equal(await exists(`${root}/x.gif`), false);
    const level = await task([
      "render",
      "--map",
      "open_square",
      "--episode",
      "--difficulty",
      "9",
      "--out",
      `${root}/e.svg`,
    ]);
    assert.equal(level.code, 2, level.stderr);
    assert.match(level.stderr, /--difficulty/);
    await Deno.writeTextFile(`${root}/file`, "x");
    const blocked = await task(["render", "--map", "open_square", "--out", `${root}/file/m.svg`]);
    assert.equal(blocked.code, 2, blocked.stderr);
    assert.match(blocked.stderr, /Cannot write .*file\/m\.svg: .*file is not a directory/);
    assert.doesNotMatch(blocked.stderr, /\n\s+at /, "no stack trace");
    // Checked before the episode runs: a policy episode into a missing folder is refused at once.
    const missing = await task([
      "render",
      "--policy",
      "zero",
      "--map",
      "open_square",
      "--out",
      `${root}/nowhere/e.svg`,
    ]);
    assert.equal(missing.code, 2, missing.stderr);
    assert.match(
      missing.stderr,
      /Cannot write .*nowhere\/e\.svg: the directory .*nowhere does not exist/,
    );
    assert.doesNotMatch(missing.stdout, /steps/, "no episode was run");
    for (
      const [flag, value] of [["--steps", "0"], ["--steps", "2.5"], ["--seed", "x"]]
    ) {
      const bad = await task([
        "render",
        "--map",
        "open_square",
        flag,
        value,
        "--out",
        `${root}/s.svg`,
      ]);
      assert.equal(bad.code, 2, bad.stderr);
      assert.match(bad.stderr, new RegExp(`^${flag} must be an integer >= [01], got "${value}"`));
    }
    const noOut = await task(["render", "--map", "open_square"]);
    assert.equal(noOut.code, 2, noOut.stderr);
    assert.match(noOut.stderr, /^--out is required/);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("deno task render refuses a device, a directory or a system path with exit 2", async () => {
  const root = await Deno.makeTempDir();
  try {
    const cases: [string[], RegExp][] = [
      [["--map", "/dev/zero"], /^Cannot load map: map \/dev\/zero is a character device/],
      [["--map", root], /^Cannot load map: map .* is a directory, not a regular file/],
      [
        ["--map", "open_square", "--out", "/proc/nope/m.svg"],
        /^Cannot write \/proc\/nope\/m\.svg: \/proc\/nope is a system path/,
      ],
    ];
    for (const [args, message] of cases) {
      const out = args.includes("--out") ? [] : ["--out", `${root}/m.svg`];
      const result = await task(["render", ...args, ...out]);
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, message);
      assert.doesNotMatch(result.stderr, /\n\s+at |Uncaught|--allow-all/, "no stack trace");
    }
    assert.deepEqual([...Deno.readDirSync(root)], [], "nothing written");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
