import assert from "node:assert/strict";
import { ConfigError, parseScenario } from "../../../lib/config/mod.ts";
import { trialSeeds } from "../../../lib/config/trials.ts";
import { InvocationError, plannedTrials, prepareComparison } from "../../../lib/train/mod.ts";
import { hostReport, scenarioFile } from "./_helpers.ts";

const noEnv = () => undefined;

async function prepare(text: string, seeds: number[] | null = null) {
  const t = await scenarioFile(text);
  try {
    return await prepareComparison(t.file, {
      outputRoot: t.root,
      hardware: hostReport(),
      env: noEnv,
      seeds,
    });
  } finally {
    await Deno.remove(t.root, { recursive: true }).catch(() => {});
  }
}

const TWO = `extractors:
  - {name: a, preset: mlp_small}
  - {name: b, preset: dynamics_original}
`;

Deno.test("trial seeds: run.seeds as written, run.num_seeds from run.seed, else run.seed alone", async () => {
  const of = async (run: string) =>
    trialSeeds((await parseScenario(`${run}\n${TWO}`)).settings.run);
  assert.deepEqual(await of("run: {seeds: [5, 1, 9]}"), [5, 1, 9]);
  assert.deepEqual(await of("run: {seed: 10, num_seeds: 3}"), [10, 11, 12]);
  assert.deepEqual(await of("run: {seed: 7}"), [7]);
  await assert.rejects(() => parseScenario(`run: {seeds: [1], num_seeds: 2}\n${TWO}`), ConfigError);
  await assert.rejects(() => parseScenario(`run: {seeds: [1, 1]}\n${TWO}`), ConfigError);
});

Deno.test("the trials of a multi-seed comparison run seed by seed; a single-seed one has no seeds", async () => {
  const multi = await prepare(`run: {seeds: [3, 4]}\n${TWO}`);
  assert.deepEqual(multi.seeds, [3, 4]);
  assert.deepEqual(
    plannedTrials(multi).map(({ trial }) => [trial.extractor, trial.seed]),
    [["a", 3], ["b", 3], ["a", 4], ["b", 4]],
  );
  const single = await prepare(TWO);
  assert.equal(single.seeds, null);
  assert.deepEqual(plannedTrials(single).map(({ trial }) => trial), [
    { extractor: "a", seed: null },
    { extractor: "b", seed: null },
  ]);
  // --seeds replaces the scenario's seeds and makes the run a multi-seed one.
  const flagged = await prepare(TWO, [8, 2]);
  assert.deepEqual(flagged.seeds, [8, 2]);
  assert.deepEqual(flagged.scenario.settings.run.seeds, [8, 2]);
  await assert.rejects(() => prepare(TWO, []), InvocationError);
  // A repeated seed is trained once, and the note names each seed once.
  const repeated = await prepare(TWO, [1, 1, 2]);
  assert.deepEqual(repeated.seeds, [1, 2]);
  assert.ok(
    repeated.notes.includes("Trial seeds 1, 2 selected (--seeds)"),
    repeated.notes.join("\n"),
  );
});

Deno.test("a trial seed whose evaluation seeds fall in the held-out range is refused", async () => {
  // Periodic evaluation episode 0 of seed s uses env seed s + 100003.
  await assert.rejects(
    () => prepare(`run: {seeds: [${1_000_000_000 - 100_003}]}\n${TWO}`),
    (error: unknown) =>
      error instanceof ConfigError && /evaluation\.held_out_seed_start/.test(error.message),
  );
  const moved = await prepare(
    `run: {seeds: [${1_000_000_000 - 100_003}]}\nevaluation: {held_out_seed_start: 5}\n${TWO}`,
  );
  assert.deepEqual(moved.seeds, [1_000_000_000 - 100_003]);
});
