/** Progress bars: drawn on a terminal with steps, fps, ETA and reward; silent otherwise. */
import assert from "node:assert/strict";
import { createProgressDisplay, formatEta, type ProgressStream } from "../../../lib/log/mod.ts";
import type { TrainingProgress } from "../../../lib/rl/mod.ts";

function fakeStream(isTTY: boolean): ProgressStream & { text: string } {
  return {
    isTTY,
    columns: 160,
    text: "",
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

const progress: TrainingProgress = {
  steps: 2048,
  totalSteps: 4096,
  fps: 812.4,
  etaSeconds: 125,
  lastMeanReward: -0.8125,
  lastEvalReward: null,
  done: false,
};

Deno.test("createProgressDisplay() draws one bar per extractor with steps, fps, ETA and reward on a terminal", () => {
  const stream = fakeStream(true);
  const display = createProgressDisplay({ stream });
  assert.equal(display.active, true);
  display.extractor("dynamics_original", 4096)(progress);
  display.extractor("mlp_small", 4096)({ ...progress, steps: 512, lastMeanReward: null });
  display.stop();
  assert.match(
    stream.text,
    /dynamics_original \|.*\| +50% 2048\/4096 steps \| 812 steps\/s \| ETA 2m05s \| reward -0\.813/,
  );
  assert.match(stream.text, /mlp_small {9}\|.*\| +12% 512\/4096 steps .*\| reward n\/a/);
});

Deno.test("createProgressDisplay() is silent when the stream is not a terminal or quiet is set", () => {
  for (const [stream, quiet] of [[fakeStream(false), false], [fakeStream(true), true]] as const) {
    const display = createProgressDisplay({ stream, quiet });
    assert.equal(display.active, false);
    display.extractor("mlp_small", 100)(progress);
    display.stop();
    assert.equal(stream.text, "");
  }
});

Deno.test("createProgressDisplay() prints log lines above the bars and refuses them when silent", () => {
  const stream = fakeStream(true);
  const display = createProgressDisplay({ stream });
  display.extractor("mlp_small", 4096)(progress);
  assert.equal(display.log("INFO  Extractor mlp_small finished"), true);
  display.stop();
  assert.match(stream.text, /INFO {2}Extractor mlp_small finished\n/);
  assert.equal(display.log("after stop"), false);
  assert.equal(createProgressDisplay({ stream: fakeStream(false) }).log("x"), false);
});

Deno.test("formatEta() writes seconds, minutes and hours", () => {
  assert.equal(formatEta(9.4), "9s");
  assert.equal(formatEta(185), "3m05s");
  assert.equal(formatEta(3720), "1h02m");
  assert.equal(formatEta(null), "--");
  assert.equal(formatEta(Infinity), "--");
});
