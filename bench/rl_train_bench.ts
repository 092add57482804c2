/**
 * PPO training throughput: env steps per second including updates, one env,
 * Stable-Baselines3's default hyperparameters (n_steps 2048, batch 64, 10 epochs),
 * for dynamics_original and mlp_small on robot_sf's uni_campus_big.json
 * (difficulty 0, the reference's default environment) and our default map, plus the
 * training process's peak resident memory (`/usr/bin/time` maximum RSS; without it,
 * the largest `Deno.memoryUsage().rss` sampled after each env step).
 *
 * Each measurement runs in a fresh subprocess (so peak memory is that of one
 * training process, started with `--v8-flags=--max-semi-space-size=1`); the table
 * shows medians over `--repeats` runs.
 *
 * deno task bench:train [--json] [--steps 8192] [--repeats 3] [--presets a,b] [--maps a,b]
 *   [--inline-masks]   (fill dropout masks on the main thread instead of the prefetch worker)
 *
 * Reference (ANCHORS.md, SB3 2.4.1, PyTorch one thread, 8,192 steps): 108 env steps/s
 * (dynamics_original) and 136 (mlp_small) on uni_campus_big; about 470 MB peak RSS.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { PPO_DEFAULTS } from "../lib/config/mod.ts";
import { SeededRng } from "../lib/rng/mod.ts";
import { PpoPolicy, PpoTrainer, type TrainingVecEnv } from "../lib/rl/mod.ts";
import { loadMap, makeEnvSettings, VecEnv } from "../lib/sim/mod.ts";

const { values } = parseArgs({
  options: {
    child: { type: "boolean", default: false },
    json: { type: "boolean", default: false },
    steps: { type: "string", default: "8192" },
    repeats: { type: "string", default: "3" },
    presets: { type: "string", default: "dynamics_original,mlp_small" },
    maps: { type: "string", default: "uni_campus_big,default" },
    preset: { type: "string" },
    map: { type: "string" },
    "sample-rss": { type: "boolean", default: false },
    "inline-masks": { type: "boolean", default: false },
  },
});

/** robot_sf's maps beside the repository (MULTI_EXTRACTOR_SHARED_DIR, ../shared, /work/shared). */
function sharedMapsDir(): string | null {
  const repo = new URL("../", import.meta.url).pathname;
  for (
    const base of [Deno.env.get("MULTI_EXTRACTOR_SHARED_DIR"), `${repo}../shared`, "/work/shared"]
  ) {
    try {
      if (base && Deno.statSync(`${base}/maps/robot_sf`).isDirectory) {
        return `${base}/maps/robot_sf`;
      }
    } catch {
      // try the next
    }
  }
  return null;
}

interface ChildResult {
  preset: string;
  map: string;
  steps: number;
  seconds: number;
  fps: number;
  peak_rss_mb: number;
  rollout_seconds: number;
  env_seconds: number;
  update_seconds: number;
  setup_seconds: number;
  pedestrians: number;
}

/** Largest resident set seen by sampling (a fallback when /usr/bin/time is missing). */
let sampledPeak = 0;
function sampleRss(): void {
  sampledPeak = Math.max(sampledPeak, Deno.memoryUsage().rss);
}

async function child(preset: string, mapName: string, steps: number): Promise<ChildResult> {
  const t0 = performance.now();
  let mapPath = mapName;
  if (mapName === "uni_campus_big") {
    const dir = sharedMapsDir();
    if (dir === null) throw new Error("shared maps not found (set MULTI_EXTRACTOR_SHARED_DIR)");
    mapPath = `${dir}/uni_campus_big.json`;
  }
  const settings = makeEnvSettings({ map: mapPath, difficulty: 0 });
  const vec = new VecEnv(await loadMap(mapPath), settings, { numEnvs: 1, seed: 42 });
  let envSeconds = 0;
  const env: TrainingVecEnv = {
    numEnvs: 1,
    buffers: vec.buffers,
    actionSpace: vec.actionSpace,
    reset: () => vec.reset(),
    step: () => {
      const s = performance.now();
      const n = vec.step();
      envSeconds += (performance.now() - s) / 1000;
      return n;
    },
  };
  const root = new SeededRng(42).fork(1024);
  const policy = await PpoPolicy.create({ preset: preset as "mlp_small", parameters: {} }, {
    initRng: root.fork(1),
    dropoutRng: root.fork(2),
    prefetchMasks: !values["inline-masks"],
  });
  let phaseStart = 0, rollout = 0, update = 0;
  const trainer = new PpoTrainer({
    policy,
    env,
    ppo: PPO_DEFAULTS,
    totalTimesteps: steps,
    actionRng: root.fork(3),
    shuffleRng: root.fork(4),
    callbacks: [{
      name: "timing",
      onTrainingStart: () => void (phaseStart = performance.now()),
      onStep: values["sample-rss"] ? sampleRss : undefined,
      onRolloutEnd: () => {
        sampleRss();
        const now = performance.now();
        rollout += (now - phaseStart) / 1000;
        phaseStart = now;
      },
      onUpdateEnd: () => {
        sampleRss();
        const now = performance.now();
        update += (now - phaseStart) / 1000;
        phaseStart = now;
      },
    }],
  });
  const setup = (performance.now() - t0) / 1000;
  const start = performance.now();
  const result = await trainer.learn();
  const seconds = (performance.now() - start) / 1000;
  await policy.release();
  return {
    preset,
    map: mapName,
    steps: result.numTimesteps,
    seconds,
    fps: result.numTimesteps / seconds,
    peak_rss_mb: sampledPeak / 2 ** 20,
    rollout_seconds: rollout,
    env_seconds: envSeconds,
    update_seconds: update,
    setup_seconds: setup,
    pedestrians: vec.envs[0].pedestrians.count,
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

if (values.child) {
  console.log(JSON.stringify(await child(values.preset!, values.map!, Number(values.steps))));
} else {
  const here = new URL(import.meta.url).pathname;
  const rows = [];
  for (const map of values.maps.split(",")) {
    if (map === "uni_campus_big" && sharedMapsDir() === null) {
      console.error(
        "shared maps not found (set MULTI_EXTRACTOR_SHARED_DIR): skipping uni_campus_big",
      );
      continue;
    }
    for (const preset of values.presets.split(",")) {
      const runs: ChildResult[] = [];
      for (let r = 0; r < Number(values.repeats); r++) {
        // Peak resident memory of the whole process from /usr/bin/time -v when present.
        const time = (() => {
          try {
            return Deno.statSync("/usr/bin/time").isFile;
          } catch {
            return false;
          }
        })();
        const command = [
          Deno.execPath(),
          "run",
          // A 1 MB young-generation semi-space keeps V8's heap about 60 MB smaller at
          // no measurable speed cost (docs/benchmarks.md); the train task sets it too.
          "--v8-flags=--max-semi-space-size=1",
          "--allow-read",
          "--allow-env",
          "--allow-ffi",
          "--allow-sys",
          here,
          "--child",
          "--preset",
          preset,
          "--map",
          map,
          "--steps",
          values.steps,
          ...(values["inline-masks"] ? ["--inline-masks"] : []),
        ];
        const out = await new Deno.Command(time ? "/usr/bin/time" : command[0], {
          args: time ? ["-f", "MAXRSS_KB %M", ...command] : [...command.slice(1), "--sample-rss"],
          stdout: "piped",
          stderr: "piped",
        }).output();
        const stderr = new TextDecoder().decode(out.stderr);
        if (!out.success) {
          console.error(stderr);
          throw new Error(`Benchmark child failed: ${preset} on ${map}`);
        }
        const result: ChildResult = JSON.parse(
          new TextDecoder().decode(out.stdout).trim().split("\n").at(-1)!,
        );
        const maxRss = /MAXRSS_KB (\d+)/.exec(stderr);
        if (maxRss) result.peak_rss_mb = Number(maxRss[1]) / 1024;
        runs.push(result);
      }
      const m = (k: keyof ChildResult) => median(runs.map((r) => r[k] as number));
      rows.push({
        preset,
        map: map === "uni_campus_big" ? "uni_campus_big.json" : map,
        fps: Math.round(m("fps")),
        peak_rss_mb: Math.round(m("peak_rss_mb")),
        runs_fps: runs.map((r) => Math.round(r.fps)),
        steps: runs[0].steps,
        rollout_seconds: Number(m("rollout_seconds").toFixed(2)),
        env_seconds: Number(m("env_seconds").toFixed(2)),
        update_seconds: Number(m("update_seconds").toFixed(2)),
        pedestrians: runs[0].pedestrians,
      });
    }
  }
  if (values.json) {
    console.log(JSON.stringify(rows, null, 2));
  } else {
    const anchor: Record<string, number> = { dynamics_original: 108, mlp_small: 136 };
    console.log(
      `PPO training, 1 env, SB3 defaults, ${values.steps} steps, median of ${values.repeats} processes\n`,
    );
    console.log(
      "preset             map                  env steps/s (runs)        vs SB3   peak RSS MB  rollout s  (env s)  update s",
    );
    for (const r of rows) {
      const vs = r.map === "uni_campus_big.json"
        ? `${(r.fps / anchor[r.preset]).toFixed(1)}x`
        : "—";
      console.log(
        `${r.preset.padEnd(18)} ${r.map.padEnd(20)} ${
          `${r.fps} (${r.runs_fps.join(", ")})`.padEnd(25)
        } ${vs.padStart(6)}   ${String(r.peak_rss_mb).padStart(11)}  ${
          String(r.rollout_seconds).padStart(9)
        }  ${String(r.env_seconds).padStart(7)}  ${String(r.update_seconds).padStart(8)}`,
      );
    }
  }
}
