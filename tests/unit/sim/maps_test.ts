import assert from "node:assert/strict";
import {
  BUILT_IN_MAPS,
  loadMap,
  type MapDefinition,
  MapError,
  parseMap,
} from "../../../lib/sim/mod.ts";
import { sharedMapsDir, SKIP_MESSAGE } from "./_shared.ts";

const dir = sharedMapsDir();
if (dir === null) console.warn(SKIP_MESSAGE);

interface Counts {
  width: number;
  height: number;
  obstacles: number;
  robotSpawn: number;
  robotGoal: number;
  pedSpawn: number;
  pedGoal: number;
  crowded: number;
  robotRoutes: number;
  pedRoutes: number;
  robotWaypoints: number[];
  pedWaypoints: number[];
}

// Counted by hand from the files: labelled rects/paths, and the vertices of each
// route's path data (an H or V command adds one vertex).
const EXPECTED: Record<string, Counts> = {
  "MIT_corridor.svg": {
    width: 50,
    height: 30.000017,
    obstacles: 5,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [14],
    pedWaypoints: [2],
  },
  "narrow_corridor.svg": {
    width: 60,
    height: 30.000017,
    obstacles: 4,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [14],
    pedWaypoints: [2],
  },
  "classic_bottleneck.svg": {
    width: 40,
    height: 40,
    obstacles: 6,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [3],
    pedWaypoints: [2],
  },
  "classic_crossing.svg": {
    width: 40,
    height: 40,
    obstacles: 6,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [2],
    pedWaypoints: [2],
  },
  "classic_doorway.svg": {
    width: 44,
    height: 28,
    obstacles: 6,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [2],
    pedWaypoints: [2],
  },
  "classic_head_on_corridor.svg": {
    width: 32,
    height: 40,
    obstacles: 4,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [2],
    pedWaypoints: [2],
  },
  "classic_overtaking.svg": {
    width: 60,
    height: 27.69,
    obstacles: 4,
    robotSpawn: 1,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 1,
    crowded: 0,
    robotRoutes: 1,
    pedRoutes: 1,
    robotWaypoints: [2],
    pedWaypoints: [2],
  },
  "example_map_with_obstacles.svg": {
    width: 226.28021,
    height: 200,
    obstacles: 16,
    robotSpawn: 2,
    robotGoal: 1,
    pedSpawn: 1,
    pedGoal: 2,
    crowded: 0,
    robotRoutes: 2,
    pedRoutes: 2,
    robotWaypoints: [3, 15],
    pedWaypoints: [2, 2],
  },
  // robot_sf adds every JSON robot route reversed: 8 routes in the file, 16 loaded.
  "uni_campus_big.json": {
    width: 350,
    height: 240,
    obstacles: 35,
    robotSpawn: 11,
    robotGoal: 11,
    pedSpawn: 7,
    pedGoal: 7,
    crowded: 6,
    robotRoutes: 16,
    pedRoutes: 12,
    robotWaypoints: [13, 13, 19, 17, 14, 28, 41, 20, 13, 13, 19, 17, 14, 28, 41, 20],
    pedWaypoints: [24, 24, 20, 31, 27, 30, 47, 33, 22, 17, 28, 38],
  },
};

function counts(m: MapDefinition): Counts {
  return {
    width: m.width,
    height: m.height,
    obstacles: m.obstacles.length,
    robotSpawn: m.robotSpawnZones.length,
    robotGoal: m.robotGoalZones.length,
    pedSpawn: m.pedSpawnZones.length,
    pedGoal: m.pedGoalZones.length,
    crowded: m.pedCrowdedZones.length,
    robotRoutes: m.robotRoutes.length,
    pedRoutes: m.pedRoutes.length,
    robotWaypoints: m.robotRoutes.map((r) => r.waypoints.length),
    pedWaypoints: m.pedRoutes.map((r) => r.waypoints.length),
  };
}

Deno.test({
  name: "loadMap() loads every shared robot_sf map with the hand-counted elements",
  ignore: dir === null,
  async fn() {
    const files = [...Deno.readDirSync(dir!)].map((e) => e.name).filter((n) =>
      /\.(svg|json)$/.test(n)
    );
    assert.deepEqual(files.sort(), Object.keys(EXPECTED).sort());
    for (const file of files) {
      const m = await loadMap(`${dir}/${file}`);
      assert.deepEqual(counts(m), EXPECTED[file], file);
    }
  },
});

Deno.test({
  name: "loadMap() shifts robot_sf JSON coordinates by the margins and keeps every obstacle edge",
  ignore: dir === null,
  async fn() {
    const m = await loadMap(`${dir}/uni_campus_big.json`);
    // First robot spawn zone in the file: [[409.31, 136.75], [409.31, 142.0], [414.56, 142.0]],
    // margins x [100, 450], y [-40, 200].
    assert.deepEqual(m.robotSpawnZones[0].a.map((v) => +v.toFixed(6)), [309.31, 176.75]);
    assert.deepEqual(m.robotSpawnZones[0].c.map((v) => +v.toFixed(6)), [314.56, 182]);
    // 864 non-degenerate obstacle edges plus the 4 map bounds.
    assert.equal(m.segments.length / 4, 868);
    // Reversed routes swap zones: route 0 goes spawn 1 -> goal 10, its reverse 10 -> 1.
    assert.equal(m.robotRoutes[8].spawnId, 10);
    assert.equal(m.robotRoutes[8].spawnZone, m.robotGoalZones[10]);
    assert.deepEqual(m.robotRoutes[8].waypoints[0], m.robotRoutes[0].waypoints[12]);
  },
});

Deno.test({
  name: "loadMap() flips the SVG y axis inside the viewBox",
  ignore: dir === null,
  async fn() {
    const crossing = await loadMap(`${dir}/classic_crossing.svg`);
    // rect x=4 y=4 w=4 h=4 in a 40 x 40 viewBox -> corners (4, 36), (8, 36), (8, 32).
    assert.deepEqual(crossing.robotSpawnZones[0].a, [4, 36]);
    assert.deepEqual(crossing.robotSpawnZones[0].b, [8, 36]);
    assert.deepEqual(crossing.robotSpawnZones[0].c, [8, 32]);
    const route = crossing.robotRoutes[0].waypoints.map((p) => p.map((v) => +v.toFixed(9)));
    assert.deepEqual(route, [[10.69, 18.89], [18.86, 10.54]]);
    // viewBox "22 4 226.28021 200": rect8 at x=86.860977, y=147.32242 -> (64.860977, 56.67758).
    const example = await loadMap(`${dir}/example_map_with_obstacles.svg`);
    const rect8 = example.obstacles.find((o) => o.id === "rect8")!;
    assert.deepEqual(rect8.vertices[0].map((v) => +v.toFixed(6)), [64.860977, 56.67758]);
  },
});

Deno.test({
  name: "loadMap() warns about route segments that cross obstacles, naming both",
  ignore: dir === null,
  async fn() {
    const m = await loadMap(`${dir}/classic_overtaking.svg`);
    // The pedestrian route at y = 6.92 passes the chicane wall x 20.77..25.39, y 1.15..10.38.
    assert.equal(m.warnings.length, 1);
    assert.match(
      m.warnings[0],
      /Pedestrian route 'path#\d+ \(ped_route_0_0\)' segment 1 crosses obstacle 'rect#\d+'/,
    );
    const mit = await loadMap(`${dir}/MIT_corridor.svg`);
    assert.deepEqual(mit.warnings, []);
  },
});

const SVG_HEAD =
  `<svg xmlns="http://www.w3.org/2000/svg" xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="20" height="10">`;

function svg(body: string): string {
  return `${SVG_HEAD}${body}</svg>`;
}

const BASIC = `
  <rect id="spawn" x="1" y="1" width="2" height="2" inkscape:label="robot_spawn_zone"/>
  <rect id="goal" x="15" y="1" width="2" height="2" inkscape:label="robot_goal_zone"/>`;

Deno.test("parseMap() gives a route naming a missing zone a 0.1 m zone at its end, with a warning", () => {
  const text = svg(`${BASIC}<path id="r1" d="M 2 2 L 16 2" inkscape:label="robot_route_0_3"/>`);
  const m = parseMap(text, "svg", { source: "t.svg" });
  // robot_sf _safe_zone: index 3 of 1 goal zone -> square of side 0.1 with corner a at the last
  // point (16, 2) in user space = (16, 8) in the 10 m high world.
  assert.deepEqual(m.robotRoutes[0].goalZone.a, [16, 8]);
  assert.deepEqual(m.robotRoutes[0].goalZone.c, [16.1, 8.1]);
  assert.equal(m.robotRoutes[0].spawnZone, m.robotSpawnZones[0]);
  assert.match(
    m.warnings.join("\n"),
    /r1 \(robot_route_0_3\)' names robot goal zone 3 but the map has 1/,
  );
});

Deno.test("parseMap() rejects a zone entirely inside an obstacle, naming the zone", () => {
  const text = svg(`${BASIC}
    <rect id="wall" x="14" y="0" width="5" height="5" inkscape:label="obstacle"/>
    <path id="r1" d="M 2 2 L 16 2" inkscape:label="robot_route_0_0"/>`);
  assert.throws(
    () => parseMap(text, "svg", { source: "t.svg" }),
    (e: unknown) =>
      e instanceof MapError && e.element === "goal" && /no free space/.test(e.message),
  );
});

Deno.test("parseMap() rejects a labelled rect with zero width", () => {
  const text = svg(
    `${BASIC}<rect id="rect5" x="5" y="5" width="0" height="2" inkscape:label="obstacle"/>
    <path id="r1" d="M 2 2 L 16 2" inkscape:label="robot_route_0_0"/>`,
  );
  assert.throws(
    () => parseMap(text, "svg"),
    (e: unknown) => e instanceof MapError && e.element === "rect5" && /zero width/.test(e.message),
  );
});

Deno.test("parseMap() reads relative, H/V path commands and group transforms", () => {
  const text = svg(`
    <g transform="translate(1,0)">
      <rect id="spawn" x="0" y="1" width="2" height="2" inkscape:label="robot_spawn_zone"/>
      <rect id="goal" x="14" y="1" width="2" height="2" inkscape:label="robot_goal_zone"/>
      <path id="r1" d="m 1 2 h 5 v 3 l 2 -1 z" inkscape:label="robot_route_0_0"/>
      <path id="o1" transform="scale(2)" d="M 3 3 L 4 3 L 4 4 Z" inkscape:label="obstacle"/>
    </g>`);
  const m = parseMap(text, "svg");
  // User space: (2,2) (7,2) (7,5) (9,4) (2,2); flipped in a 10 high map.
  assert.deepEqual(m.robotRoutes[0].waypoints, [[2, 8], [7, 8], [7, 5], [9, 6], [2, 8]]);
  // scale(2) then translate(1,0): (3,3) -> (7,6) -> world (7,4); closing vertex dropped.
  assert.deepEqual(m.obstacles[0].vertices, [[7, 4], [9, 4], [9, 2]]);
});

Deno.test("parseMap() reads our own format and names a route's unknown zone", () => {
  const doc = {
    format: "multi-extractor-map",
    version: 1,
    width: 10,
    height: 10,
    robot_spawn_zones: [{ id: "a", rect: [1, 1, 2, 2] }],
    robot_goal_zones: [{ id: "b", corners: [[7, 7], [9, 7], [9, 9]] }],
    robot_routes: [{ id: "a_b", spawn: "a", goal: "b", waypoints: [[2, 2], [8, 8]] }],
  };
  const m = parseMap(JSON.stringify(doc), "json");
  assert.deepEqual(m.robotGoalZones[0], { id: "b", a: [7, 7], b: [9, 7], c: [9, 9] });
  assert.equal(m.segments.length / 4, 4);
  const bad = { ...doc, robot_routes: [{ id: "a_c", spawn: "a", goal: "c", waypoints: [[2, 2]] }] };
  assert.throws(
    () => parseMap(JSON.stringify(bad), "json"),
    (e: unknown) =>
      e instanceof MapError && e.element === "a_c" && /missing zone 'c'/.test(e.message),
  );
});

Deno.test("loadMap() loads every built-in map without warnings", async () => {
  for (const name of BUILT_IN_MAPS) {
    const m = await loadMap(name);
    assert.equal(m.name, name);
    assert.deepEqual(m.warnings, [], name);
    assert.ok(m.robotRoutes.length > 0);
  }
  await assert.rejects(() => loadMap("no_such_map"), MapError);
});
