/**
 * Cost of the comparison figures a summary draws: the default scenario's shape (2
 * extractors, 4096 steps, an evaluation every 512 steps) and a large comparison (7
 * extractors, 200 evaluations each). Run with `deno task bench:figures`; results in
 * docs/benchmarks.md.
 */
import { svgToPng, writeComparisonFigures } from "../lib/report/mod.ts";
import { renderVegaLiteSvg } from "../lib/report/figures.ts";
import { learningCurveSpec } from "../lib/report/_figure_specs.ts";
import { createRunRecord, type EvaluationPoint } from "../lib/run/mod.ts";

function input(extractors: number, evaluations: number, every: number) {
  const records = [];
  const histories = new Map<string, EvaluationPoint[]>();
  for (let e = 0; e < extractors; e++) {
    const name = `extractor_${e}`;
    records.push(createRunRecord({
      config_name: name,
      status: "success",
      start_time: "2026-11-29T12:00:00Z",
      duration_seconds: 20 + e,
      worker_mode: "single-thread",
      training_steps: evaluations * every,
      metrics: { success_rate: 0.1 * e, fps: 300 - 10 * e },
      artifacts: { extractor_dir: `extractors/${name}` },
    }));
    histories.set(
      name,
      Array.from({ length: evaluations }, (_, i) => ({
        timestep: (i + 1) * every,
        mean_reward: -1 + (1 - Math.exp(-i / (evaluations / 4))) * (0.5 + 0.1 * e),
        std_reward: 0.2 * Math.exp(-i / evaluations),
      })),
    );
  }
  return { records, histories };
}

const dir = await Deno.makeTempDir({ prefix: "multi-extractor-figures-bench-" });
const small = input(2, 8, 512);
const large = input(7, 200, 512);
// Load Vega and resvg before timing (the first call of a process pays ~0.2 s for it).
await writeComparisonFigures(dir, small);
const curveSpec = learningCurveSpec(
  [...small.histories].map(([name, points], i) => ({
    name,
    color: ["#4c78a8", "#f58518"][i],
    points,
  })),
  { width: 640, height: 360, font: "DejaVu Sans", title: "t", notes: [], legend: true },
);
const curveSvg = (await renderVegaLiteSvg(curveSpec)).svg;

Deno.bench("learning curves, 2 extractors x 8 evaluations: Vega-Lite -> SVG", async () => {
  await renderVegaLiteSvg(curveSpec);
});

Deno.bench("learning curves, 2 extractors x 8 evaluations: SVG -> PNG (scale 2)", async () => {
  await svgToPng(curveSvg);
});

Deno.bench("all figures, default scenario shape (4 figures, SVG + PNG)", async () => {
  await writeComparisonFigures(dir, small);
});

Deno.bench("all figures, default scenario shape (4 figures, SVG only)", async () => {
  await writeComparisonFigures(dir, small, { png: false });
});

Deno.bench("all figures, 7 extractors x 200 evaluations (9 figures, SVG + PNG)", async () => {
  await writeComparisonFigures(dir, large);
});

globalThis.addEventListener("unload", () => {
  Deno.removeSync(dir, { recursive: true });
});
