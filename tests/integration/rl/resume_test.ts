/**
 * Exact resume: training K steps straight through and training with an
 * interruption (inside a rollout, inside an update, or from a periodic checkpoint)
 * then resuming with fresh objects give bitwise-equal final parameters (the final
 * ONNX files are byte-identical) and the same metrics, evaluations and update logs.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import type { Scenario } from "../../../lib/config/mod.ts";
import { ExtractorRunError, loadTrainerCheckpoint } from "../../../lib/rl/mod.ts";
import {
  trainExtractor,
  type TrainExtractorResult,
  type VecEnvFactory,
} from "../../../lib/train/mod.ts";
import { VecEnv } from "../../../lib/sim/mod.ts";
import { HookedVecEnv, rejection, tinyScenario } from "../../unit/rl/_helpers.ts";
import { readCsv, readEventFile } from "./_sb3_read.ts";

const RUN = { total_timesteps: 320, eval_freq: 64, save_freq: 1_000_000 };

/** lib/sim's VecEnv (exact snapshots); `abortAt` fires the controller after that many steps. */
function envFactory(abortAt?: { steps: number; controller: AbortController }): VecEnvFactory {
  return ({ map, settings, numEnvs, seed }) => {
    const env = new HookedVecEnv(new VecEnv(map, settings, { numEnvs, seed }));
    if (abortAt) {
      env.after.push((e) => {
        if (e.steps === abortAt.steps) abortAt.controller.abort();
      });
    }
    return env;
  };
}

async function train(
  scenario: Scenario,
  dir: string,
  options: { abortAt?: number; resumeFrom?: string } = {},
): Promise<TrainExtractorResult> {
  const controller = new AbortController();
  return await trainExtractor({
    profile: scenario.extractors[0],
    settings: scenario.settings,
    extractorDir: nodePath.join(dir, "extractors", "x"),
    runDir: dir,
    signal: controller.signal,
    resumeFrom: options.resumeFrom ? nodePath.join(dir, options.resumeFrom) : undefined,
    vecEnvFactory: envFactory(
      options.abortAt === undefined ? undefined : { steps: options.abortAt, controller },
    ),
  });
}

const TIME_KEYS = new Set([
  "time/fps",
  "time/time_elapsed",
  "wall_time_seconds",
  "fps",
  "eval_time_seconds",
]);

function withoutTime(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !TIME_KEYS.has(k)));
}

function jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

async function assertSameTraining(a: string, b: string) {
  const file = (dir: string, name: string) => nodePath.join(dir, "extractors", "x", name);
  for (const name of ["final_model.onnx", "best_model.onnx"]) {
    const x = await Deno.readFile(file(a, name));
    const y = await Deno.readFile(file(b, name));
    assert.ok(x.length === y.length && x.every((v, i) => v === y[i]), `${name} differs`);
  }
  assert.equal(
    await Deno.readTextFile(file(a, "eval_history.jsonl")),
    await Deno.readTextFile(file(b, "eval_history.jsonl")),
  );
  assert.deepEqual(
    jsonLines(await Deno.readTextFile(file(a, "train_log.jsonl"))).map(withoutTime),
    jsonLines(await Deno.readTextFile(file(b, "train_log.jsonl"))).map(withoutTime),
  );
  assert.deepEqual(
    withoutTime(JSON.parse(await Deno.readTextFile(file(a, "metrics.json")))),
    withoutTime(JSON.parse(await Deno.readTextFile(file(b, "metrics.json")))),
  );
  await assertSameSb3Logs(file(a, ""), file(b, ""));
}

/** progress.csv, the event file and evaluations.npz hold the same rows, scalars and arrays. */
async function assertSameSb3Logs(a: string, b: string) {
  const csv = async (dir: string) => {
    const { header, rows } = readCsv(await Deno.readTextFile(nodePath.join(dir, "progress.csv")));
    const keep = header.map((k, i) => [k, i] as const).filter(([k]) => !TIME_KEYS.has(k));
    return [keep.map(([k]) => k), ...rows.map((r) => keep.map(([, i]) => r[i]))];
  };
  assert.deepEqual(await csv(a), await csv(b), "progress.csv differs");
  const scalars = async (dir: string) =>
    readEventFile(
      await Deno.readFile(
        nodePath.join(dir, "tensorboard", "events.out.tfevents.multi-extractor"),
      ),
    ).flatMap((e) => e.values.filter((v) => !TIME_KEYS.has(v.tag)).map((v) => [e.step, v]));
  assert.deepEqual(await scalars(a), await scalars(b), "TensorBoard scalars differ");
  const npz = (dir: string) => Deno.readFile(nodePath.join(dir, "eval_logs", "evaluations.npz"));
  assert.deepEqual(await npz(a), await npz(b), "evaluations.npz differs");
}

for (const preset of ["mlp_small", "dynamics_original"]) {
  Deno.test(`${preset}: interrupting inside a rollout or an update and resuming gives bitwise the same training`, async () => {
    const scenario = await tinyScenario({ preset, run: RUN });
    const straight = await Deno.makeTempDir({ prefix: "rl_resume_" });
    const full = await train(scenario, straight);
    assert.equal(full.trainingSteps, 320);

    // Step 80 lies inside the third rollout (32 steps each); step 96 ends one, so the
    // signal is seen after the first minibatch of that update.
    for (const [abortAt, phase] of [[80, "rollout"], [96, "update"]] as const) {
      const dir = await Deno.makeTempDir({ prefix: "rl_resume_" });
      const first = await train(scenario, dir, { abortAt });
      assert.equal(first.interrupted, true);
      assert.equal(first.trainingSteps, abortAt);
      assert.equal(
        first.lastCheckpoint,
        `extractors/x/checkpoints/checkpoint_${abortAt}_steps.ckpt`,
      );
      const ckpt = await loadTrainerCheckpoint(nodePath.join(dir, first.lastCheckpoint!));
      assert.equal(ckpt.state.phase, phase);
      const second = await train(scenario, dir, { resumeFrom: first.lastCheckpoint! });
      assert.equal(second.interrupted, false);
      assert.equal(second.envRestored, true);
      assert.equal(second.trainingSteps, 320);
      await assertSameTraining(straight, dir);
      await Deno.remove(dir, { recursive: true });
    }
    await Deno.remove(straight, { recursive: true });
  });
}

Deno.test("resuming from a periodic mid-rollout checkpoint cuts the logs back and gives the same training", async () => {
  const scenario = await tinyScenario({ run: { ...RUN, save_freq: 80 } });
  const straight = await Deno.makeTempDir({ prefix: "rl_resume_" });
  await train(scenario, straight);
  // A copy of the finished run, resumed from its checkpoint at step 80: the later
  // evaluations and update lines are removed first, then written again.
  const copy = await Deno.makeTempDir({ prefix: "rl_resume_" });
  await new Deno.Command("cp", { args: ["-r", `${straight}/extractors`, copy] }).output();
  const resumed = await train(scenario, copy, {
    resumeFrom: "extractors/x/checkpoints/checkpoint_80_steps.ckpt",
  });
  assert.equal(resumed.trainingSteps, 320);
  await assertSameTraining(straight, copy);
  await Deno.remove(straight, { recursive: true });
  await Deno.remove(copy, { recursive: true });
});

Deno.test("resuming from a checkpoint taken right after an update keeps that update's log line", async () => {
  // Step 64 ends the second rollout (32 steps each): the checkpoint due there is
  // written after the update, and must already count the update's train_log line.
  const scenario = await tinyScenario({ run: { ...RUN, save_freq: 64 } });
  const straight = await Deno.makeTempDir({ prefix: "rl_resume_" });
  await train(scenario, straight);
  const ckpt = await loadTrainerCheckpoint(
    nodePath.join(straight, "extractors/x/checkpoints/checkpoint_64_steps.ckpt"),
  );
  assert.equal(ckpt.state.phase, "rollout");
  assert.deepEqual((ckpt.state.callbacks as Record<string, unknown>).train_log, { lines: 2 });
  const copy = await Deno.makeTempDir({ prefix: "rl_resume_" });
  await new Deno.Command("cp", { args: ["-r", `${straight}/extractors`, copy] }).output();
  await train(scenario, copy, { resumeFrom: "extractors/x/checkpoints/checkpoint_64_steps.ckpt" });
  await assertSameTraining(straight, copy);
  await Deno.remove(straight, { recursive: true });
  await Deno.remove(copy, { recursive: true });
});

Deno.test("resuming with different PPO settings or a corrupt checkpoint is an ExtractorRunError", async () => {
  const scenario = await tinyScenario({ run: { ...RUN, save_freq: 64, total_timesteps: 64 } });
  const dir = await Deno.makeTempDir({ prefix: "rl_resume_" });
  await train(scenario, dir);
  const ckpt = "extractors/x/checkpoints/checkpoint_64_steps.ckpt";
  const other = await tinyScenario({
    run: { ...RUN, save_freq: 64, total_timesteps: 64 },
    ppo: { n_epochs: 3 },
  });
  const e1 = await rejection(train(other, dir, { resumeFrom: ckpt }), ExtractorRunError);
  assert.match(e1.reason, /different settings \(ppo\)/);
  const bytes = await Deno.readFile(nodePath.join(dir, ckpt));
  bytes[100] ^= 1;
  await Deno.writeFile(nodePath.join(dir, ckpt), bytes);
  const e2 = await rejection(train(scenario, dir, { resumeFrom: ckpt }), ExtractorRunError);
  assert.match(e2.reason, /checksum mismatch/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("with lib/sim's VecEnv, a resumed run restores the envs when they support snapshots, else starts fresh episodes", async () => {
  const scenario = await tinyScenario({ run: RUN });
  const dir = await Deno.makeTempDir({ prefix: "rl_resume_" });
  const controller = new AbortController();
  const options = {
    profile: scenario.extractors[0],
    settings: scenario.settings,
    extractorDir: nodePath.join(dir, "extractors", "x"),
    runDir: dir,
  };
  let steps = 0;
  const first = await trainExtractor({
    ...options,
    signal: controller.signal,
    onProgress: (p) => {
      steps = p.steps;
      if (steps >= 80) controller.abort();
    },
  });
  assert.equal(first.interrupted, true);
  const second = await trainExtractor({
    ...options,
    resumeFrom: nodePath.join(dir, first.lastCheckpoint!),
  });
  assert.equal(second.trainingSteps, 320);
  const snapshots = typeof (VecEnv.prototype as { snapshot?: unknown }).snapshot === "function";
  assert.equal(second.envRestored, snapshots);
  if (snapshots) {
    const straight = await Deno.makeTempDir({ prefix: "rl_resume_" });
    await trainExtractor({
      ...options,
      extractorDir: nodePath.join(straight, "extractors", "x"),
      runDir: straight,
    });
    await assertSameTraining(straight, dir);
    await Deno.remove(straight, { recursive: true });
  }
  await Deno.remove(dir, { recursive: true });
});
