// The final-metrics figure writes each bar's value beside it, so a panel whose values
// are all 0 is not blank, and its Best/Last legend swatches are filled squares at the
// bars' opacities.
import assert from "node:assert/strict";
import { writeComparisonFigures } from "../../../lib/report/mod.ts";
import { createRunRecord, type ExtractorRunRecord } from "../../../lib/run/mod.ts";
import { allText, byClass, findAll, parseXml } from "../../fixtures/svg_png.ts";

function success(name: string, metrics: Record<string, number>): ExtractorRunRecord {
  return createRunRecord({
    config_name: name,
    status: "success",
    start_time: "2026-11-29T12:00:00Z",
    end_time: "2026-11-29T12:00:00Z",
    duration_seconds: 10,
    worker_mode: "single-thread",
    training_steps: 1000,
    metrics,
    artifacts: { extractor_dir: `extractors/${name}` },
  });
}

Deno.test("final metrics: a success panel of zeros shows its zeros, legend swatches match the bars", async () => {
  const dir = await Deno.makeTempDir({ prefix: "final-metrics-labels-" });
  try {
    const metrics = { best_mean_reward: -0.2, last_mean_reward: -0.4, success_rate: 0 };
    const result = await writeComparisonFigures(dir, {
      records: [success("A", metrics), success("B", { ...metrics, best_mean_reward: 0.5 })],
      histories: new Map(),
    }, { png: false });
    const svg = parseXml(await Deno.readTextFile(result.files[0].svg));
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(allText(byClass(svg, "values_success_rate_marks")[0]), ["0", "0"]);
    // Negative values are written left of their bars (text ending there), positive ones right.
    const labels = findAll(byClass(svg, "values_reward_marks")[0], (e) => e.name === "text");
    assert.deepEqual(
      labels.map((e) => [e.text, e.attributes["text-anchor"]]),
      [["−0.2", "end"], ["−0.4", "end"], ["0.5", "start"], ["−0.4", "end"]],
    );
    // Best is drawn at opacity 1, Last at 0.45; the swatches are filled squares alike.
    const bars = findAll(
      byClass(svg, "bars_reward_marks")[0],
      (e) => e.attributes["aria-roledescription"] === "bar",
    );
    const barOpacities = [
      ...new Set(
        bars.map((bar) => Number(bar.attributes["fill-opacity"] ?? bar.attributes.opacity ?? 1)),
      ),
    ].sort();
    const swatches = byClass(svg, "role-legend-symbol").flatMap((g) =>
      g.children.filter((e) => e.name === "path")
    );
    assert.equal(swatches.length, 2);
    for (const swatch of swatches) {
      assert.equal(swatch.attributes.d, "M-5,-5h10v10h-10Z", "a square");
      assert.equal(swatch.attributes["stroke-width"], "0", "no outline");
    }
    const swatchOpacities = swatches.map((s) => Number(s.attributes.opacity)).sort();
    assert.deepEqual(swatchOpacities, barOpacities);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
