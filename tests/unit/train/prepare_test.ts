import assert from "node:assert/strict";
import { ConfigError } from "../../../lib/config/mod.ts";
import {
  InvocationError,
  prepareComparison,
  selectExtractors,
  TEST_MODE_NOTE,
} from "../../../lib/train/mod.ts";
import { hostReport, listDir, scenarioFile } from "./_helpers.ts";

const SCENARIO = `run:
  run_id: prep
  baseline_extractor: first
extractors:
  - {name: first, preset: mlp_small}
  - {name: second, preset: dynamics_original, priority: -1}
  - {name: broken, preset: mlp_smal}
  - {name: gpu_one, preset: lightweight_cnn, expected_resources: gpu}
`;

const noEnv = () => undefined;

Deno.test("prepareComparison() plans in priority order with the validate plan's skips and writes nothing", async () => {
  const t = await scenarioFile(SCENARIO);
  try {
    const prepared = await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
      now: new Date("2026-11-29T12:34:56Z"),
      env: noEnv,
    });
    assert.deepEqual(
      prepared.plan.extractors.map((e) => [e.name, e.action]),
      [["second", "run"], ["first", "run"], ["broken", "skip"], ["gpu_one", "skip"]],
    );
    assert.match(prepared.plan.extractors[2].reason ?? "", /preset/);
    assert.match(prepared.plan.extractors[3].reason ?? "", /expects GPU resources/);
    assert.equal(prepared.plan.run_directory, `${t.root}/20261129-123456-prep`);
    assert.equal(prepared.plan.output_root_source, "flag");
    assert.equal(prepared.testMode, false);
    assert.deepEqual(prepared.notes, []);
    assert.deepEqual(await listDir(t.dir), ["scenario.yaml"], "nothing written");
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareComparison() runs GPU extractors when the hardware report has a usable CUDA provider", async () => {
  const t = await scenarioFile(SCENARIO);
  try {
    const prepared = await prepareComparison(t.file, { hardware: hostReport({ cuda: true }) });
    assert.equal(prepared.plan.extractors.find((e) => e.name === "gpu_one")?.action, "run");
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareComparison() applies --run-id, --only and test mode", async () => {
  const t = await scenarioFile(SCENARIO);
  try {
    const prepared = await prepareComparison(t.file, {
      runId: "my run",
      only: ["second", "broken"],
      testMode: true,
      outputRoot: t.root,
      hardware: hostReport(),
      now: new Date("2026-11-29T12:34:56Z"),
      env: noEnv,
    });
    assert.equal(prepared.plan.run_directory, `${t.root}/20261129-123456-my_run`);
    assert.equal(prepared.scenario.settings.run.run_id, "my run");
    assert.deepEqual(prepared.plan.extractors.map((e) => e.name), ["second", "broken"]);
    assert.equal(prepared.scenario.baseline, "second", "baseline first was not selected");
    assert.equal(prepared.scenario.settings.run.total_timesteps, 256);
    assert.equal(prepared.plan.settings.run.ppo.n_steps, 64, "the plan shows the shortened values");
    assert.equal(prepared.notes[0], TEST_MODE_NOTE);
    assert.ok(prepared.notes.some((note) => note.includes("Baseline first not selected")));
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareComparison() refuses unusable --only and --run-id values with InvocationError", async () => {
  const t = await scenarioFile(SCENARIO);
  try {
    await assert.rejects(
      prepareComparison(t.file, { only: ["firsst"], hardware: hostReport() }),
      (error: unknown) =>
        error instanceof InvocationError && error.flag === "--only" &&
        /"firsst" names no extractor entry.*did you mean "first"/.test(error.message),
    );
    await assert.rejects(
      prepareComparison(t.file, { runId: "///", hardware: hostReport() }),
      (error: unknown) => error instanceof InvocationError && error.flag === "--run-id",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareComparison() refuses an output root that is a file, naming where it came from", async () => {
  const t = await scenarioFile(SCENARIO);
  try {
    const file = `${t.dir}/scenario.yaml`;
    await assert.rejects(
      prepareComparison(t.file, { outputRoot: file, hardware: hostReport(), env: noEnv }),
      (error: unknown) =>
        error instanceof InvocationError && error.flag === "--output-root" &&
        error.message === `--output-root: ${file} is not a directory`,
    );
    const env = (name: string) => name === "MULTI_EXTRACTOR_TMP" ? `${file}/runs` : undefined;
    await assert.rejects(
      prepareComparison(t.file, { hardware: hostReport(), env }),
      (error: unknown) =>
        error instanceof InvocationError && error.flag === "MULTI_EXTRACTOR_TMP" &&
        error.message.endsWith(`cannot be created: ${file} is not a directory`),
    );
    assert.deepEqual(await listDir(t.dir), ["scenario.yaml"], "nothing written");
  } finally {
    await t.cleanup();
  }
});

Deno.test("prepareComparison() rejects an invalid run block with a ConfigError naming file, key and line", async () => {
  const t = await scenarioFile(`run:
  run_id: x
  num_env: 2
extractors:
  - {name: a, preset: mlp_small}
`);
  try {
    await assert.rejects(
      prepareComparison(t.file, { hardware: hostReport() }),
      (error: unknown) =>
        error instanceof ConfigError && error.file === t.file && error.line === 3 &&
        error.path === "run.num_env",
    );
  } finally {
    await t.cleanup();
  }
});

Deno.test("selectExtractors() keeps the scenario order and the chosen skipped entries", async () => {
  const t = await scenarioFile(SCENARIO);
  try {
    const prepared = await prepareComparison(t.file, { hardware: hostReport() });
    const { scenario, notes } = selectExtractors(prepared.scenario, ["broken", "first"]);
    assert.deepEqual(
      scenario.entries.map((e) => e.status === "ready" ? e.profile.name : e.skipped.name),
      ["first", "broken"],
    );
    assert.deepEqual(scenario.extractors.map((p) => p.name), ["first"]);
    assert.deepEqual(scenario.skipped.map((s) => s.name), ["broken"]);
    assert.equal(scenario.baseline, "first");
    assert.equal(notes.length, 1);
    assert.throws(() => selectExtractors(prepared.scenario, [" "]), InvocationError);
  } finally {
    await t.cleanup();
  }
});
