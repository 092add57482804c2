import assert from "node:assert/strict";
import {
  appendEvaluation,
  readEvalHistory,
  readMetricsFile,
  sha256File,
  sha256Hex,
  writeMetricsFile,
} from "../../../lib/run/mod.ts";

async function withDir(fn: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("metrics.json round-trips and refuses non-numbers", async () => {
  await withDir(async (dir) => {
    const path = await writeMetricsFile(dir, { best_mean_reward: -0.5, total_parameters: 50677 });
    assert.equal(path, `${dir}/metrics.json`);
    assert.deepEqual(await readMetricsFile(path), {
      best_mean_reward: -0.5,
      total_parameters: 50677,
    });
    await assert.rejects(
      () => writeMetricsFile(dir, { x: NaN }),
      /metric "x" must be a finite number/,
    );
    await Deno.writeTextFile(path, '{"a": "1"}');
    await assert.rejects(
      () => readMetricsFile(path),
      /metric "a" must be a finite number, got "1"/,
    );
  });
});

Deno.test("eval_history.jsonl appends one evaluation per line and tolerates a torn last line", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/eval_history.jsonl`;
    await appendEvaluation(path, { timestep: 512, mean_reward: -1, std_reward: 0.2 });
    await appendEvaluation(path, {
      timestep: 1024,
      mean_reward: -0.5,
      std_reward: 0.1,
      success_rate: 0.5,
    });
    await Deno.writeTextFile(path, '{"timestep":15', { append: true });
    const { points, tornLine } = await readEvalHistory(path);
    assert.deepEqual(points.map((p) => p.timestep), [512, 1024]);
    assert.equal(points[1].success_rate, 0.5);
    assert.equal(tornLine, 3);
    await assert.rejects(
      () => appendEvaluation(path, { timestep: 1.5, mean_reward: 0, std_reward: 0 }),
      /"timestep" must be an integer >= 0/,
    );
  });
});

Deno.test("a corrupt complete line in eval_history.jsonl names file and line", async () => {
  await withDir(async (dir) => {
    const path = `${dir}/eval_history.jsonl`;
    await Deno.writeTextFile(path, '{"timestep":1,"mean_reward":0,"std_reward":-1}\n');
    await assert.rejects(() => readEvalHistory(path), new RegExp(`${path}:1: "std_reward"`));
  });
});

Deno.test("sha256Hex() matches the FIPS 180-2 test vector and sha256File() agrees", async () => {
  const abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  assert.equal(await sha256Hex("abc"), abc);
  await withDir(async (dir) => {
    await Deno.writeTextFile(`${dir}/f`, "abc");
    assert.equal(await sha256File(`${dir}/f`), abc);
  });
});
