/**
 * robot_sf's SVG label forms and fallbacks (`nav/svg_map_parser.py`), each on a small synthetic
 * map with the counts and coordinates the reference parser gives, worked out by hand.
 */
import assert from "node:assert/strict";
import { loadMap, MapError, parseMap } from "../../../lib/sim/mod.ts";
import { sharedMapsDir, SKIP_MESSAGE } from "./_shared.ts";

const HEAD =
  `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="20" height="10">`;
const svg = (body: string): string => `${HEAD}${body}</svg>`;
const rect = (id: string, x: number, label?: string): string =>
  `<rect id="${id}" x="${x}" y="1" width="2" height="2"${
    label === undefined ? "" : ` inkscape:label="${label}"`
  }/>`;

function fails(text: string, element: string | undefined, rule: RegExp): void {
  assert.throws(
    () => parseMap(text, "svg", { source: "t.svg" }),
    (e: unknown) =>
      e instanceof MapError && e.element === element && rule.test(e.message) &&
      e.message.startsWith("t.svg: "),
  );
}

Deno.test("SVG zones: indexed labels are ordered by index, unindexed ones fill gaps then follow", () => {
  const m = parseMap(
    svg(
      rect("s2", 1, "robot_spawn_zone_2") + rect("s0", 4, "robot_spawn_zone_0") +
        rect("plain_a", 7, "robot_spawn_zone") + rect("plain_b", 10, "robot_spawn_zone") +
        // zone kind taken from the id when the label is absent
        `<rect id="robot_goal_zone_0" x="15" y="1" width="2" height="2"/>` +
        `<path id="r" d="M 2 2 L 16 2" inkscape:label="robot_route_1_0"/>`,
    ),
    "svg",
  );
  // index 0 -> s0, 1 (missing) -> first unindexed, 2 -> s2, then the remaining unindexed one.
  assert.deepEqual(m.robotSpawnZones.map((z) => z.id), ["s0", "plain_a", "s2", "plain_b"]);
  assert.deepEqual(m.robotGoalZones.map((z) => z.id), ["robot_goal_zone_0"]);
  assert.equal(m.robotRoutes[0].spawnZone.id, "plain_a");
});

Deno.test("SVG zones: a gap in indices that nothing fills is refused, naming the zone", () => {
  fails(
    svg(
      rect("s1", 1, "robot_spawn_zone_1") + rect("g", 15, "robot_goal_zone") +
        `<path id="r" d="M 2 2 L 16 2" inkscape:label="robot_route_0_0"/>`,
    ),
    "robot_spawn_zone_0",
    /indexed robot_spawn_zone labels must count from 0/,
  );
});

Deno.test("SVG routes: without robot routes, straight routes join every spawn and goal zone centre", () => {
  const m = parseMap(
    svg(
      rect("a", 1, "robot_spawn_zone") + rect("b", 5, "robot_spawn_zone") +
        rect("g", 15, "robot_goal_zone"),
    ),
    "svg",
  );
  // 2 spawn zones x 1 goal zone = 2 routes. Centre of rect x=1,y=1,2x2 is (2, 2) in user space,
  // (2, 8) in the 10 m high world; goal centre (16, 8).
  assert.equal(m.robotRoutes.length, 2);
  assert.deepEqual(m.robotRoutes.map((r) => [r.spawnId, r.goalId]), [[0, 0], [1, 0]]);
  assert.deepEqual(m.robotRoutes[0].waypoints, [[2, 8], [16, 8]]);
  assert.deepEqual(m.robotRoutes[1].waypoints, [[6, 8], [16, 8]]);
  assert.match(m.warnings.join("\n"), /made 2 straight route/);
});

Deno.test("SVG routes: a bare ped_route label means zones 0 and 0", () => {
  const m = parseMap(
    svg(
      rect("s", 1, "robot_spawn_zone") + rect("g", 15, "robot_goal_zone") +
        rect("ps", 4, "ped_spawn_zone") + rect("pg", 10, "ped_goal_zone") +
        `<path id="p" d="M 5 2 L 11 2" inkscape:label="ped_route"/>`,
    ),
    "svg",
  );
  assert.equal(m.pedRoutes.length, 1);
  assert.equal(m.pedRoutes[0].spawnZone.id, "ps");
  assert.equal(m.pedRoutes[0].goalZone.id, "pg");
  // no robot route: one straight route
  assert.equal(m.robotRoutes.length, 1);
});

Deno.test("SVG routes: route-only maps get a 1 m zone at each route end", () => {
  const m = parseMap(
    svg(
      `<path id="r" d="M 2 2 L 16 2" inkscape:label="robot_route_0_0"/>` +
        `<path id="p" d="M 3 5 L 12 5" inkscape:label="ped_route_0_1"/>`,
    ),
    "svg",
  );
  assert.deepEqual(m.robotSpawnZones, []);
  // start (2, 2) user = (2, 8) world; square of side 1: a = (2, 8), b = (3, 8), c = (3, 9).
  assert.deepEqual(m.robotRoutes[0].spawnZone.a, [2, 8]);
  assert.deepEqual(m.robotRoutes[0].spawnZone.c, [3, 9]);
  assert.deepEqual(m.robotRoutes[0].goalZone.a, [16, 8]);
  assert.deepEqual(m.pedRoutes[0].goalZone.b, [13, 5]);
  assert.equal(m.pedRoutes[0].goalId, 1);
});

Deno.test("SVG paths: cubic curves and arcs are flattened as robot_sf samples them", () => {
  const m = parseMap(
    svg(
      rect("s", 1, "robot_spawn_zone") + rect("g", 15, "robot_goal_zone") +
        `<path id="c" d="M 0 0 C 0 3 3 3 3 0" inkscape:label="robot_route_0_0"/>` +
        `<path id="a" d="M 4 5 A 1 1 0 0 1 6 5" inkscape:label="obstacle"/>`,
    ),
    "svg",
  );
  // Control polygon 3 + 3 + 3 = 9 m, 9 / 0.75 = 12 segments: 13 points. B(0.5) = (1.5, 2.25)
  // in user space -> (1.5, 7.75) in the world.
  const wps = m.robotRoutes[0].waypoints;
  assert.equal(wps.length, 13);
  assert.deepEqual(wps[6].map((v) => +v.toFixed(12)), [1.5, 7.75]);
  // Half circle of radius 1 around (5, 5): length pi, ceil(pi / 0.75) = 5 segments, 6 points,
  // every one 1 m from the centre (5, 5) in the world.
  const arc = m.obstacles[0].vertices;
  assert.equal(arc.length, 6);
  for (const [x, y] of arc) assert.ok(Math.abs(Math.hypot(x - 5, y - 5) - 1) < 1e-12);
  assert.deepEqual(arc[5], [6, 5]);
});

Deno.test("SVG routes: refusals name the element and the rule", () => {
  const base = rect("s", 1, "robot_spawn_zone") + rect("g", 15, "robot_goal_zone");
  fails(
    svg(base + `<path id="r" d="M 2 2 L 16 2" inkscape:label="robot_route_3"/>`),
    "r (robot_route_3)",
    /has one number; a route label names both zones/,
  );
  fails(
    svg(base + `<path id="r" d="M 2 2" inkscape:label="robot_route_0_0"/>`),
    "r (robot_route_0_0)",
    /has 1 point\(s\); a route needs at least 2/,
  );
  fails(
    svg(rect("o", 1, "obstacle")),
    undefined,
    /no robot route and no robot spawn zone or robot goal zone/,
  );
});

Deno.test("SVG labels: ignored elements are listed in one warning per kind", () => {
  const m = parseMap(
    svg(
      rect("s", 1, "robot_spawn_zone") + rect("g", 15, "robot_goal_zone") +
        rect("bg", 0, "background") +
        `<path id="w" d="M 1 1 L 2 2" inkscape:label="semantic_boundary_vehicle_blocking"/>` +
        `<path id="x" d="M 1 1 L 2 2" inkscape:label="route"/>` +
        `<circle id="c1" cx="3" cy="3" r="0.2" inkscape:label="single_ped_h1_start"/>`,
    ),
    "svg",
  );
  const w = m.warnings.join("\n");
  assert.match(w, /Ignored 1 rects without a map label: rect 'bg' \('background'\)/);
  assert.match(w, /Ignored 1 semantic boundaries \(not simulated\): path 'w'/);
  assert.match(w, /Ignored 1 paths with labels that are not map elements: path 'x' \('route'\)/);
  assert.match(w, /Ignored 1 single-pedestrian markers \(not simulated\): circle 'c1'/);
});

const dir = sharedMapsDir();
if (dir === null) console.warn(SKIP_MESSAGE);

Deno.test({
  name: "loadMap() loads every francis2023 scenario map of robot_sf",
  ignore: dir === null,
  async fn() {
    const files = [...Deno.readDirSync(`${dir}/francis2023`)].map((e) => e.name)
      .filter((n) => n.endsWith(".svg"));
    assert.ok(files.length >= 20, `${files.length} maps`);
    for (const f of files) {
      const m = await loadMap(`${dir}/francis2023/${f}`);
      assert.ok(m.robotRoutes.length > 0, f);
    }
  },
});
