import assert from "node:assert/strict";
import { heldOutOverlap, heldOutSeeds } from "../../../lib/rl/held_out.ts";

Deno.test("heldOutSeeds() counts up from the start seed", () => {
  assert.deepEqual(heldOutSeeds(3, 10), [10, 11, 12]);
  assert.deepEqual(heldOutSeeds(2), [1_000_000_000, 1_000_000_001]);
});

Deno.test("heldOutSeeds() refuses empty sets and ranges past 2^32", () => {
  assert.throws(() => heldOutSeeds(0), RangeError);
  assert.throws(() => heldOutSeeds(2, 4294967295), RangeError);
});

Deno.test("heldOutOverlap() finds trial and periodic-evaluation seeds in the held-out range", () => {
  // Trial seed 5 lies in [4, 8); trial 1's periodic episode 0 uses 1 + 100003 = 100004.
  assert.deepEqual(heldOutOverlap([1, 5], 2, heldOutSeeds(4, 4)), [5]);
  assert.deepEqual(heldOutOverlap([1], 1, heldOutSeeds(3, 100003)), [100004]);
  assert.deepEqual(heldOutOverlap([1, 2, 3], 50, heldOutSeeds(50)), []);
});
