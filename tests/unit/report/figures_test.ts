import assert from "node:assert/strict";
import * as nodePath from "node:path";
import {
  FIGURE_ARTIFACT_KEYS,
  findFont,
  renderSummaryMarkdown,
  summaryFigures,
  svgToPng,
  withFigureArtifacts,
  writeComparisonFigures,
} from "../../../lib/report/mod.ts";
import {
  createFailedRecord,
  createRunRecord,
  createSkippedRecord,
  type EvaluationPoint,
  type ExtractorRunRecord,
} from "../../../lib/run/mod.ts";
import {
  allText,
  byClass,
  decodePng,
  findAll,
  parseXml,
  pathVertices,
  PNG_SIGNATURE,
  rectOf,
  translation,
  type XmlElement,
} from "../../fixtures/svg_png.ts";

// Tableau 10, the first colours Vega assigns; extractors take them in run order.
const BLUE = "#4c78a8";
const ORANGE = "#f58518";
const START = "2026-11-29T12:00:00Z";

function success(
  name: string,
  metrics: Record<string, number> = { total_parameters: 1 },
  duration = 10,
): ExtractorRunRecord {
  return createRunRecord({
    config_name: name,
    status: "success",
    start_time: START,
    end_time: START,
    duration_seconds: duration,
    worker_mode: "single-thread",
    training_steps: 1000,
    metrics,
    artifacts: { extractor_dir: `extractors/${name}` },
  });
}

function points(rows: [number, number, number][]): EvaluationPoint[] {
  return rows.map(([timestep, mean_reward, std_reward]) => ({
    timestep,
    mean_reward,
    std_reward,
    n_episodes: 3,
  }));
}

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "figures-test-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function svgOf(path: string): Promise<XmlElement> {
  return parseXml(await Deno.readTextFile(path));
}

function roles(root: XmlElement, role: string): XmlElement[] {
  return findAll(root, (e) => e.attributes["aria-roledescription"] === role);
}

const near = (actual: number, expected: number, label: string, tolerance = 1e-3) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${label}: ${actual} != ${expected}`);

Deno.test("writeComparisonFigures() draws one line per extractor with a vertex per evaluation at the scaled position", async () => {
  await withDir(async (dir) => {
    const histories = new Map([
      // given out of order: drawn in timestep order
      ["A", points([[1000, -0.2, 0.1], [0, -1.0, 0.2], [500, -0.6, 0.1]])],
      ["B", points([[250, -0.8, 0.3], [1000, 0.0, 0.05]])],
    ]);
    const result = await writeComparisonFigures(dir, {
      records: [success("A"), success("B")],
      histories,
    }, { width: 400, height: 200, png: false });
    assert.deepEqual(result.warnings, []);
    assert.deepEqual(result.files.map((f) => [f.kind, f.extractor]), [
      ["learning_curves", null],
      ["final_metrics", null],
      ["learning_curve", "A"],
      ["learning_curve", "B"],
    ]);
    assert.equal(result.files[0].svg, nodePath.join(dir, "figures", "learning_curves.svg"));
    assert.ok(result.files.every((file) => file.png === null));

    const svg = await svgOf(result.files[0].svg);
    const lines = roles(svg, "line mark");
    assert.equal(lines.length, 2);
    // By hand: x domain [0, 1000] over 400 px. y: lo = min(mean - std) = -1.2,
    // hi = max(mean + std) = 0.05, span 1.25, padded by 5% (0.0625) -> [-1.2625, 0.1125]
    // over 200 px, y growing downwards.
    const px = (t: number) => t / 1000 * 400;
    const py = (r: number) => 200 - (r + 1.2625) / 1.375 * 200;
    const expected: Record<string, [number, number][]> = {
      [BLUE]: [[0, -1.0], [500, -0.6], [1000, -0.2]],
      [ORANGE]: [[250, -0.8], [1000, 0.0]],
    };
    for (const line of lines) {
      const want = expected[line.attributes.stroke];
      assert.ok(want !== undefined, `unexpected stroke ${line.attributes.stroke}`);
      const vertices = pathVertices(line.attributes.d);
      assert.equal(vertices.length, want.length);
      vertices.forEach(([x, y], i) => {
        near(x, px(want[i][0]), `x of point ${i}`);
        near(y, py(want[i][1]), `y of point ${i}`);
      });
    }
    // One symbol per evaluation, one band per extractor spanning mean +- std.
    assert.equal(roles(svg, "point").length, 5);
    const bands = roles(svg, "area mark");
    assert.equal(bands.length, 2);
    const blueBand = bands.find((band) => band.attributes.fill === BLUE) as XmlElement;
    const edge = pathVertices(blueBand.attributes.d);
    assert.equal(edge.length, 6); // 3 lower vertices, then 3 upper ones back
    near(edge[0][1], py(-1.2), "band lower edge at t=0");
    near(edge[5][1], py(-0.8), "band upper edge at t=0");

    const single = await svgOf(result.files[2].svg);
    assert.equal(roles(single, "line mark").length, 1);
    assert.equal(pathVertices(roles(single, "line mark")[0].attributes.d).length, 3);
  });
});

Deno.test("a history with a single evaluation still draws its point", async () => {
  await withDir(async (dir) => {
    const result = await writeComparisonFigures(dir, {
      records: [success("only")],
      histories: new Map([["only", points([[512, -0.5, 0]])]]),
    }, { width: 300, height: 100, png: false });
    const svg = await svgOf(result.files[0].svg);
    const symbols = roles(svg, "point");
    assert.equal(symbols.length, 1);
    // x domain [0, 512] -> the right edge; y: lo = hi = -0.5 widens to [-1, 0], padded by
    // 5% of span 1 -> [-1.05, 0.05]; -0.5 lies at (0.05 + 0.5) / 1.1 = 1/2 of the height.
    const [x, y] = translation(symbols[0].attributes.transform);
    near(x, 300, "x");
    near(y, 50, "y");
    // The line degenerates to one vertex (invisible); the symbol above is what shows.
    const lines = roles(svg, "line mark");
    assert.equal(lines.length, 1);
    assert.deepEqual(pathVertices(lines[0].attributes.d), [[300, 50]]);
  });
});

Deno.test("extractors without evaluations, failed and skipped ones are left out and named in notes", async () => {
  await withDir(async (dir) => {
    const records = [
      success("A"),
      success("no_evals", { best_mean_reward: -0.3 }, 5),
      createFailedRecord("crashed", "NaN loss", { workerMode: "single-thread" }),
      createSkippedRecord("gpu_only", "CUDA unavailable", { workerMode: "single-thread" }),
    ];
    const histories = new Map([
      ["A", points([[0, -1, 0.1], [100, -0.5, 0.1]])],
      ["crashed", points([[0, -2, 0.1]])], // a partial history of a failed run is not drawn
    ]);
    const result = await writeComparisonFigures(dir, { records, histories }, { png: false });
    assert.deepEqual(result.notes.slice(0, 3), [
      "Not shown (failed): crashed",
      "Not shown (skipped): gpu_only",
      "No evaluations recorded: no_evals",
    ]);
    const svg = await svgOf(result.files[0].svg);
    assert.equal(roles(svg, "line mark").length, 1);
    const text = allText(svg);
    for (const note of result.notes.slice(0, 3)) assert.ok(text.includes(note), note);
    assert.deepEqual(
      result.files.filter((f) => f.kind === "learning_curve").map((f) => f.extractor),
      ["A"],
    );
    // Final metrics: both successful extractors have a wall time and a best reward; only A
    // has a last reward (from its history).
    const bars = await svgOf(result.files[1].svg);
    const labels = roles(bars, "bar").map((bar) => bar.attributes["aria-label"]);
    assert.equal(labels.filter((label) => /extractor: crashed/.test(label)).length, 0);
    assert.equal(labels.filter((label) => /extractor: no_evals/.test(label)).length, 2);
    assert.ok(
      result.notes.includes("No mean evaluation reward for: no_evals"),
      result.notes.join(),
    );
  });
});

Deno.test("no figure is written without data, and the notes say why", async () => {
  await withDir(async (dir) => {
    const result = await writeComparisonFigures(dir, {
      records: [createFailedRecord("x", "boom", { workerMode: "single-thread" })],
      histories: new Map(),
    }, { png: false });
    assert.deepEqual(result.files, []);
    assert.deepEqual(result.notes, [
      "No learning curves: no successful extractor has an evaluation",
      "Not shown (failed): x",
      "No final metrics: no successful extractor",
    ]);
  });
});

Deno.test("final metrics: bar lengths are proportional to the values, rates on a 0..1 axis", async () => {
  await withDir(async (dir) => {
    const metrics = (best: number, last: number, rate: number, wall: number, fps: number) => ({
      best_mean_reward: best,
      last_mean_reward: last,
      success_rate: rate,
      wall_time_seconds: wall,
      fps,
    });
    const result = await writeComparisonFigures(dir, {
      records: [
        success("A", metrics(-0.2, -0.4, 0.25, 30, 400)),
        success("B", metrics(0.6, 0.3, 0.75, 90, 100), 1),
      ],
      histories: new Map(),
    }, { width: 400, png: false });
    assert.deepEqual(result.warnings, []);
    const svg = await svgOf(result.files[0].svg);
    assert.equal(result.files[0].kind, "final_metrics");
    const panel = (id: string) =>
      roles(byClass(svg, `bars_${id}_marks`)[0], "bar").map((bar) => ({
        color: bar.attributes.fill,
        ...rectOf(bar.attributes.d),
      }));
    const reward = panel("reward");
    assert.equal(reward.length, 4);
    const rewardWidths = reward.map((bar) => bar.width);
    // |-0.2| : |-0.4| : 0.6 : 0.3, all from the same zero line
    near(rewardWidths[1] / rewardWidths[0], 2, "last/best of A");
    near(rewardWidths[2] / rewardWidths[0], 3, "best of B / best of A");
    near(rewardWidths[3] / rewardWidths[0], 1.5, "last of B / best of A");
    // Panel width 0.75 * 400 = 300 px; the success-rate axis spans exactly [0, 1].
    const rate = panel("success_rate");
    assert.deepEqual(rate.map((bar) => bar.color), [BLUE, ORANGE]);
    near(rate[0].width, 75, "0.25 of 300 px");
    near(rate[1].width, 225, "0.75 of 300 px");
    const wall = panel("wall_time");
    near(wall[1].width / wall[0].width, 3, "wall time ratio (metrics win over duration)");
    const fps = panel("fps");
    near(fps[0].width / fps[1].width, 4, "fps ratio");
    assert.ok(allText(svg).includes("Throughput (env steps/s)"));
    assert.ok(allText(svg).includes("Wall time (s)"));
  });
});

Deno.test("PNG files have the PNG signature and the SVG's size times the scale", async () => {
  await withDir(async (dir) => {
    const result = await writeComparisonFigures(dir, {
      records: [success("A")],
      histories: new Map([["A", points([[0, -1, 0.1], [100, -0.5, 0.1]])]]),
    }, { pngScale: 1.5 });
    assert.equal(result.files.length, 3);
    for (const file of result.files) {
      assert.ok(file.png !== null);
      const png = await Deno.readFile(file.png);
      assert.deepEqual([...png.subarray(0, 8)], PNG_SIGNATURE);
      const root = await svgOf(file.svg);
      const decoded = await decodePng(png);
      assert.equal(decoded.width, Math.round(Number(root.attributes.width) * 1.5));
      assert.equal(decoded.height, Math.round(Number(root.attributes.height) * 1.5));
    }
  });
});

Deno.test("svgToPng() draws text with the font it finds", async () => {
  const font = await findFont();
  if (font === null) {
    console.warn("skipped: no font file from DEFAULT_FONT_CANDIDATES on this machine");
    return;
  }
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="120" height="30">` +
    `<rect width="120" height="30" fill="white"/>` +
    `<text x="4" y="22" font-family="sans-serif" font-size="18" fill="black">Reward</text></svg>`;
  const dark = async (png: Uint8Array) => {
    const { pixels, channels } = await decodePng(png);
    let count = 0;
    for (let i = 0; i < pixels.length; i += channels) if (pixels[i] < 128) count++;
    return count;
  };
  const withFont = await dark(await svgToPng(svg, { scale: 1, font }));
  // Six glyphs at 18 px cover well over 100 pixels.
  assert.ok(withFont > 100, `only ${withFont} dark pixels`);
  // A font file without glyphs for the text family draws nothing: the text above is real.
  const missing = await dark(
    await svgToPng(svg, { scale: 1, font: { file: "/nonexistent/font.ttf", family: "Nothing" } }),
  );
  assert.equal(missing, 0);
});

Deno.test("figures are deterministic: the same input renders the same SVG", async () => {
  await withDir(async (dir) => {
    const input = {
      records: [success("A"), success("B")],
      histories: new Map([["A", points([[0, -1, 0.1]])], ["B", points([[0, -2, 0.3]])]]),
    };
    const first = await writeComparisonFigures(dir, input, { png: false });
    const texts = await Promise.all(first.files.map((f) => Deno.readTextFile(f.svg)));
    const second = await writeComparisonFigures(dir, input, { png: false });
    assert.deepEqual(await Promise.all(second.files.map((f) => Deno.readTextFile(f.svg))), texts);
  });
});

Deno.test("per-extractor file names are normalised and never collide", async () => {
  await withDir(async (dir) => {
    const history = points([[0, -1, 0.1]]);
    const result = await writeComparisonFigures(dir, {
      records: [success("mlp@run a"), success("mlp_run_a")],
      histories: new Map([["mlp@run a", history], ["mlp_run_a", history]]),
    }, { png: false });
    assert.deepEqual(
      result.files.filter((f) => f.kind === "learning_curve").map((f) => nodePath.basename(f.svg)),
      ["learning_curve_mlp_run_a.svg", "learning_curve_mlp_run_a-2.svg"],
    );
  });
});

Deno.test("writeComparisonFigures() refuses invalid points and sizes", async () => {
  await withDir(async (dir) => {
    await assert.rejects(
      writeComparisonFigures(dir, {
        records: [success("A")],
        histories: new Map([["A", [{ timestep: 0, mean_reward: NaN, std_reward: 0 }]]]),
      }, { png: false }),
      (error: Error) =>
        error instanceof TypeError && /A evaluation 1.*mean_reward/.test(error.message),
    );
    await assert.rejects(
      writeComparisonFigures(dir, { records: [], histories: new Map() }, { width: 0 }),
      RangeError,
    );
  });
});

Deno.test("withFigureArtifacts() and summaryFigures() give paths relative to the output root and summary.md", async () => {
  await withDir(async (dir) => {
    const records = [
      success("A"),
      createSkippedRecord("S", "CUDA unavailable", { workerMode: "single-thread" }),
    ];
    records[0].artifacts![FIGURE_ARTIFACT_KEYS.png] = "stale.png";
    const result = await writeComparisonFigures(dir, {
      records,
      histories: new Map([["A", points([[0, -1, 0.1]])]]),
    }, { png: false });
    const updated = withFigureArtifacts(records, result, dir);
    assert.deepEqual(updated[0].artifacts, {
      extractor_dir: "extractors/A",
      learning_curve_svg: "figures/learning_curve_A.svg",
    });
    assert.equal(records[0].artifacts![FIGURE_ARTIFACT_KEYS.png], "stale.png"); // inputs untouched
    assert.deepEqual(updated[1], records[1]);
    const fromParent = withFigureArtifacts(records, result, nodePath.join(dir, "sub"));
    assert.equal(fromParent[0].artifacts?.learning_curve_svg, "../figures/learning_curve_A.svg");

    const section = summaryFigures(result, dir);
    assert.deepEqual(section.links[0], {
      title: "Learning curves, all extractors",
      svg: "figures/learning_curves.svg",
      png: null,
    });
    assert.ok(section.notes.includes("Not shown (skipped): S"));
  });
});

Deno.test("renderSummaryMarkdown() lists figures with escaped titles and encoded paths", () => {
  const markdown = renderSummaryMarkdown({
    run_id: "r",
    created_at: START,
    output_root: "/r",
    hardware_overview: [{ platform: "p", arch: "x", python_version: "deno 2.9.6", workers: 1 }],
    extractor_results: [success("A")],
    aggregate_metrics: {},
  }, {
    figures: {
      links: [
        { title: "Learning curve, a[1]", svg: "figures/a b.svg", png: "figures/a b.png" },
        { title: "Final metrics", svg: "figures/final_metrics.svg", png: null },
      ],
      notes: ["No evaluations recorded: B"],
    },
  });
  const lines = markdown.split("\n");
  const start = lines.indexOf("## Figures");
  assert.deepEqual(lines.slice(start + 2, start + 5), [
    "- Learning curve, a\\[1\\]: [SVG](figures/a%20b.svg), [PNG](figures/a%20b.png)",
    "- Final metrics: [SVG](figures/final_metrics.svg)",
    "- Note: No evaluations recorded: B",
  ]);
  const empty = renderSummaryMarkdown({
    run_id: "r",
    created_at: START,
    output_root: "/r",
    hardware_overview: [{ platform: "p", arch: "x", python_version: "deno 2.9.6", workers: 1 }],
    extractor_results: [success("A")],
    aggregate_metrics: {},
  });
  assert.ok(empty.includes("## Figures\n\n- None written\n"));
});
