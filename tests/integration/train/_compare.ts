/**
 * Compare what two runs trained, extractor by extractor: ONNX graphs (weights
 * included) byte for byte, the models' metadata, metrics.json, eval_history.jsonl,
 * train_log.jsonl, held_out.json and the manifest's evaluation and checkpoint events. Wall-clock
 * fields are left out (`wall_time_seconds`, `fps`, `time/*`, event times), and so are
 * the settings that may differ between the runs (named by the caller).
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import onnxProto from "onnx-proto";
import { readManifest } from "../../../lib/run/mod.ts";

// deno-lint-ignore no-explicit-any
const { onnx } = onnxProto as any;

interface _Model {
  graph: Uint8Array;
  metadata: Record<string, unknown>;
}

async function _model(path: string, ignoredRunKeys: readonly string[]): Promise<_Model> {
  const model = onnx.ModelProto.decode(await Deno.readFile(path));
  const metadata: Record<string, unknown> = {};
  for (const { key, value } of model.metadataProps as { key: string; value: string }[]) {
    if (key === "resolved_config") {
      const config = JSON.parse(value);
      for (const ignored of ignoredRunKeys) delete config.settings.run[ignored];
      metadata[key] = config;
    } else {
      metadata[key] = value;
    }
  }
  return { graph: onnx.GraphProto.encode(model.graph).finish(), metadata };
}

async function _lines(path: string, dropTime: boolean): Promise<unknown[]> {
  const text = await Deno.readTextFile(path);
  return text.trim().split("\n").map((line) => {
    const value = JSON.parse(line) as Record<string, unknown>;
    if (dropTime) {
      for (const key of Object.keys(value)) if (key.startsWith("time/")) delete value[key];
    }
    return value;
  });
}

async function _events(
  runDir: string,
  extractor: string,
  seed: number | undefined,
): Promise<unknown[]> {
  const { events } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
  return events
    .filter((e) =>
      (e.event === "evaluation_done" || e.event === "checkpoint_written") &&
      e.extractor === extractor && (e as { seed?: number }).seed === seed
    )
    .map((e) => {
      const { time: _time, ...rest } = e;
      // Checkpoints hold the trainer's wall time, so only their step and path compare.
      if (rest.event === "checkpoint_written") return { ...rest, sha256: "" };
      return rest;
    });
}

/**
 * Assert that both runs trained `extractor` bitwise alike.
 *
 * @param a First run directory.
 * @param b Second run directory.
 * @param extractor Extractor name.
 * @param ignoredRunKeys run.* settings allowed to differ (e.g. parallel_extractors).
 * @param seed The trial's seed in a multi-seed run (files under `seed_<seed>/`).
 */
export async function assertSameTraining(
  a: string,
  b: string,
  extractor: string,
  ignoredRunKeys: readonly string[],
  seed?: number,
): Promise<void> {
  const trial = seed === undefined ? extractor : nodePath.join(extractor, `seed_${seed}`);
  const dir = (run: string, file: string) => nodePath.join(run, "extractors", trial, file);
  for (const file of ["final_model.onnx", "best_model.onnx"]) {
    const [x, y] = await Promise.all([
      _model(dir(a, file), ignoredRunKeys),
      _model(dir(b, file), ignoredRunKeys),
    ]);
    assert.ok(x.graph.length > 1000, `${extractor} ${file} has a graph`);
    assert.deepEqual(x.graph, y.graph, `${extractor} ${file}: graph and weights`);
    assert.deepEqual(x.metadata, y.metadata, `${extractor} ${file}: metadata`);
  }
  const metrics = async (run: string) => {
    const m = JSON.parse(await Deno.readTextFile(dir(run, "metrics.json")));
    delete m.wall_time_seconds;
    delete m.fps;
    delete m.eval_time_seconds;
    return m;
  };
  assert.deepEqual(await metrics(a), await metrics(b), `${extractor} metrics`);
  assert.deepEqual(
    await _lines(dir(a, "eval_history.jsonl"), false),
    await _lines(dir(b, "eval_history.jsonl"), false),
    `${extractor} eval_history`,
  );
  assert.deepEqual(
    await _lines(dir(a, "train_log.jsonl"), true),
    await _lines(dir(b, "train_log.jsonl"), true),
    `${extractor} train_log`,
  );
  assert.deepEqual(
    await _events(a, extractor, seed),
    await _events(b, extractor, seed),
    `${trial} events`,
  );
  // Held-out episodes of the final and best policies, every field.
  const heldOut = async (run: string) =>
    JSON.parse(await Deno.readTextFile(dir(run, "held_out.json")));
  assert.deepEqual(await heldOut(a), await heldOut(b), `${trial} held_out.json`);
}
