import assert from "node:assert/strict";
import {
  mergeRuns,
  readRunDirectory,
  RunDirectoryError,
  summarizeRun,
} from "../../../lib/report/mod.ts";
import { readManifest, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { buildRunDirectory, HISTORIES, HOST_A, HOST_B } from "../../fixtures/run_dir.ts";
import { findAll, parseXml, pathVertices } from "../../fixtures/svg_png.ts";

async function lineVertexCounts(svgPath: string): Promise<number[]> {
  const svg = parseXml(await Deno.readTextFile(svgPath));
  return findAll(svg, (e) => e.attributes["aria-roledescription"] === "line mark")
    .map((line) => pathVertices(line.attributes.d).length);
}

async function withRoot(fn: (root: string) => Promise<void>) {
  const root = await Deno.makeTempDir();
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const close = (actual: number | undefined, expected: number, label: string) =>
  assert.ok(Math.abs((actual ?? NaN) - expected) < 1e-12, `${label}: ${actual} != ${expected}`);

Deno.test("summarizeRun() rebuilds all three files from the manifest and metrics", async () => {
  await withRoot(async (root) => {
    const { runDir, name } = await buildRunDirectory(root);
    const { summary, files } = await summarizeRun(runDir);
    assert.deepEqual(validateTrainingSummary(JSON.parse(await Deno.readTextFile(files.json))), []);
    assert.equal(summary.run_id, name);
    assert.equal(summary.output_root, runDir);
    assert.equal(summary.created_at, "2026-11-29T12:00:00.000Z");
    assert.deepEqual(summary.hardware_overview, [HOST_A]);
    assert.deepEqual(
      summary.extractor_results.map((r) => [r.config_name, r.status]),
      [["dynamics_original", "success"], ["mlp_small", "success"], ["attention_small", "failed"], [
        "broken",
        "skipped",
      ]],
    );
    // Hand-computed (see tests/fixtures/run_dir.ts): baseline dynamics_original converges at
    // 1536 (target -0.21); mlp_small reaches -0.21 at 1024 -> ratio 1.5; converges at 2048.
    const a = summary.aggregate_metrics;
    assert.deepEqual([a.completed_runs, a.failed_runs, a.skipped_runs], [2, 1, 1]);
    assert.equal(a.total_wall_time, 120.25 + 80.5 + 3 + 0);
    close(a.best_mean_reward, 0.4, "best");
    assert.equal(a.avg_convergence_timestep, 1792);
    // The baseline's own ratio of 1 is left out: the median of mlp_small's 1.5 alone.
    assert.equal(a.median_sample_efficiency_ratio, 1.5);
    close(a.baseline_target_reward, -0.21, "target");
    assert.equal(a.baseline_convergence_timestep, 1536);
    const mlp = summary.extractor_results[1].metrics ?? {};
    assert.equal(mlp.sample_efficiency_ratio, 1.5);
    assert.equal(mlp.total_parameters, 68525);
    const legacy = JSON.parse(await Deno.readTextFile(files.legacy));
    assert.equal(legacy.results.mlp_small.completed, true);
    assert.equal(legacy.results.mlp_small.extractor_type, "mlp_small");
    assert.equal(
      legacy.results.attention_small.error,
      "ONNX Runtime session creation failed: out of memory",
    );
    assert.equal(legacy.comparison_metadata.total_timesteps_per_extractor, 2048);
    const { events } = await readManifest(`${runDir}/manifest.jsonl`);
    const last = events[events.length - 1];
    assert.equal(last.event, "summary_written");
  });
});

Deno.test("summarizeRun() prefers metrics.json over the manifest's metrics", async () => {
  await withRoot(async (root) => {
    const { runDir } = await buildRunDirectory(root);
    await Deno.writeTextFile(
      `${runDir}/extractors/mlp_small/metrics.json`,
      JSON.stringify({ best_mean_reward: 0.4, total_parameters: 1234 }),
    );
    const { summary } = await summarizeRun(runDir);
    assert.equal(summary.extractor_results[1].metrics?.total_parameters, 1234);
  });
});

Deno.test("an interrupted run reports the unfinished extractor as failed and the rest as not started", async () => {
  await withRoot(async (root) => {
    const { runDir } = await buildRunDirectory(root, { interrupted: true, tornManifest: true });
    const run = await readRunDirectory(runDir);
    const [, , attention, broken] = run.records;
    assert.equal(attention.status, "failed");
    assert.match(attention.reason ?? "", /^Interrupted: .*resume the run/);
    assert.equal(broken.status, "skipped");
    assert.match(
      broken.reason ?? "",
      /^Invalid config entry: extractors\[3\]\.parameters\.embed_dim/,
    );
    assert.ok(run.notes.some((note) => /manifest\.jsonl line \d+ was cut short/.test(note)));
    const { summary } = await summarizeRun(runDir);
    assert.deepEqual(validateTrainingSummary(summary), []);
  });
});

Deno.test("readRunDirectory() refuses a directory without a manifest", async () => {
  await withRoot(async (root) => {
    await assert.rejects(() => readRunDirectory(root), RunDirectoryError);
  });
});

Deno.test("mergeRuns() lists every host and renames extractors that occur in several runs", async () => {
  await withRoot(async (root) => {
    const laptop = await buildRunDirectory(`${root}/laptop`, { host: HOST_A });
    const gpu = await buildRunDirectory(`${root}/gpu`, {
      host: HOST_B,
      now: new Date("2026-11-30T08:00:00Z"),
    });
    const out = `${root}/merged`;
    const { summary, files } = await mergeRuns([laptop.runDir, gpu.runDir], out);
    assert.deepEqual(validateTrainingSummary(JSON.parse(await Deno.readTextFile(files.json))), []);
    assert.deepEqual(summary.hardware_overview.map((h) => h.hostname), ["laptop", "workstation"]);
    assert.equal(summary.extractor_results.length, 8);
    assert.equal(summary.extractor_results[0].config_name, `dynamics_original@${laptop.name}`);
    assert.equal(summary.extractor_results[4].config_name, `dynamics_original@${gpu.name}`);
    assert.equal(
      summary.extractor_results[1].artifacts?.extractor_dir,
      `../laptop/${laptop.name}/extractors/mlp_small`,
    );
    assert.equal(summary.created_at, "2026-11-29T12:00:00.000Z");
    assert.equal(summary.output_root, out);
    const markdown = await Deno.readTextFile(files.markdown);
    assert.match(
      markdown,
      /\| workstation \| Ubuntu 24\.04 LTS \(linux 6\.8\.0\) \| x86_64 \| NVIDIA RTX 4090 \| 12\.4 \|/,
    );
    const legacy = JSON.parse(await Deno.readTextFile(files.legacy));
    assert.deepEqual(legacy.comparison_metadata.merged_from, [laptop.runDir, gpu.runDir]);
  });
});

Deno.test("mergeRuns() refuses to write into one of the runs or to merge one run", async () => {
  await withRoot(async (root) => {
    const a = await buildRunDirectory(root);
    const b = await buildRunDirectory(root);
    await assert.rejects(
      () => mergeRuns([a.runDir, b.runDir], a.runDir),
      /must not be one of the run directories/,
    );
    await assert.rejects(
      () => mergeRuns([a.runDir, a.runDir], `${root}/m`),
      /at least two distinct/,
    );
  });
});

Deno.test("mergeRuns() and summarizeRun() refuse an output that is another run, inside a run, or a file", async () => {
  await withRoot(async (root) => {
    const a = await buildRunDirectory(root);
    const b = await buildRunDirectory(root);
    const c = await buildRunDirectory(root);
    await summarizeRun(c.runDir, { figures: false });
    const before = await Deno.readTextFile(`${c.runDir}/summary.json`);
    await assert.rejects(
      () => mergeRuns([a.runDir, b.runDir], c.runDir, { figures: false }),
      (error: Error) =>
        error instanceof RangeError && error.message.includes(`${c.runDir} is a run directory`),
    );
    await assert.rejects(
      () => summarizeRun(a.runDir, { outDir: c.runDir, figures: false }),
      /is a run directory/,
    );
    assert.equal(await Deno.readTextFile(`${c.runDir}/summary.json`), before, "c's summary kept");
    await assert.rejects(
      () => mergeRuns([a.runDir, b.runDir], `${a.runDir}/extractors`, { figures: false }),
      (error: Error) =>
        error instanceof RangeError &&
        error.message.includes(`inside the run directory ${a.runDir}`),
    );
    await Deno.writeTextFile(`${root}/file`, "x");
    await assert.rejects(
      () => mergeRuns([a.runDir, b.runDir], `${root}/file`, { figures: false }),
      (error: Error) =>
        error instanceof RangeError && error.message.includes(`${root}/file is not a directory`),
    );
    assert.equal(await Deno.readTextFile(`${root}/file`), "x");
    // Rewriting a run in place, or into a new directory, still works.
    await summarizeRun(a.runDir, { figures: false });
    await summarizeRun(a.runDir, { outDir: `${root}/copy`, figures: false });
    await mergeRuns([a.runDir, b.runDir], `${root}/merged`, { figures: false });
  });
});

Deno.test("summarizeRun() and mergeRuns() refuse a baseline that names no extractor", async () => {
  await withRoot(async (root) => {
    const a = await buildRunDirectory(root);
    const b = await buildRunDirectory(root);
    await assert.rejects(
      () => summarizeRun(a.runDir, { baseline: "mlp_smal", figures: false }),
      (error: Error) =>
        error instanceof RangeError &&
        error.message ===
          'Baseline "mlp_smal" names no extractor of the comparison (did you mean "mlp_small"?)',
    );
    await assert.rejects(
      () => mergeRuns([a.runDir, b.runDir], `${root}/m`, { baseline: "nosuch", figures: false }),
      /Baseline "nosuch" names no extractor of the comparison \(extractors: /,
    );
    assert.equal(await Deno.stat(`${a.runDir}/summary.json`).catch(() => null), null);
    const { summary } = await summarizeRun(a.runDir, { baseline: "mlp_small", figures: false });
    assert.ok(summary.extractor_results.some((r) => r.config_name === "mlp_small"));
  });
});

Deno.test("summarizeRun() draws the run's figures and lists each extractor's own curve in its artifacts", async () => {
  await withRoot(async (root) => {
    const { runDir } = await buildRunDirectory(root);
    const { summary, figures } = await summarizeRun(runDir);
    assert.deepEqual(figures.links.map((link) => link.svg), [
      "figures/learning_curves.svg",
      "figures/final_metrics.svg",
      "figures/learning_curve_dynamics_original.svg",
      "figures/learning_curve_mlp_small.svg",
    ]);
    for (const link of figures.links) {
      assert.ok((await Deno.stat(`${runDir}/${link.svg}`)).isFile);
      assert.ok((await Deno.stat(`${runDir}/${link.png}`)).isFile);
    }
    // One line per successful extractor, one vertex per evaluation in the fixture.
    assert.deepEqual(await lineVertexCounts(`${runDir}/figures/learning_curves.svg`), [
      HISTORIES.dynamics_original.length,
      HISTORIES.mlp_small.length,
    ]);
    const [dynamics, mlp, failed] = summary.extractor_results;
    assert.equal(
      dynamics.artifacts?.learning_curve_svg,
      "figures/learning_curve_dynamics_original.svg",
    );
    assert.equal(mlp.artifacts?.learning_curve_png, "figures/learning_curve_mlp_small.png");
    assert.equal(failed.artifacts?.learning_curve_svg, undefined);
    assert.deepEqual(validateTrainingSummary(summary), []);
  });
});

Deno.test("summarizeRun() without figures, or with figures that fail, still writes the summary", async () => {
  await withRoot(async (root) => {
    const { runDir } = await buildRunDirectory(root);
    const none = await summarizeRun(runDir, { figures: false });
    assert.ok(
      (await Deno.readTextFile(none.files.markdown)).includes("## Figures\n\n- None written\n"),
    );
    const failing = await summarizeRun(runDir, { figures: { width: -1 } });
    assert.deepEqual(failing.figures, {
      links: [],
      notes: ["Figures not written: Figure width must be a positive number, got -1"],
    });
    assert.ok(
      (await Deno.readTextFile(failing.files.markdown)).includes(
        "- Note: Figures not written: Figure width must be a positive number, got -1",
      ),
    );
  });
});

Deno.test("mergeRuns() draws merged figures in the output directory", async () => {
  await withRoot(async (root) => {
    const laptop = await buildRunDirectory(`${root}/laptop`, { host: HOST_A });
    const gpu = await buildRunDirectory(`${root}/gpu`, {
      host: HOST_B,
      now: new Date("2026-11-30T08:00:00Z"),
    });
    const out = `${root}/merged`;
    const { summary, figures } = await mergeRuns([laptop.runDir, gpu.runDir], out);
    // 2 successful extractors per run, renamed <name>@<run directory name>
    assert.deepEqual(await lineVertexCounts(`${out}/figures/learning_curves.svg`), [4, 4, 4, 4]);
    assert.equal(figures.links.length, 2 + 4);
    const record = summary.extractor_results[4];
    assert.equal(record.config_name, `dynamics_original@${gpu.name}`);
    assert.equal(
      record.artifacts?.learning_curve_svg,
      `figures/learning_curve_dynamics_original_${gpu.name}.svg`,
    );
    assert.ok((await Deno.stat(`${out}/${record.artifacts?.learning_curve_svg}`)).isFile);
  });
});

Deno.test("summarizeRun() gives an extractor cut short its evaluation metrics and steps from the manifest", async () => {
  await withRoot(async (root) => {
    const { runDir } = await buildRunDirectory(root);
    // A process killed after dynamics_original's last evaluation: no extractor_finished.
    const manifestPath = `${runDir}/manifest.jsonl`;
    const lines = (await Deno.readTextFile(manifestPath)).trim().split("\n");
    const kept = lines.filter((line) => {
      const event = JSON.parse(line);
      return !(event.event === "extractor_finished" && event.extractor === "dynamics_original");
    });
    assert.equal(kept.length, lines.length - 1);
    await Deno.writeTextFile(manifestPath, kept.map((line) => `${line}\n`).join(""));
    const { summary } = await summarizeRun(runDir, { figures: false });
    const cut = summary.extractor_results.find((r) => r.config_name === "dynamics_original")!;
    assert.equal(cut.status, "failed");
    assert.match(cut.reason ?? "", /^Interrupted: the extractor started but never finished/);
    // Fixture history (timestep, mean reward): 512 -1.0, 1024 -0.5, 1536 -0.2, 2048 -0.21;
    // the checkpoint is at 1024, the last evaluation at 2048.
    assert.equal(cut.training_steps, 2048);
    const m = cut.metrics ?? {};
    close(m.best_mean_reward, HISTORIES.dynamics_original[2][1], "best");
    close(m.last_mean_reward, -0.21, "last");
    close(m.last_std_reward, 0.1, "std");
    assert.equal(m.evaluations, 4);
    assert.equal(m.success_rate, undefined);
  });
});

Deno.test("a multi-seed run's trials that never started are listed with their seeds", async () => {
  const { parseScenario, resolvedConfig } = await import("../../../lib/config/mod.ts");
  const { createRunDirectory, ManifestWriter } = await import("../../../lib/run/mod.ts");
  await withRoot(async (root) => {
    const scenario = await parseScenario(
      "run: {run_id: seeds, seeds: [4, 7]}\nextractors:\n  - {name: mlp_small, preset: mlp_small}\n",
      { file: "seeds.yaml" },
    );
    const run = await createRunDirectory(root, "seeds", { now: new Date("2026-12-01T00:00:00Z") });
    const manifest = await ManifestWriter.open(`${run.path}/manifest.jsonl`);
    await manifest.append({
      event: "run_started",
      time: "2026-12-01T00:00:00.000Z",
      run_id: "seeds",
      run_dir_name: run.name,
      config_file: "/configs/seeds.yaml",
      config_sha256: scenario.sha256,
      config: resolvedConfig(scenario),
      hardware: HOST_A,
    });
    await manifest.close();
    const { files } = await summarizeRun(run.path, { figures: false });
    const rows = (await Deno.readTextFile(files.markdown)).split("\n")
      .filter((line) => line.includes("| skipped |"));
    assert.deepEqual(rows.map((line) => line.split(" | ")[0]), [
      "| mlp_small (seed 4)",
      "| mlp_small (seed 7)",
    ]);
  });
});
