import assert from "node:assert/strict";
import { SaxesParser } from "saxes";
import {
  createController,
  loadMap,
  makeEnvSettings,
  recordEpisode,
  renderEpisodeAnimation,
  renderEpisodeFrame,
  RobotEnv,
} from "../../../lib/sim/mod.ts";

interface Node {
  name: string;
  attributes: Record<string, string>;
  children: Node[];
  text: string;
}

/** Parse XML strictly (saxes throws on malformed input) into a small tree. */
function parseXml(text: string): Node {
  const parser = new SaxesParser();
  const root: Node = { name: "#root", attributes: {}, children: [], text: "" };
  const stack = [root];
  parser.on("opentag", (tag) => {
    const node: Node = {
      name: tag.name,
      attributes: tag.attributes as Record<string, string>,
      children: [],
      text: "",
    };
    stack.at(-1)!.children.push(node);
    stack.push(node);
  });
  parser.on("text", (t) => (stack.at(-1)!.text += t));
  parser.on("closetag", () => stack.pop());
  parser.write(text).close();
  return root.children[0];
}

function all(node: Node, pred: (n: Node) => boolean, out: Node[] = []): Node[] {
  if (pred(node)) out.push(node);
  for (const c of node.children) all(c, pred, out);
  return out;
}

async function episode(rays: boolean) {
  const env = new RobotEnv(await loadMap("nav_check"), makeEnvSettings({ difficulty: 2 }));
  const controller = createController("goal_seeking");
  controller.reset(env, 3);
  return await recordEpisode(env, (_o, a) => controller.act(env, a), {
    seed: 3,
    maxSteps: 40,
    rays,
  });
}

Deno.test("the animated SVG parses as XML and holds one frame per step", async () => {
  const rec = await episode(true);
  assert.equal(rec.steps, 40);
  const svg = parseXml(renderEpisodeAnimation(rec));
  assert.equal(svg.name, "svg");
  const robot = all(svg, (n) => n.attributes.id === "robot")[0];
  const animations = robot.children.filter((c) => c.name === "animate");
  assert.deepEqual(animations.map((a) => a.attributes.attributeName), ["cx", "cy"]);
  for (const a of all(svg, (n) => n.name === "animate")) {
    // The reset state and one value per step, shown for one time step each.
    assert.equal(a.attributes.values.split(";").length, 41, a.attributes.attributeName);
    assert.equal(a.attributes.dur, "4.1s");
    assert.equal(a.attributes.calcMode, "discrete");
  }
  // The robot's x in frame k is its recorded position (40 px per metre: 1200 px / 20 m capped at 40).
  const xs = animations[0].attributes.values.split(";").map(Number);
  const scale = 40;
  for (const k of [0, 20, 40]) assert.ok(Math.abs(xs[k] - rec.robot[2 * k] * scale) < 0.01);
  // Pedestrians: one animated circle each; LiDAR rays present; legend and scale bar.
  const peds = all(svg, (n) =>
    n.name === "circle" && n.attributes.fill === "#d04040" &&
    n.children.length === 2);
  assert.equal(peds.length, rec.pedestrianCount);
  assert.ok(all(svg, (n) => n.name === "path" && n.attributes.stroke === "#ff9900").length === 1);
  const texts = all(svg, (n) => n.name === "text").map((t) => t.text);
  // Scale bar: the largest of 50, 20, 10, 5, 2, 1 m within a quarter of the 800 px width.
  for (const label of ["robot", "pedestrian", "goal", "obstacle", "LiDAR rays", "5 m"]) {
    assert.ok(texts.includes(label), label);
  }
});

Deno.test("a single frame is static SVG with the frame's robot position", async () => {
  const rec = await episode(false);
  const svg = parseXml(renderEpisodeFrame(rec, 25));
  assert.equal(all(svg, (n) => n.name === "animate").length, 0);
  const robot = all(svg, (n) => n.attributes.id === "robot")[0];
  assert.ok(
    Math.abs(Number(robot.attributes.cy) - (28 + (rec.map.height - rec.robot[51]) * 40)) < 0.01,
  );
  assert.throws(() => renderEpisodeFrame(rec, 41), RangeError);
});
