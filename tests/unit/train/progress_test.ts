import assert from "node:assert/strict";
import { formatProgress, ProgressThrottle } from "../../../lib/train/mod.ts";

const progress = (steps: number, extra: Partial<Parameters<typeof formatProgress>[1]> = {}) => ({
  steps,
  totalSteps: 4096,
  fps: 811.6,
  etaSeconds: 2.5,
  lastMeanReward: -0.52,
  lastEvalReward: null,
  done: false,
  ...extra,
});

Deno.test("formatProgress() shows steps, percentage, fps, ETA and the last mean reward", () => {
  assert.equal(
    formatProgress("mlp_small", progress(2048)),
    "mlp_small: 2048/4096 steps (50%), 812 steps/s, ETA 3s, last mean reward -0.520",
  );
  assert.equal(
    formatProgress("mlp_small", progress(4095, { lastMeanReward: null, etaSeconds: null })),
    "mlp_small: 4095/4096 steps (99%), 812 steps/s, ETA --, last mean reward n/a",
  );
});

Deno.test("ProgressThrottle passes the first, one per interval and the first final update", () => {
  let now = 0;
  const throttle = new ProgressThrottle({ intervalMs: 1000, now: () => now });
  assert.equal(throttle.accept("a", progress(64)), true);
  now = 400;
  assert.equal(throttle.accept("a", progress(128)), false);
  assert.equal(throttle.accept("b", progress(64)), true, "each extractor has its own clock");
  now = 1000;
  assert.equal(throttle.accept("a", progress(192)), true);
  now = 1100;
  assert.equal(throttle.accept("a", progress(4096)), true, "the final update passes");
  now = 9000;
  assert.equal(throttle.accept("a", progress(4096)), false, "once");
  assert.throws(() => new ProgressThrottle({ intervalMs: -1 }), RangeError);
});
