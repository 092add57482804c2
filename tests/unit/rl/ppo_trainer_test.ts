/**
 * PpoTrainer: what collect_rollouts stores (unclipped actions, values, log-probs,
 * episode starts, rewards bootstrapped on time-limit truncation only), and the
 * epoch/minibatch loop's counts and target_kl early stop.
 */
import assert from "node:assert/strict";
import { PPO_DEFAULTS, type PpoSettings } from "../../../lib/config/mod.ts";
import { SeededRng } from "../../../lib/rng/mod.ts";
import {
  clipActions,
  diagGaussianLogProb,
  PpoPolicy,
  type PpoPolicyOptions,
  PpoTrainer,
  ProgressCallback,
  type TrainingProgress,
  type UpdateRecord,
} from "../../../lib/rl/mod.ts";
import { loadMap, makeEnvSettings, VecEnv } from "../../../lib/sim/mod.ts";
import { HookedVecEnv } from "./_helpers.ts";

const map = await loadMap("open_field");

async function policyOf(options: Partial<PpoPolicyOptions> = {}) {
  return await PpoPolicy.create({ preset: "mlp_small", parameters: {} }, {
    initRng: new SeededRng(1),
    dropoutRng: new SeededRng(2),
    ...options,
  });
}

interface StepRecord {
  sent: Float32Array;
  rewards: Float32Array;
  terminated: Uint8Array;
  truncated: Uint8Array;
  terminalRays: Float32Array;
  terminalDrive: Float32Array;
}

/** Run one rollout of n_steps on 2 envs whose episodes last 0.5 s; check it at rollout end. */
async function oneRollout(timeLimitIsTruncation: boolean) {
  const settings = makeEnvSettings({
    map: "open_field",
    episodeSeconds: 0.5,
    timeLimitIsTruncation,
  });
  const env = new HookedVecEnv(new VecEnv(map, settings, { numEnvs: 2, seed: 3 }));
  const steps: StepRecord[] = [];
  env.before.push((e) => steps.push({ sent: e.buffers.actions.slice() } as StepRecord));
  env.after.push((e) => {
    const s = steps[steps.length - 1];
    s.rewards = e.buffers.rewards.slice();
    s.terminated = e.buffers.terminated.slice();
    s.truncated = e.buffers.truncated.slice();
    s.terminalRays = e.buffers.terminal_rays.slice();
    s.terminalDrive = e.buffers.terminal_drive_state.slice();
  });
  const policy = await policyOf();
  const ppo: PpoSettings = { ...PPO_DEFAULTS, n_steps: 16, batch_size: 16, n_epochs: 1 };
  let checked = false;
  const trainer: PpoTrainer = new PpoTrainer({
    policy,
    env,
    ppo,
    totalTimesteps: 32,
    actionRng: new SeededRng(4),
    shuffleRng: new SeededRng(5),
    callbacks: [{
      name: "inspect",
      onRolloutEnd: async () => {
        const b = trainer.rolloutBuffer;
        let bootstrapped = 0, outOfBounds = 0;
        const value = new Float32Array(2);
        const logProb = new Float32Array(2);
        const clipped = new Float32Array(4);
        for (let t = 0; t < 16; t++) {
          const s = steps[t];
          // Time-limit truncation: r + gamma * V(terminal observation); termination: r.
          await policy.predictValues(
            { rays: s.terminalRays, driveState: s.terminalDrive, n: 2 },
            value,
          );
          for (let i = 0; i < 2; i++) {
            const k = t * 2 + i;
            const truncated = s.truncated[i] === 1 && s.terminated[i] === 0;
            if (truncated) bootstrapped++;
            const expected = truncated ? s.rewards[i] + 0.99 * value[i] : s.rewards[i];
            assert.equal(b.rewards[k], Math.fround(expected), `reward at step ${t}, env ${i}`);
            // Episode starts: first step, and every step after an episode ended.
            const prev = t === 0 ? 1 : steps[t - 1].terminated[i] | steps[t - 1].truncated[i];
            assert.equal(b.episodeStarts[k], prev, `episode start at step ${t}, env ${i}`);
          }
          // Stored actions are the unclipped samples; the env got them clipped.
          const actions = b.actions.subarray(t * 4, t * 4 + 4);
          clipActions(actions, env.actionSpace.low, env.actionSpace.high, clipped);
          assert.deepEqual([...clipped], [...s.sent], `clipped actions at step ${t}`);
          outOfBounds += actions.filter((a, j) =>
            a < env.actionSpace.low[j % 2] || a > env.actionSpace.high[j % 2]
          ).length;
          // Values and log-probabilities are the eval-mode policy's on the stored observation.
          const out = await policy.forward({
            rays: b.rays.subarray(t * 2 * 816, (t + 1) * 2 * 816),
            driveState: b.driveState.subarray(t * 2 * 15, (t + 1) * 2 * 15),
            n: 2,
          });
          diagGaussianLogProb(actions, out.actionMean, out.logStd, logProb);
          assert.deepEqual([...b.logProbs.subarray(t * 2, t * 2 + 2)], [...logProb]);
          assert.deepEqual([...b.values.subarray(t * 2, t * 2 + 2)], [...out.value]);
        }
        // Episodes of 0.5 s end at step 6: two per env in 16 steps.
        assert.equal(steps.filter((s) => s.truncated[0] || s.terminated[0]).length, 2);
        assert.equal(bootstrapped, timeLimitIsTruncation ? 4 : 0);
        assert.ok(outOfBounds > 0, "some sampled actions lie outside the action space");
        checked = true;
      },
    }],
  });
  const result = await trainer.learn();
  await policy.release();
  assert.ok(checked);
  return result;
}

Deno.test("PpoTrainer stores unclipped actions and bootstraps time-limit truncations with gamma * V(terminal observation)", async () => {
  const result = await oneRollout(true);
  assert.deepEqual(result, { interrupted: false, numTimesteps: 32, iteration: 1, nUpdates: 1 });
});

Deno.test("PpoTrainer does not bootstrap episodes that terminate at the time limit", async () => {
  await oneRollout(false);
});

async function train(ppo: Partial<PpoSettings>, total: number, numEnvs = 1) {
  const settings = makeEnvSettings({ map: "open_field", episodeSeconds: 2 });
  const env = new VecEnv(map, settings, { numEnvs, seed: 3 });
  const full = { ...PPO_DEFAULTS, ...ppo };
  const policy = await policyOf({ loss: { targetKl: full.target_kl } });
  const before = policy.parameters.slice();
  const records: UpdateRecord[] = [];
  const trainer = new PpoTrainer({
    policy,
    env,
    ppo: full,
    totalTimesteps: total,
    actionRng: new SeededRng(4),
    shuffleRng: new SeededRng(5),
    callbacks: [{ name: "log", onUpdateEnd: (_ctx, r) => void records.push(r) }],
  });
  const result = await trainer.learn();
  const out = { result, records, steps: policy.optimizerSteps, before, after: policy.parameters };
  await policy.release();
  return out;
}

Deno.test("PpoTrainer runs n_epochs passes of ceil(buffer / batch_size) minibatches per update", async () => {
  // 2 envs x 20 steps = 40 samples, batch 16 -> 3 minibatches (16, 16, 8) x 3 epochs.
  const { result, records, steps } = await train(
    { n_steps: 20, batch_size: 16, n_epochs: 3 },
    41,
    2,
  );
  // The loop stops at the first rollout end at or past total_timesteps: 2 rollouts of 40.
  assert.deepEqual(result, { interrupted: false, numTimesteps: 80, iteration: 2, nUpdates: 6 });
  assert.equal(steps, 2 * 3 * 3);
  assert.deepEqual(records.map((r) => r["train/n_updates"]), [3, 6]);
  assert.deepEqual(records.map((r) => r["time/total_timesteps"]), [40, 80]);
  for (const key of ["train/loss", "train/approx_kl", "train/std", "time/fps"]) {
    assert.equal(typeof records[1][key], "number", key);
  }
});

Deno.test("PpoTrainer stops the epoch loop when approx_kl exceeds 1.5 target_kl, without applying that minibatch", async () => {
  // Dropout makes the first minibatch's ratio differ from 1, so approx_kl > 0 > 1.5e-12.
  const { result, steps, before, after } = await train(
    { n_steps: 32, batch_size: 16, n_epochs: 4, target_kl: 1e-12 },
    32,
  );
  assert.equal(result.nUpdates, 1); // SB3 counts the interrupted epoch
  assert.equal(steps, 0);
  assert.deepEqual(after, before);
});

Deno.test("PpoTrainer rejects a batch size of 1 and a one-sample buffer with advantage normalisation", async () => {
  const policy = await policyOf();
  const env = new VecEnv(map, makeEnvSettings({ map: "open_field" }), { numEnvs: 1, seed: 1 });
  const base = {
    policy,
    env,
    totalTimesteps: 8,
    actionRng: new SeededRng(1),
    shuffleRng: new SeededRng(2),
  };
  assert.throws(
    () => new PpoTrainer({ ...base, ppo: { ...PPO_DEFAULTS, batch_size: 1 } }),
    /batch_size must be at least 2/,
  );
  assert.throws(
    () => new PpoTrainer({ ...base, ppo: { ...PPO_DEFAULTS, n_steps: 1 } }),
    /greater than 1/,
  );
  await policy.release();
});

Deno.test("ProgressCallback counts to the steps whole rollouts train, not to total_timesteps", async () => {
  // 2 envs x n_steps 8 = rollouts of 16; total_timesteps 20 trains two rollouts: 32 steps.
  const settings = makeEnvSettings({ map: "open_field", episodeSeconds: 0.5 });
  const env = new VecEnv(map, settings, { numEnvs: 2, seed: 3 });
  const policy = await policyOf();
  const seen: TrainingProgress[] = [];
  const trainer = new PpoTrainer({
    policy,
    env,
    ppo: { ...PPO_DEFAULTS, n_steps: 8, batch_size: 16, n_epochs: 1 },
    totalTimesteps: 20,
    actionRng: new SeededRng(4),
    shuffleRng: new SeededRng(5),
    callbacks: [new ProgressCallback({ onProgress: (p) => seen.push(p), intervalMs: 0 })],
  });
  const result = await trainer.learn();
  await policy.release();
  assert.equal(result.numTimesteps, 32);
  assert.ok(seen.length > 2);
  for (const p of seen) assert.equal(p.totalSteps, 32, `total at step ${p.steps}`);
  const beforeDone = seen.filter((p) => !p.done && p.steps < 32);
  assert.ok(beforeDone.length > 0 && beforeDone.every((p) => p.steps < p.totalSteps));
  const last = seen[seen.length - 1];
  assert.deepEqual([last.steps, last.done, last.etaSeconds], [32, true, 0]);
});
