// Progress bars as a terminal shows them: log lines above, one current bar per
// extractor below, no blank or stale duplicate bar lines, reward labelled as the
// training-episode mean.
import assert from "node:assert/strict";
import { createProgressDisplay, type TrainingProgress } from "../../../lib/log/mod.ts";
import { terminalScreen } from "../../fixtures/terminal.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function progress(steps: number, totalSteps: number): TrainingProgress {
  return {
    steps,
    totalSteps,
    fps: 100,
    etaSeconds: 1,
    lastMeanReward: -0.5,
    lastEvalReward: null,
    done: steps >= totalSteps,
  };
}

Deno.test("progress bars leave one final line per extractor and the log lines above them", async () => {
  let text = "";
  const stream = {
    isTTY: true,
    columns: 120,
    write(chunk: string) {
      text += chunk;
      return true;
    },
  };
  const display = createProgressDisplay({ stream });
  display.log("INFO  Scenario: 2 extractors");
  // Time passes between the calls, so the bars' own timer draws them as in a run.
  const alpha = display.extractor("alpha", 100);
  alpha(progress(50, 100));
  await sleep(250);
  alpha(progress(100, 100));
  await sleep(250);
  display.log("INFO  Extractor alpha finished");
  await sleep(250);
  const beta = display.extractor("beta", 100);
  beta(progress(50, 100));
  await sleep(250);
  beta(progress(100, 100));
  await sleep(250);
  display.log("INFO  Extractor beta finished");
  await sleep(250);
  display.log("INFO  Summary written");
  display.stop();
  const bar = (name: string) =>
    `${name} |${"█".repeat(24)}| 100% 100/100 steps | 100 steps/s | ETA 1s | ` +
    "reward -0.500 (training)";
  assert.deepEqual(await terminalScreen(text), [
    "INFO  Scenario: 2 extractors",
    "INFO  Extractor alpha finished",
    "INFO  Extractor beta finished",
    "INFO  Summary written",
    bar("alpha"),
    bar("beta "),
  ]);
});
