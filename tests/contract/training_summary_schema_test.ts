// Contract: summary.json follows contracts/training_summary.schema.json. The schema is
// compiled here with a fresh ajv instance, independent of the library's validator.
import assert from "node:assert/strict";
import { Ajv } from "ajv";
import addFormatsModule from "ajv-formats";
import schema from "../../contracts/training_summary.schema.json" with { type: "json" };
import {
  buildTrainingSummary,
  summarizeRun,
  SummaryValidationError,
  writeSummaryFiles,
} from "../../lib/report/mod.ts";
import type { TrainingRunSummary } from "../../lib/run/mod.ts";
import { buildRunDirectory } from "../fixtures/run_dir.ts";

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const ajv = new Ajv({ allErrors: true, strictRequired: false });
addFormats(ajv);
const validate = ajv.compile(schema);

async function realSummary(): Promise<{ summary: TrainingRunSummary; root: string }> {
  const root = await Deno.makeTempDir();
  const { runDir } = await buildRunDirectory(root);
  const { summary } = await summarizeRun(runDir);
  return { summary, root };
}

Deno.test("a summary built from real run records validates against the schema", async () => {
  const { summary, root } = await realSummary();
  try {
    assert.ok(validate(summary), JSON.stringify(validate.errors));
    const written = JSON.parse(await Deno.readTextFile(`${summary.output_root}/summary.json`));
    assert.ok(validate(written), JSON.stringify(validate.errors));
    assert.deepEqual(written, summary);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

type Mutation = [name: string, mutate: (s: TrainingRunSummary) => void, keyword: string];

const NEGATIVE: Mutation[] = [
  ["a GPU model without a CUDA version", (s) => {
    s.hardware_overview[0].gpu_model = "NVIDIA A100";
  }, "dependencies"],
  ["a CUDA version without a GPU model", (s) => {
    s.hardware_overview[0].cuda_version = "12.2";
  }, "dependencies"],
  ["a success record without metrics", (s) => {
    delete s.extractor_results[0].metrics;
  }, "required"],
  ["a success record without artifacts", (s) => {
    delete s.extractor_results[0].artifacts;
  }, "required"],
  ["a skipped record without a reason", (s) => {
    delete s.extractor_results[3].reason;
  }, "required"],
  ["a failed record without a reason", (s) => {
    delete s.extractor_results[2].reason;
  }, "required"],
  ["empty extractor results", (s) => {
    s.extractor_results = [];
  }, "minItems"],
  ["an empty hardware overview", (s) => {
    s.hardware_overview = [];
  }, "minItems"],
  ["a created_at that is not a date-time", (s) => {
    s.created_at = "2026-11-29 noon";
  }, "format"],
  ["a start_time that is not a date-time", (s) => {
    s.extractor_results[0].start_time = "2026-13-40T99:00:00Z";
  }, "format"],
  ["a status outside the enum", (s) => {
    (s.extractor_results[0] as { status: string }).status = "ok";
  }, "enum"],
  ["a negative duration", (s) => {
    s.extractor_results[0].duration_seconds = -0.1;
  }, "minimum"],
  ["zero workers", (s) => {
    s.hardware_overview[0].workers = 0;
  }, "minimum"],
  ["a non-numeric aggregate metric", (s) => {
    (s.aggregate_metrics as Record<string, unknown>).best_mean_reward = "high";
  }, "type"],
  ["a relative output_root", (s) => {
    s.output_root = "tmp/run";
  }, "pattern"],
];

for (const [name, mutate, keyword] of NEGATIVE) {
  Deno.test(`the schema rejects ${name}, and so does the writer`, async () => {
    const { summary, root } = await realSummary();
    try {
      const broken = structuredClone(summary);
      mutate(broken);
      assert.equal(validate(broken), false);
      assert.ok(
        validate.errors?.some((e) => e.keyword === keyword),
        JSON.stringify(validate.errors),
      );
      const dir = `${root}/out`;
      await Deno.mkdir(dir);
      await assert.rejects(
        () => writeSummaryFiles(dir, broken, { legacy: { settings: null } }),
        (error: Error) => error instanceof SummaryValidationError && error.issues.length > 0,
      );
      assert.deepEqual([...Deno.readDirSync(dir)], [], "nothing is written");
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  });
}

Deno.test("buildTrainingSummary() refuses invalid data loudly with the ajv errors", () => {
  assert.throws(
    () =>
      buildTrainingSummary({
        runId: "r",
        createdAt: "not a date",
        outputRoot: "/runs/r",
        hardwareOverview: [{
          platform: "Linux",
          arch: "x86_64",
          python_version: "deno 2.9.6",
          workers: 1,
        }],
        records: [],
        aggregateMetrics: {},
      }),
    (error: Error) =>
      error instanceof SummaryValidationError &&
      error.message.includes('created_at: must match format "date-time"') &&
      error.message.includes("extractor_results: must NOT have fewer than 1 items"),
  );
});
