import assert from "node:assert/strict";
import { EnvStepError, loadMap, makeEnvSettings, VecEnv } from "../../../lib/sim/mod.ts";

Deno.test("VecEnv.step() names the env whose step failed and keeps the original error as cause", async () => {
  const vec = new VecEnv(await loadMap("open_square"), makeEnvSettings(), { numEnvs: 3 });
  vec.reset();
  const actions = new Float32Array(6).fill(0.1);
  actions[2 * 1] = Number.NaN;
  assert.throws(() => vec.step(actions), (err: unknown) => {
    assert.ok(err instanceof EnvStepError);
    assert.equal(err.envIndex, 1);
    assert.equal(err.message, "Env 1 failed in step: Action contains NaN");
    assert.ok(err.cause instanceof RangeError);
    return true;
  });
  assert.equal(
    new EnvStepError(4, new Error("boom"), { worker: 2 }).message,
    "Env 4 (worker 2) failed in step: boom",
  );
});
