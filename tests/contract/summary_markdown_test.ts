// Contract: summary.md follows contracts/summary_markdown.md.
import assert from "node:assert/strict";
import {
  BASELINE_SECTION,
  renderSummaryMarkdown,
  summarizeRun,
  SUMMARY_SECTIONS,
} from "../../lib/report/mod.ts";
import type { TrainingRunSummary } from "../../lib/run/mod.ts";
import { buildRunDirectory } from "../fixtures/run_dir.ts";

async function fixtureSummary(): Promise<{ summary: TrainingRunSummary; markdown: string }> {
  const root = await Deno.makeTempDir();
  try {
    const { runDir } = await buildRunDirectory(root);
    const { summary, files } = await summarizeRun(runDir);
    return { summary, markdown: await Deno.readTextFile(files.markdown) };
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

function section(markdown: string, heading: string): string[] {
  const lines = markdown.split("\n");
  const start = lines.indexOf(heading);
  assert.notEqual(start, -1, `missing section ${heading}`);
  const end = lines.findIndex((line, i) => i > start && line.startsWith("#"));
  return lines.slice(start + 1, end === -1 ? undefined : end).filter((line) => line !== "");
}

function tableRows(lines: string[]): string[][] {
  return lines.filter((line) => line.startsWith("|")).slice(2).map((line) =>
    line.slice(2, -2).split(" | ")
  );
}

Deno.test("the contract document lists exactly the sections the renderer writes", async () => {
  const contract = await Deno.readTextFile(
    new URL("../../contracts/summary_markdown.md", import.meta.url),
  );
  const listed = [...contract.matchAll(/^\| `(#{1,2} [^`]+)`/gm)].map((m) => m[1]);
  // The optional navigation section sits after the extractor table.
  const after = SUMMARY_SECTIONS.indexOf("## Extractor Results") + 1;
  assert.deepEqual(listed, [
    ...SUMMARY_SECTIONS.slice(0, after),
    BASELINE_SECTION,
    ...SUMMARY_SECTIONS.slice(after),
  ]);
});

Deno.test("summary.md has every contract section, in order", async () => {
  const { markdown } = await fixtureSummary();
  const headings = markdown.split("\n").filter((line) => line.startsWith("#"));
  assert.deepEqual(headings, [...SUMMARY_SECTIONS]);
});

Deno.test("the header names run, time and output directory; the hardware table has the contract columns", async () => {
  const { summary, markdown } = await fixtureSummary();
  const header = section(markdown, SUMMARY_SECTIONS[0]);
  assert.deepEqual(header, [
    `- Run ID: ${summary.run_id}`,
    `- Created at: ${summary.created_at}`,
    `- Output directory: \`${summary.output_root}\``,
  ]);
  const hardware = section(markdown, SUMMARY_SECTIONS[2]);
  assert.equal(
    hardware[0],
    "| Host | Platform | Arch | GPU Model | CUDA Version | Runtime | Workers |",
  );
  assert.deepEqual(tableRows(hardware), [[
    "laptop",
    "Debian GNU/Linux 12 (linux 6.1.0)",
    "x86_64",
    "N/A",
    "N/A",
    "deno 2.9.6",
    "1",
  ]]);
});

Deno.test("the extractor table has one decimal durations and enum statuses", async () => {
  const { summary, markdown } = await fixtureSummary();
  const lines = section(markdown, SUMMARY_SECTIONS[3]);
  assert.equal(
    lines[0],
    "| Extractor Name | Status | Worker Mode | Duration (s) | Best Metric | Notes |",
  );
  const rows = tableRows(lines);
  assert.equal(rows.length, summary.extractor_results.length);
  for (const [row, record] of rows.map((r, i) => [r, summary.extractor_results[i]] as const)) {
    assert.equal(row[0], record.config_name);
    assert.ok(["success", "failed", "skipped"].includes(row[1]), row[1]);
    assert.ok(["single-thread", "vectorized"].includes(row[2]), row[2]);
    assert.match(row[3], /^\d+\.\d$/);
  }
  // 120.25 s rounds to 120.3 (toFixed(1) of 120.25 is "120.3"); 80.5 stays 80.5.
  assert.deepEqual(rows.map((r) => r[3]), ["120.3", "80.5", "3.0", "0.0"]);
  assert.equal(rows[1][4], "best_mean_reward: 0.400 reward");
  assert.equal(rows[2][4], "N/A");
  assert.equal(rows[2][5], "ONNX Runtime session creation failed: out of memory");
});

Deno.test("failures and skips are listed with their reasons", async () => {
  const { markdown } = await fixtureSummary();
  const lines = section(markdown, SUMMARY_SECTIONS[4]);
  assert.equal(
    lines[0],
    "- attention_small (failed): ONNX Runtime session creation failed: out of memory",
  );
  assert.match(lines[1], /^- broken \(skipped\): extractors\[3\]\.parameters\.embed_dim: /);
});

Deno.test("aggregated metrics mirror aggregate_metrics with units", async () => {
  const { summary, markdown } = await fixtureSummary();
  const rows = tableRows(section(markdown, SUMMARY_SECTIONS[5]));
  assert.deepEqual(rows.map((r) => r[0]), Object.keys(summary.aggregate_metrics));
  const byKey = Object.fromEntries(rows.map((r) => [r[0], [r[1], r[2]]]));
  assert.deepEqual(byKey.total_wall_time, ["203.750", "s"]);
  assert.deepEqual(byKey.completed_runs, ["2", "runs"]);
  assert.deepEqual(byKey.median_convergence_timestep, ["1792", "env steps"]);
  // Candidates only (the baseline's own ratio 1 is left out): B's 1536 / 1024.
  assert.deepEqual(byKey.avg_sample_efficiency_ratio, ["1.500", "x baseline"]);
  assert.deepEqual(byKey.baseline_target_reward, ["-0.210", "reward"]);
});

Deno.test("the figures section links every figure file, relative to summary.md", async () => {
  const root = await Deno.makeTempDir();
  try {
    const { runDir } = await buildRunDirectory(root);
    const { files } = await summarizeRun(runDir);
    const lines = section(await Deno.readTextFile(files.markdown), SUMMARY_SECTIONS[6]);
    const figure = (title: string, name: string) =>
      `- ${title}: [SVG](figures/${name}.svg), [PNG](figures/${name}.png)`;
    assert.deepEqual(lines.filter((line) => !line.startsWith("- Note: ")), [
      figure("Learning curves, all extractors", "learning_curves"),
      figure("Final metrics", "final_metrics"),
      figure("Learning curve, dynamics_original", "learning_curve_dynamics_original"),
      figure("Learning curve, mlp_small", "learning_curve_mlp_small"),
    ]);
    assert.ok(lines.includes("- Note: Not shown (failed): attention_small"), lines.join("\n"));
    for (const line of lines.filter((l) => !l.startsWith("- Note: "))) {
      for (const [, path] of line.matchAll(/\]\(([^)]+)\)/g)) {
        assert.ok((await Deno.stat(`${runDir}/${path}`)).isFile, path);
      }
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the reproducibility footer points to the JSON summary and the extractor directories", async () => {
  const { markdown } = await fixtureSummary();
  const lines = section(markdown, SUMMARY_SECTIONS[7]);
  assert.equal(lines[0], "- JSON summary: `summary.json`");
  assert.ok(lines.includes("  - mlp_small: `extractors/mlp_small`"), lines.join("\n"));
});

Deno.test("table cells escape pipes and line breaks", () => {
  const markdown = renderSummaryMarkdown({
    run_id: "r",
    created_at: "2026-11-29T12:00:00Z",
    output_root: "/r",
    hardware_overview: [{ platform: "A|B", arch: "x", python_version: "deno 2.9.6", workers: 1 }],
    extractor_results: [{
      config_name: "x",
      status: "failed",
      start_time: "2026-11-29T12:00:00Z",
      worker_mode: "single-thread",
      reason: "line one\nline | two",
    }],
    aggregate_metrics: {},
  });
  assert.ok(markdown.includes("| A\\|B |"));
  assert.ok(markdown.includes("| line one line \\| two |"));
  assert.ok(markdown.includes("- None recorded"));
});
