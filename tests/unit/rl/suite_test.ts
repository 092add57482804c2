import assert from "node:assert/strict";
import * as nodePath from "node:path";
import { parseScenario } from "../../../lib/config/mod.ts";
import { controllerActorFactory, evaluateSuite, loadSuiteMaps } from "../../../lib/rl/suite.ts";
import { makeEnvSettings } from "../../../lib/sim/mod.ts";
import { sharedMapsDir, SKIP_MESSAGE } from "../sim/_shared.ts";

const REPO = nodePath.resolve(new URL("../../..", import.meta.url).pathname);
const shared = sharedMapsDir();

/** The suite scenario as if the repository sat beside the shared folder that was found. */
async function suiteScenario() {
  const text = await Deno.readTextFile(
    nodePath.join(REPO, "configs/scenarios/social_nav_suite.yaml"),
  );
  const sharedRoot = nodePath.dirname(nodePath.dirname(nodePath.dirname(shared!)));
  const file = nodePath.join(sharedRoot, "repo", "configs", "scenarios", "social_nav_suite.yaml");
  return await parseScenario(text, { file });
}

Deno.test({
  name: "the social-navigation suite lists the 20 Francis et al. maps and they all load",
  ignore: shared === null,
  fn: async () => {
    const scenario = await suiteScenario();
    const paths = scenario.settings.evaluation.map_paths;
    assert.equal(paths.length, 20);
    for (const p of paths) assert.ok(p.startsWith(`${shared}/francis2023/francis2023_`), p);
    const suite = await loadSuiteMaps(paths);
    assert.deepEqual(suite.failed, []);
    assert.equal(suite.maps.length, 20);
  },
});

Deno.test({
  name: "goal_seeking beats constant_forward over the whole suite (success rate)",
  ignore: shared === null,
  fn: async () => {
    const scenario = await suiteScenario();
    const suite = await loadSuiteMaps(scenario.settings.evaluation.map_paths);
    const settings = makeEnvSettings({ episodeSeconds: 60 });
    const seeds = [1_000_000_000, 1_000_000_001];
    const goal = await evaluateSuite(
      controllerActorFactory("goal_seeking"),
      suite.maps,
      settings,
      seeds,
    );
    const forward = await evaluateSuite(
      controllerActorFactory("constant_forward"),
      suite.maps,
      settings,
      seeds,
    );
    assert.equal(goal.overall.episodes, 40);
    assert.ok(goal.overall.success_rate > forward.overall.success_rate);
    assert.equal(goal.maps.francis2023_blind_corner.success_rate, 1);
    assert.equal(forward.maps.francis2023_blind_corner.success_rate, 0);
  },
});

Deno.test("a suite reports maps that do not load and evaluates the rest", async () => {
  const suite = await loadSuiteMaps(["open_field", "/nonexistent/x.svg", "no_such_builtin"]);
  assert.deepEqual(suite.maps.map((m) => m.name), ["open_field"]);
  assert.deepEqual(suite.failed.map((f) => f.source), ["/nonexistent/x.svg", "no_such_builtin"]);
});
if (shared === null) console.warn(SKIP_MESSAGE);
