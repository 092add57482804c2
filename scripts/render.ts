/**
 * Draw a map, or one episode on it, to SVG (or PNG when --out ends in .png).
 *
 * Usage:
 *   deno task render -- --map <name|path> --out map.svg
 *   deno task render -- --map default --episode --seed 3 --steps 500 --out episode.png
 *   deno task render -- --policy final_model.onnx --map default --seed 3 --out episode.svg
 *   deno task render -- --policy goal_seeking --map open_field --rays --out episode.svg
 *
 * `--episode` alone drives the robot with uniform random actions and draws the
 * trajectories. `--policy` (an exported .onnx policy or a controller: zero,
 * random, constant_forward, goal_seeking) writes an animated SVG with one frame
 * per step (plays in a browser) and, where `ffmpeg` is on the PATH, an MP4 beside
 * it; `--animate` animates the random episode too.
 *
 * Exit codes: 0 done, 1 the file could not be written, 2 bad arguments, a map that
 * cannot be loaded, or a file that is not one of our policies.
 *
 * @module
 */
import * as nodePath from "node:path";
import { parseArgs } from "node:util";
import { ExportedPolicy, PolicyFileError } from "../lib/rl/exported_policy.ts";
import { Resvg } from "@resvg/resvg-js";
import { SeededRng } from "../lib/rng/mod.ts";
import { writeFileAtomic, writeTextFileAtomic } from "../lib/run/mod.ts";
import {
  type ActionProvider,
  CONTROLLER_NAMES,
  createController,
  type EpisodeRecording,
  isControllerName,
  loadMap,
  makeEnvSettings,
  MapError,
  recordEpisode,
  renderEpisodeAnimation,
  renderEpisodeFrame,
  renderEpisodeSvg,
  renderMapSvg,
  RobotEnv,
} from "../lib/sim/mod.ts";

const USAGE =
  "Usage: deno task render -- --map <name|path> [--episode | --policy <file.onnx|controller>] [--animate] [--rays] [--stochastic] [--seed N] [--steps K] [--difficulty D] --out file.svg|file.png";

/** Uniform random actions in the env's action space, from a seeded stream. */
function randomPolicy(env: RobotEnv, seed: number): ActionProvider {
  const rng = new SeededRng(seed);
  const lo = env.actionSpace.low, hi = env.actionSpace.high;
  return (_obs, action) => {
    action[0] = rng.uniformRange(lo[0], hi[0]);
    action[1] = rng.uniformRange(lo[1], hi[1]);
  };
}

/**
 * Run the render command.
 *
 * @param args Command-line arguments.
 * @returns Exit code.
 */
export async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args: args[0] === "--" ? args.slice(1) : args,
      options: {
        map: { type: "string", default: "default" },
        episode: { type: "boolean", default: false },
        policy: { type: "string" },
        animate: { type: "boolean", default: false },
        rays: { type: "boolean", default: false },
        stochastic: { type: "boolean", default: false },
        seed: { type: "string", default: "0" },
        steps: { type: "string" },
        difficulty: { type: "string", default: "0" },
        out: { type: "string" },
        help: { type: "boolean", default: false },
      },
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const seed = Number(values.seed), difficulty = Number(values.difficulty);
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  const problem = !values.out
    ? "--out is required"
    : !Number.isInteger(seed) || seed < 0
    ? `--seed must be an integer >= 0, got "${values.seed}"`
    : !Number.isInteger(difficulty)
    ? `--difficulty must be 0, 1, 2 or 3, got "${values.difficulty}"`
    : steps !== undefined && !(Number.isInteger(steps) && steps > 0)
    ? `--steps must be an integer >= 1, got "${values.steps}"`
    : null;
  if (problem !== null || !values.out) {
    console.error(`${problem}\n${USAGE}`);
    return 2;
  }
  if (!/\.(svg|png)$/i.test(values.out)) {
    console.error(`--out must end in .svg or .png, got ${values.out}\n${USAGE}`);
    return 2;
  }
  const outDir = await _directoryProblem(nodePath.dirname(nodePath.resolve(values.out)));
  if (outDir !== null) {
    console.error(`Cannot write ${values.out}: ${outDir}`);
    return 2;
  }
  if (!(difficulty >= 0 && difficulty <= 3)) {
    console.error(`--difficulty must be 0, 1, 2 or 3, got ${difficulty}\n${USAGE}`);
    return 2;
  }
  let map;
  try {
    map = await loadMap(values.map!);
  } catch (err) {
    // InputFileError: a device, FIFO, directory or oversized file refused before reading.
    if (
      err instanceof MapError || err instanceof Deno.errors.NotFound ||
      (err instanceof Error && err.name === "InputFileError")
    ) {
      console.error(`Cannot load map: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
  for (const w of map.warnings) console.error(`warning: ${w}`);
  let svg: string;
  let recording: EpisodeRecording | null = null;
  const animate = values.animate || values.policy !== undefined;
  if (values.episode || values.policy !== undefined) {
    const env = new RobotEnv(map, makeEnvSettings({ difficulty }), { seed });
    let act: ActionProvider;
    let release = () => Promise.resolve();
    try {
      ({ act, release } = await _actionProvider(values.policy, env, seed, values.stochastic));
    } catch (err) {
      if (err instanceof PolicyFileError || err instanceof RangeError) {
        console.error(`${(err as Error).message}\n${USAGE}`);
        return 2;
      }
      throw err;
    }
    try {
      recording = await recordEpisode(env, act, { seed, maxSteps: steps, rays: values.rays });
    } finally {
      await release();
    }
    const rec = recording;
    console.log(
      `${map.name}: ${rec.steps} steps, ${rec.outcome}, return ${
        rec.totalReward.toFixed(3)
      }, ${rec.pedestrianCount} pedestrians`,
    );
    svg = animate && !values.out.toLowerCase().endsWith(".png")
      ? renderEpisodeAnimation(rec)
      : renderEpisodeSvg(rec);
  } else {
    svg = renderMapSvg(map);
  }
  try {
    if (values.out.toLowerCase().endsWith(".png")) {
      await writeFileAtomic(values.out, new Resvg(svg).render().asPng());
    } else {
      await writeTextFileAtomic(values.out, svg);
    }
  } catch (err) {
    console.error(`Cannot write ${values.out}: ${(err as Error).message}`);
    return 1;
  }
  console.log(`wrote ${values.out}`);
  if (recording !== null && animate) {
    const mp4 = values.out.replace(/\.(svg|png)$/i, ".mp4");
    const written = await _writeMp4(recording, mp4);
    console.log(
      written ? `wrote ${mp4}` : "ffmpeg not found: no MP4 written (the SVG plays in a browser)",
    );
  }
  return 0;
}

/**
 * Why `dir` cannot hold the output file (missing, not a directory, or refused: a system
 * path such as /proc); null when it can.
 */
async function _directoryProblem(dir: string): Promise<string | null> {
  try {
    const info = await Deno.stat(dir);
    return info.isDirectory ? null : `${dir} is not a directory`;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      return `the directory ${dir} does not exist`;
    }
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return `${dir} is a system path that render cannot write to`;
    }
    throw error;
  }
}

/** Actions from a controller, an exported policy, or (none) uniform random actions. */
async function _actionProvider(
  policy: string | undefined,
  env: RobotEnv,
  seed: number,
  stochastic: boolean,
): Promise<{ act: ActionProvider; release: () => Promise<void> }> {
  if (policy === undefined) return { act: randomPolicy(env, seed + 1), release: async () => {} };
  if (isControllerName(policy)) {
    const controller = createController(policy);
    controller.reset(env, seed);
    return { act: (_obs, action) => controller.act(env, action), release: async () => {} };
  }
  if (!/\.onnx$/i.test(policy)) {
    throw new RangeError(
      `--policy must be an .onnx policy file or a controller (${
        CONTROLLER_NAMES.join(", ")
      }), got "${policy}"`,
    );
  }
  const model = await ExportedPolicy.load(policy);
  model.checkEnv(env);
  const rng = new SeededRng(seed).fork(5);
  const lo = env.actionSpace.low, hi = env.actionSpace.high;
  return {
    act: async (obs, action) => {
      const { actionMean, logStd } = await model.forward({
        rays: obs.rays,
        driveState: obs.drive_state,
        n: 1,
      });
      for (let d = 0; d < 2; d++) {
        const a = stochastic ? actionMean[d] + Math.exp(logStd[d]) * rng.normal() : actionMean[d];
        action[d] = Math.min(hi[d], Math.max(lo[d], a));
      }
    },
    release: () => model.release(),
  };
}

/** Encode the episode's frames as an MP4 with ffmpeg; false when ffmpeg is not installed. */
async function _writeMp4(rec: EpisodeRecording, path: string): Promise<boolean> {
  let child: Deno.ChildProcess;
  const tmp = `${path}.partial.mp4`;
  try {
    child = new Deno.Command("ffmpeg", {
      args: [
        "-y",
        "-loglevel",
        "error",
        "-f",
        "image2pipe",
        "-framerate",
        String(1 / rec.timeStep),
        "-i",
        "-",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        "-vf",
        "pad=ceil(iw/2)*2:ceil(ih/2)*2",
        tmp,
      ],
      stdin: "piped",
      stdout: "null",
      stderr: "inherit",
    }).spawn();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound || err instanceof Deno.errors.NotCapable) return false;
    throw err;
  }
  const writer = child.stdin.getWriter();
  for (let t = 0; t <= rec.steps; t++) {
    await writer.write(new Resvg(renderEpisodeFrame(rec, t)).render().asPng());
  }
  await writer.close();
  const status = await child.status;
  if (!status.success) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`ffmpeg failed with exit code ${status.code}`);
  }
  await Deno.rename(tmp, path);
  return true;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
