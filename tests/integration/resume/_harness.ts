/**
 * Fault injection for the resume tests: runs `train` and `resume` as their tasks do
 * (the tasks' `deno run` flags, the script itself as the child process, test mode),
 * kills a process with SIGKILL when a manifest event appears or after a delay, and
 * compares a run's training artifacts with an uninterrupted run's.
 */
import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { loadTrainerCheckpoint } from "../../../lib/rl/mod.ts";
import { readManifest, validateTrainingSummary } from "../../../lib/run/mod.ts";
import { taskRunArgs } from "../../fixtures/tasks.ts";

/** Repository root. */
export const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);

/** The comparison's extractors (the default scenario's). */
export const EXTRACTORS = ["dynamics_original", "mlp_small"] as const;

/** Environment of every child: test mode (256 steps per extractor), no colours. */
const ENV = { MULTI_EXTRACTOR_TEST_MODE: "1", NO_COLOR: "1" };

/** `deno run <flags> scripts/<name>.ts` of a task in deno.json, split into arguments. */
function taskArgs(task: string): Promise<string[]> {
  return taskRunArgs(task);
}

/** A finished child process. */
export interface Finished {
  /** Exit code. */
  code: number;
  /** Signal that ended it, or null. */
  signal: Deno.Signal | null;
  /** stderr text (the log). */
  stderr: string;
}

/** Start `train` (default scenario, test mode) into `root`. */
export async function spawnTrain(
  root: string,
  extraArgs: readonly string[] = [],
): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: [...await taskArgs("train"), "--output-root", root, ...extraArgs],
    cwd: REPO,
    env: ENV,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Start `resume` with `args`. */
export async function spawnResume(args: string[]): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: [...await taskArgs("resume"), ...args],
    cwd: REPO,
    env: ENV,
    stdout: "null",
    stderr: "piped",
  }).spawn();
}

/** Wait for a child and collect its stderr. */
export async function finish(child: Deno.ChildProcess): Promise<Finished> {
  const { code, signal, stderr } = await child.output();
  return { code, signal, stderr: new TextDecoder().decode(stderr) };
}

/** Run `resume` with `args` to the end. */
export async function resume(args: string[]): Promise<Finished> {
  return await finish(await spawnResume(args));
}

/** The only run directory under `root`, or null before it exists. */
export async function runDirIn(root: string): Promise<string | null> {
  try {
    for await (const entry of Deno.readDir(root)) {
      if (entry.isDirectory) return nodePath.join(root, entry.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return null;
}

/** Where to kill: after the n-th manifest line of an event kind, or a delay after run_started. */
export type KillPoint =
  | { event: string; occurrence: number }
  | { delayMs: number };

function _count(text: string, event: string): number {
  return text.split(`"event":"${event}"`).length - 1;
}

/**
 * Kill `child` with SIGKILL at `point`: poll the manifest every few milliseconds and
 * kill as soon as the wanted line is there (or the delay after run_started has passed).
 * When the child ends on its own first, nothing is killed.
 *
 * @returns Whether the kill was sent, and how the child ended.
 */
export async function killAt(
  child: Deno.ChildProcess,
  root: string,
  point: KillPoint,
): Promise<{ killed: boolean; finished: Finished }> {
  const output = finish(child);
  let done = false;
  output.then(() => done = true, () => done = true);
  let startedAt: number | null = null;
  let killed = false;
  const deadline = Date.now() + 120_000;
  while (!done && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 3));
    const dir = await runDirIn(root);
    let text = "";
    try {
      if (dir !== null) text = await Deno.readTextFile(nodePath.join(dir, "manifest.jsonl"));
    } catch {
      continue;
    }
    if (startedAt === null && text.includes('"event":"run_started"')) startedAt = Date.now();
    const due = "event" in point
      ? _count(text, point.event) >= point.occurrence
      : startedAt !== null && Date.now() - startedAt >= point.delayMs;
    if (due && !done) {
      try {
        child.kill("SIGKILL");
        killed = true;
      } catch {
        // it ended meanwhile
      }
      break;
    }
  }
  return { killed, finished: await output };
}

/** Same as {@linkcode killAt} for a resume of `runDir`: kill it at `point`. */
export async function killResumeAt(
  runDir: string,
  point: { event: string; occurrence: number },
): Promise<{ killed: boolean; finished: Finished }> {
  const child = await spawnResume([runDir]);
  return await killAt(child, nodePath.dirname(runDir), point);
}

const _TIME_KEYS = new Set([
  "time/fps",
  "time/time_elapsed",
  "wall_time_seconds",
  "fps",
  "eval_time_seconds",
]);

function _withoutTime(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([k]) => !_TIME_KEYS.has(k)));
}

function _jsonLines(text: string): Record<string, unknown>[] {
  return text.trim().split("\n").map((line) => JSON.parse(line));
}

async function _sameBytes(a: string, b: string): Promise<boolean> {
  const [x, y] = [await Deno.readFile(a), await Deno.readFile(b)];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

function _sameFloats(x: Float32Array | undefined, y: Float32Array | undefined): boolean {
  if (x === undefined || y === undefined) return x === y;
  const [a, b] = [
    new Uint32Array(x.buffer, x.byteOffset, x.length),
    new Uint32Array(y.buffer, y.byteOffset, y.length),
  ];
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/** The checkpoint with the most steps of a directory. */
async function _lastCheckpoint(dir: string): Promise<string> {
  let best: [number, string] = [-1, ""];
  for await (const entry of Deno.readDir(dir)) {
    const m = /^checkpoint_(\d+)_steps\.ckpt$/.exec(entry.name);
    if (m !== null && Number(m[1]) > best[0]) best = [Number(m[1]), entry.name];
  }
  return nodePath.join(dir, best[1]);
}

/**
 * Assert that a run finished like the reference: summary valid with every extractor
 * successful at 256 steps, no unfinished or repeated record, and per extractor the
 * same final and best ONNX files (bytes), the same last checkpoint (parameters,
 * buffers and Adam state bitwise; trainer state except the wall clock), the same
 * eval_history.jsonl (bytes), train_log.jsonl and metrics.json (except wall-clock
 * keys).
 */
export async function assertSameAsReference(runDir: string, reference: string): Promise<void> {
  const summary = JSON.parse(await Deno.readTextFile(nodePath.join(runDir, "summary.json")));
  assert.deepEqual(validateTrainingSummary(summary), []);
  assert.deepEqual(
    summary.extractor_results.map((
      r: { config_name: string; status: string; training_steps: number },
    ) => [r.config_name, r.status, r.training_steps]),
    EXTRACTORS.map((name) => [name, "success", 256]),
  );
  const { events, torn } = await readManifest(nodePath.join(runDir, "manifest.jsonl"));
  assert.equal(torn, null);
  assert.equal(events.at(-1)?.event, "summary_written");
  for (const name of EXTRACTORS) {
    const a = nodePath.join(runDir, "extractors", name);
    const b = nodePath.join(reference, "extractors", name);
    for (const file of ["final_model.onnx", "best_model.onnx", "eval_history.jsonl"]) {
      assert.ok(
        await _sameBytes(nodePath.join(a, file), nodePath.join(b, file)),
        `${name}/${file} differs`,
      );
    }
    assert.deepEqual(
      _jsonLines(await Deno.readTextFile(nodePath.join(a, "train_log.jsonl"))).map(_withoutTime),
      _jsonLines(await Deno.readTextFile(nodePath.join(b, "train_log.jsonl"))).map(_withoutTime),
      `${name}/train_log.jsonl differs`,
    );
    assert.deepEqual(
      _withoutTime(JSON.parse(await Deno.readTextFile(nodePath.join(a, "metrics.json")))),
      _withoutTime(JSON.parse(await Deno.readTextFile(nodePath.join(b, "metrics.json")))),
      `${name}/metrics.json differs`,
    );
    const x = await loadTrainerCheckpoint(await _lastCheckpoint(nodePath.join(a, "checkpoints")));
    const y = await loadTrainerCheckpoint(await _lastCheckpoint(nodePath.join(b, "checkpoints")));
    assert.ok(
      _sameFloats(x.network.parameters, y.network.parameters),
      `${name}: parameters differ`,
    );
    assert.ok(_sameFloats(x.network.buffers, y.network.buffers), `${name}: buffers differ`);
    assert.ok(
      _sameFloats(x.network.optimizer?.adamM, y.network.optimizer?.adamM),
      `${name}: Adam m differs`,
    );
    assert.ok(
      _sameFloats(x.network.optimizer?.adamV, y.network.optimizer?.adamV),
      `${name}: Adam v differs`,
    );
    assert.equal(x.network.optimizer?.step, y.network.optimizer?.step);
    const { wallTimeSeconds: _w1, ...sx } = x.state;
    const { wallTimeSeconds: _w2, ...sy } = y.state;
    assert.deepEqual(sx, sy, `${name}: trainer state differs`);
  }
}

/** Every file under `dir` with its bytes, by relative path. */
export async function snapshotFiles(dir: string): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  const walk = async (sub: string) => {
    for await (const entry of Deno.readDir(nodePath.join(dir, sub))) {
      const rel = nodePath.join(sub, entry.name);
      if (entry.isDirectory) await walk(rel);
      else files.set(rel, await Deno.readFile(nodePath.join(dir, rel)));
    }
  };
  await walk("");
  return files;
}

/** Assert two snapshots hold the same files with the same bytes. */
export function assertSameFiles(
  before: Map<string, Uint8Array>,
  after: Map<string, Uint8Array>,
): void {
  assert.deepEqual([...after.keys()].sort(), [...before.keys()].sort());
  for (const [path, bytes] of before) {
    const now = after.get(path)!;
    assert.ok(
      now.length === bytes.length && now.every((v, i) => v === bytes[i]),
      `${path} changed`,
    );
  }
}

/** Copy a directory tree. */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const entry of Deno.readDir(from)) {
    const [a, b] = [nodePath.join(from, entry.name), nodePath.join(to, entry.name)];
    if (entry.isDirectory) await copyTree(a, b);
    else await Deno.copyFile(a, b);
  }
}
