/**
 * trainExtractor() end to end with test-mode settings: every artifact, evaluation
 * and checkpoint counts, manifest events with checksums, the exported ONNX policy in
 * a fresh ONNX Runtime session, and ExtractorRunError on NaN.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import * as ort from "onnxruntime-node";
import { SeededRng } from "../../../lib/rng/mod.ts";
import { onnx } from "../../../lib/nn/_onnx.ts";
import {
  type EvaluationRecord,
  ExtractorRunError,
  loadTrainerCheckpoint,
  PpoPolicy,
  type UpdateRecord,
} from "../../../lib/rl/mod.ts";
import { trainExtractor } from "../../../lib/train/mod.ts";
import { ManifestWriter, readManifest, sha256File } from "../../../lib/run/mod.ts";
import { loadMap, resolveScenarioEnv, RobotEnv, VecEnv } from "../../../lib/sim/mod.ts";
import { HookedVecEnv, rejection, tinyScenario } from "../../unit/rl/_helpers.ts";

async function runDir() {
  const dir = await Deno.makeTempDir({ prefix: "rl_train_" });
  return { dir, extractorDir: nodePath.join(dir, "extractors", "x") };
}

function jsonLines<T>(text: string): T[] {
  return text.trim().split("\n").map((l) => JSON.parse(l));
}

function metadataOf(bytes: Uint8Array): Record<string, string> {
  const model = onnx.ModelProto.decode(bytes);
  return Object.fromEntries(model.metadataProps!.map((p) => [p.key!, p.value!]));
}

for (const preset of ["mlp_small", "dynamics_original"]) {
  Deno.test(`trainExtractor() writes every artifact for ${preset} with test-mode settings`, async () => {
    const scenario = await tinyScenario({ preset });
    const { dir, extractorDir } = await runDir();
    const manifest = await ManifestWriter.open(nodePath.join(dir, "manifest.jsonl"));
    const progress: number[] = [];
    const result = await trainExtractor({
      profile: scenario.extractors[0],
      settings: scenario.settings,
      extractorDir,
      runDir: dir,
      manifest,
      onProgress: (p) => progress.push(p.steps),
    });
    manifest.close();
    assert.equal(result.interrupted, false);
    assert.equal(result.trainingSteps, 256);
    assert.deepEqual(Object.keys(result.artifacts).sort(), [
      "best_model",
      "checkpoints",
      "eval_history",
      "evaluations_npz",
      "final_model",
      "held_out",
      "metrics",
      "progress_csv",
      "resolved_settings",
      "tensorboard",
      "train_log",
    ]);
    for (const rel of Object.values(result.artifacts)) {
      await Deno.stat(nodePath.join(dir, rel)); // exists
      assert.ok(rel.startsWith("extractors/x"), rel);
    }

    // metrics.json: the reference's keys plus ours, all finite.
    const metrics = JSON.parse(
      await Deno.readTextFile(nodePath.join(extractorDir, "metrics.json")),
    );
    assert.deepEqual(metrics, result.metrics);
    for (
      const key of [
        "best_mean_reward",
        "last_mean_reward",
        "success_rate",
        "collision_rate",
        "mean_ep_length",
        "wall_time_seconds",
        "fps",
        "eval_time_seconds",
        "training_steps",
        "total_parameters",
        "trainable_parameters",
      ]
    ) assert.ok(Number.isFinite(metrics[key]), key);
    assert.equal(metrics.total_parameters, preset === "mlp_small" ? 68_525 : 50_677);
    assert.equal(metrics.training_steps, 256);
    assert.ok(metrics.eval_time_seconds > 0, "evaluations take time");

    // Evaluations at 128 and 256 (eval_freq 128, one env), checkpoints at 128 and 256.
    const evals = jsonLines<EvaluationRecord>(
      await Deno.readTextFile(nodePath.join(extractorDir, "eval_history.jsonl")),
    );
    assert.deepEqual(evals.map((e) => e.timestep), [128, 256]);
    assert.ok(evals.every((e) => e.n_episodes === 2));
    assert.equal(metrics.last_mean_reward, evals[1].mean_reward);
    assert.equal(metrics.best_mean_reward, Math.max(...evals.map((e) => e.mean_reward)));
    const updates = jsonLines<UpdateRecord>(
      await Deno.readTextFile(nodePath.join(extractorDir, "train_log.jsonl")),
    );
    assert.equal(updates.length, 8); // 256 / 32
    for (
      const key of [
        "train/loss",
        "train/policy_gradient_loss",
        "train/value_loss",
        "train/entropy_loss",
        "train/approx_kl",
        "train/clip_fraction",
        "train/explained_variance",
        "train/std",
        "train/learning_rate",
        "train/n_updates",
        "train/clip_range",
        "time/fps",
        "time/total_timesteps",
        "time/iterations",
        "rollout/ep_rew_mean",
        "rollout/ep_len_mean",
        "rollout/success_rate",
      ]
    ) assert.ok(key in updates[7], key);
    assert.equal(updates[7]["train/n_updates"], 16);

    // Manifest: one event per evaluation and checkpoint, with the files' SHA-256.
    const { events } = await readManifest(nodePath.join(dir, "manifest.jsonl"));
    const ckpts = events.filter((e) => e.event === "checkpoint_written");
    assert.deepEqual(ckpts.map((e) => e.step), [128, 256]);
    for (const e of ckpts) {
      assert.equal(e.sha256, await sha256File(nodePath.join(dir, e.path)));
      assert.match(e.path, /^extractors\/x\/checkpoints\/checkpoint_\d+_steps\.ckpt$/);
    }
    assert.equal(events.filter((e) => e.event === "evaluation_done").length, 2);
    assert.ok(progress.includes(256));

    // best_model.onnx is the policy of the last evaluation that set a new best.
    const best = evals.filter((e) => e.new_best).at(-1)!;
    const bestMeta = metadataOf(
      await Deno.readFile(nodePath.join(extractorDir, "best_model.onnx")),
    );
    assert.equal(bestMeta.training_steps, String(best.timestep));
    const finalBytes = await Deno.readFile(nodePath.join(extractorDir, "final_model.onnx"));
    const meta = metadataOf(finalBytes);
    assert.equal(meta.preset, preset);
    assert.equal(meta.model, "final");
    for (
      const key of [
        "parameters",
        "observation_normalization",
        "library_versions",
        "resolved_config",
      ]
    ) JSON.parse(meta[key]);
    assert.equal(JSON.parse(meta.resolved_config).settings.run.total_timesteps, 256);

    // The final model in a fresh ONNX Runtime session equals the inference model
    // restored from the last checkpoint (written after the final update).
    const ckpt = await loadTrainerCheckpoint(nodePath.join(dir, ckpts[1].path));
    const policy = await PpoPolicy.create({ preset, parameters: {} } as never, {
      initRng: new SeededRng(0),
      dropoutRng: new SeededRng(0),
    });
    await policy.restoreCheckpoint(ckpt.network);
    const rng = new SeededRng(9);
    const rays = Float32Array.from({ length: 3 * 816 }, () => rng.uniform());
    const drive = Float32Array.from({ length: 3 * 15 }, () => rng.uniformRange(-1, 1));
    const expected = await policy.forward({ rays, driveState: drive, n: 3 });
    const session = await ort.InferenceSession.create(finalBytes);
    const out = await session.run({
      rays: new ort.Tensor("float32", rays, [3, 3, 272]),
      drive_state: new ort.Tensor("float32", drive, [3, 3, 5]),
    });
    const close = (a: ArrayLike<number>, b: ArrayLike<number>, what: string) => {
      assert.equal(a.length, b.length, what);
      for (let i = 0; i < a.length; i++) {
        assert.ok(Math.abs(a[i] - b[i]) <= 1e-5 + 1e-5 * Math.abs(b[i]), `${what}[${i}]`);
      }
    };
    close(out.action_mean.data as Float32Array, expected.actionMean, "action_mean");
    close(out.value.data as Float32Array, expected.value, "value");
    close(out.log_std.data as Float32Array, expected.logStd, "log_std");
    await session.release();
    await policy.release();

    const resolved = JSON.parse(
      await Deno.readTextFile(nodePath.join(extractorDir, "resolved_settings.json")),
    );

    // Held-out evaluation: the reported score is the best policy's; its first episode,
    // replayed with best_model.onnx in a fresh ONNX Runtime session on a fresh env, gives
    // the same length and return (a second method for loading the best parameters).
    const heldOut = JSON.parse(
      await Deno.readTextFile(nodePath.join(extractorDir, "held_out.json")),
    );
    assert.equal(heldOut.reported, "best");
    assert.deepEqual(
      heldOut.best.episodes.map((e: { seed: number }) => e.seed),
      [1_000_000_000, 1_000_000_001],
    );
    assert.equal(metrics.heldout_mean_return, heldOut.best.aggregates.mean_return);
    assert.equal(metrics.heldout_final_mean_return, heldOut.final.aggregates.mean_return);
    const env = scenario.settings.env;
    const replayEnv = new RobotEnv(
      await loadMap(env.map),
      resolveScenarioEnv({
        map: env.map,
        difficulty: env.difficulty,
        ped_density_by_difficulty: env.ped_density_by_difficulty,
        episode_seconds: env.episode_seconds,
        robot: env.robot,
      }),
    );
    const bestSession = await ort.InferenceSession.create(
      await Deno.readFile(nodePath.join(extractorDir, "best_model.onnx")),
    );
    const { low, high } = replayEnv.actionSpace;
    const episode = heldOut.best.episodes[0];
    const { observation } = replayEnv.reset(episode.seed);
    let replayReturn = 0;
    let replayLength = 0;
    for (;;) {
      const step = await bestSession.run({
        rays: new ort.Tensor("float32", Float32Array.from(observation.rays), [1, 3, 272]),
        drive_state: new ort.Tensor(
          "float32",
          Float32Array.from(observation.drive_state),
          [1, 3, 5],
        ),
      });
      const mean = step.action_mean.data as Float32Array;
      const action = Float32Array.from(mean, (v, i) => Math.min(Math.max(v, low[i]), high[i]));
      const r = replayEnv.step(action);
      replayReturn += r.reward;
      if (r.terminated || r.truncated) {
        replayLength = r.info.step;
        break;
      }
    }
    await bestSession.release();
    assert.equal(replayLength, episode.length);
    assert.ok(
      Math.abs(replayReturn - episode.reward) < 1e-6,
      `${replayReturn} vs ${episode.reward}`,
    );

    assert.equal(resolved.settings.run.ppo.n_steps, 32);
    assert.equal(resolved.env_settings.map, "open_field");
    assert.equal(resolved.system.versions.deno, Deno.version.deno);
    await Deno.remove(dir, { recursive: true });
  });
}

Deno.test("trainExtractor() counts eval_freq and save_freq in env steps over num_envs, as the reference", async () => {
  // 2 envs: eval every floor(100 / 2) = 50 calls = 100 env steps; checkpoints every
  // 48 calls = 96 env steps (96 falls inside a 64-step rollout, 192 on its last step).
  const scenario = await tinyScenario({
    run: { worker_mode: "vectorized", num_envs: 2, eval_freq: 100, save_freq: 96 },
  });
  const { dir, extractorDir } = await runDir();
  const result = await trainExtractor({
    profile: scenario.extractors[0],
    settings: scenario.settings,
    extractorDir,
    runDir: dir,
  });
  assert.equal(result.trainingSteps, 256);
  const evals = jsonLines<EvaluationRecord>(
    await Deno.readTextFile(nodePath.join(extractorDir, "eval_history.jsonl")),
  );
  assert.deepEqual(evals.map((e) => e.timestep), [100, 200]);
  const files = [];
  for await (const e of Deno.readDir(nodePath.join(extractorDir, "checkpoints"))) {
    files.push(e.name);
  }
  assert.deepEqual(files.sort(), ["checkpoint_192_steps.ckpt", "checkpoint_96_steps.ckpt"]);
  // The mid-rollout checkpoint holds the 48 rows collected so far (24 steps x 2 envs);
  // the one due on a rollout's last step is written after that update, with no rows.
  const mid = await loadTrainerCheckpoint(
    nodePath.join(extractorDir, "checkpoints/checkpoint_96_steps.ckpt"),
  );
  assert.equal(mid.state.rolloutPos, 16);
  assert.equal(mid.arrays.rays.length, 16 * 2 * 816);
  const end = await loadTrainerCheckpoint(
    nodePath.join(extractorDir, "checkpoints/checkpoint_192_steps.ckpt"),
  );
  assert.equal(end.state.rolloutPos, 0);
  assert.equal(end.arrays.rays.length, 0);
  assert.equal((end.state.counters as { iteration: number }).iteration, 3);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainExtractor() evaluates once at the end when eval_freq exceeds the run", async () => {
  const scenario = await tinyScenario({ run: { eval_freq: 100000, total_timesteps: 64 } });
  const { dir, extractorDir } = await runDir();
  const result = await trainExtractor({
    profile: scenario.extractors[0],
    settings: scenario.settings,
    extractorDir,
    runDir: dir,
  });
  const evals = jsonLines<EvaluationRecord>(
    await Deno.readTextFile(nodePath.join(extractorDir, "eval_history.jsonl")),
  );
  assert.deepEqual(evals.map((e) => e.timestep), [64]);
  assert.ok("best_model" in result.artifacts);
  assert.ok(Number.isFinite(result.metrics.best_mean_reward));
  await Deno.remove(dir, { recursive: true });
});

async function assertNoFinalArtifacts(extractorDir: string) {
  for (const name of ["final_model.onnx", "metrics.json"]) {
    await assert.rejects(() => Deno.stat(nodePath.join(extractorDir, name)), Deno.errors.NotFound);
  }
}

Deno.test("trainExtractor() throws ExtractorRunError when the loss or parameters diverge", async () => {
  const scenario = await tinyScenario({ ppo: { learning_rate: 1e30 } });
  const { dir, extractorDir } = await runDir();
  const error = await rejection(
    trainExtractor({
      profile: scenario.extractors[0],
      settings: scenario.settings,
      extractorDir,
      runDir: dir,
    }),
    ExtractorRunError,
  );
  assert.match(error.reason, /non-finite|became (NaN|-?Infinity)/);
  assert.match(error.hint, /learning_rate/);
  assert.ok(error.step !== null && error.step > 0);
  await assertNoFinalArtifacts(extractorDir);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainExtractor() throws ExtractorRunError when the env returns a NaN reward", async () => {
  const scenario = await tinyScenario();
  const { dir, extractorDir } = await runDir();
  const error = await rejection(
    trainExtractor({
      profile: scenario.extractors[0],
      settings: scenario.settings,
      extractorDir,
      runDir: dir,
      vecEnvFactory: ({ map, settings, numEnvs, seed }) => {
        const env = new HookedVecEnv(new VecEnv(map, settings, { numEnvs, seed }));
        env.after.push((e) => {
          if (e.steps === 40) e.buffers.rewards[0] = NaN;
        });
        return env;
      },
    }),
    ExtractorRunError,
  );
  assert.match(error.reason, /non-finite reward \(NaN\) at step 40/);
  assert.equal(error.step, 40);
  await assertNoFinalArtifacts(extractorDir);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainExtractor() reports untrainable settings and unknown maps as ExtractorRunError", async () => {
  const { dir, extractorDir } = await runDir();
  const bad = await tinyScenario({ ppo: { normalize_advantage: false } });
  bad.settings.ppo.batch_size = 1; // the scenario schema refuses it too
  const e1 = await rejection(
    trainExtractor({
      profile: bad.extractors[0],
      settings: bad.settings,
      extractorDir,
      runDir: dir,
    }),
    ExtractorRunError,
  );
  assert.match(e1.reason, /batch_size must be at least 2/);
  const noMap = await tinyScenario();
  noMap.settings.env.map = "no_such_map";
  const e2 = await rejection(
    trainExtractor({
      profile: noMap.extractors[0],
      settings: noMap.settings,
      extractorDir,
      runDir: dir,
    }),
    ExtractorRunError,
  );
  assert.match(e2.reason, /Cannot load map 'no_such_map'/);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("trainExtractor() trains every reference preset in test mode", async () => {
  const { PRESET_NAMES } = await import("../../../lib/config/mod.ts");
  for (const preset of PRESET_NAMES) {
    const scenario = await tinyScenario({
      preset,
      run: { total_timesteps: 32, eval_freq: 32, save_freq: 32, n_eval_episodes: 1 },
      ppo: { n_epochs: 1 },
      env: { episode_seconds: 1 },
    });
    const { dir, extractorDir } = await runDir();
    const result = await trainExtractor({
      profile: scenario.extractors[0],
      settings: scenario.settings,
      extractorDir,
      runDir: dir,
    });
    assert.equal(result.trainingSteps, 32, preset);
    assert.equal(result.metrics.features_dim, scenario.extractors[0].features_dim, preset);
    assert.ok(Number.isFinite(result.metrics.best_mean_reward), preset);
    await Deno.remove(dir, { recursive: true });
  }
});
