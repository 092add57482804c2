/**
 * Small hand-made maps for the simulator tests.
 *
 * @module
 */
import { type MapDefinition, parseMap } from "../../../lib/sim/mod.ts";

/** A map in our own format with the given obstacles; zones at the corners. */
export function testMap(
  width: number,
  height: number,
  obstacles: { id: string; rect?: number[]; polygon?: number[][] }[],
  extra: Record<string, unknown> = {},
): MapDefinition {
  const doc = {
    format: "multi-extractor-map",
    version: 1,
    name: "test",
    width,
    height,
    obstacles,
    robot_spawn_zones: [{ id: "spawn", rect: [1, 1, 1, 1] }],
    robot_goal_zones: [{ id: "goal", rect: [width - 2, height - 2, 1, 1] }],
    ped_crowded_zones: [{ id: "crowd", rect: [1, height - 2, 1, 1] }],
    robot_routes: [{
      id: "r",
      spawn: "spawn",
      goal: "goal",
      waypoints: [[1.5, 1.5], [width - 1.5, height - 1.5]],
    }],
    ...extra,
  };
  return parseMap(JSON.stringify(doc), "json", { name: "test" });
}
