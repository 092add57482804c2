import assert from "node:assert/strict";
import { loadMap, resolveScenarioEnv, RobotEnv } from "../../../lib/sim/mod.ts";

async function lastStep(timeLimit: "truncation" | "termination") {
  const settings = resolveScenarioEnv({
    map: "open_field",
    episode_seconds: 1,
    time_limit: timeLimit,
  });
  const env = new RobotEnv(await loadMap("open_field"), settings);
  env.reset(1);
  const zero = new Float32Array(2);
  for (;;) {
    const r = env.step(zero); // standing still: only the time limit ends the episode
    if (r.terminated || r.truncated) return { ...r, info: { ...r.info } };
  }
}

Deno.test("env.time_limit: truncation ends a standing episode truncated, termination terminated", async () => {
  const t = await lastStep("truncation");
  assert.deepEqual([t.terminated, t.truncated, t.info.step], [false, true, 11]);
  const r = await lastStep("termination");
  assert.deepEqual([r.terminated, r.truncated, r.info.step], [true, false, 11]);
  assert.ok(r.info.is_timesteps_exceeded && !r.info.is_success);
  assert.throws(() => resolveScenarioEnv({ time_limit: "stop" }), /truncation.*termination/);
});
