/**
 * Draw a map, or one episode on it, to SVG (or PNG when --out ends in .png).
 *
 * Usage:
 *   deno task render -- --map <name|path> --out map.svg
 *   deno task render -- --map default --episode --seed 3 --steps 500 --out episode.png
 *
 * The episode uses a random policy (uniform actions); a trained policy plugs in
 * through `recordEpisode(env, actionProvider)` in lib/sim.
 *
 * Exit codes: 0 done, 1 the file could not be written, 2 bad arguments or a map that
 * cannot be loaded.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { Resvg } from "@resvg/resvg-js";
import { SeededRng } from "../lib/rng/mod.ts";
import { writeFileAtomic, writeTextFileAtomic } from "../lib/run/mod.ts";
import {
  type ActionProvider,
  loadMap,
  makeEnvSettings,
  MapError,
  recordEpisode,
  renderEpisodeSvg,
  renderMapSvg,
  RobotEnv,
} from "../lib/sim/mod.ts";

const USAGE =
  "Usage: deno task render -- --map <name|path> [--episode] [--seed N] [--steps K] [--difficulty D] --out file.svg|file.png";

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
  if (
    !values.out || !Number.isInteger(seed) || !Number.isInteger(difficulty) ||
    (steps !== undefined && !(steps > 0))
  ) {
    console.error(USAGE);
    return 2;
  }
  if (!/\.(svg|png)$/i.test(values.out)) {
    console.error(`--out must end in .svg or .png, got ${values.out}\n${USAGE}`);
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
    if (err instanceof MapError || err instanceof Deno.errors.NotFound) {
      console.error(`Cannot load map: ${(err as Error).message}`);
      return 2;
    }
    throw err;
  }
  for (const w of map.warnings) console.error(`warning: ${w}`);
  let svg: string;
  if (values.episode) {
    const env = new RobotEnv(map, makeEnvSettings({ difficulty }), { seed });
    const rec = await recordEpisode(env, randomPolicy(env, seed + 1), { maxSteps: steps });
    console.log(
      `${map.name}: ${rec.steps} steps, ${rec.outcome}, return ${
        rec.totalReward.toFixed(3)
      }, ${rec.pedestrianCount} pedestrians`,
    );
    svg = renderEpisodeSvg(rec);
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
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
