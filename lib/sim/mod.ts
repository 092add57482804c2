/**
 * Crowd-navigation simulator with robot_sf's observation and action spaces:
 * maps (robot_sf JSON and SVG, our own JSON, built-ins), pedestrians moved by
 * the social force model, differential and bicycle drive robots, LiDAR,
 * reward, {@linkcode RobotEnv} and the batched {@linkcode VecEnv}, and
 * versioned JSON snapshots of both for exact resume.
 *
 * @module
 */
export { MapError, maxTargetDistance, routeLength, zoneArea } from "./map_definition.ts";
export type { MapDefinition, Obstacle, Route, Vec2, Zone } from "./map_definition.ts";
export { BUILT_IN_MAP_DIR, BUILT_IN_MAPS, loadMap, parseMap } from "./load_map.ts";
export type { MapFormat, ParseMapOptions } from "./load_map.ts";
export {
  defaultBicycleDrive,
  defaultDifferentialDrive,
  defaultEnvSettings,
  makeEnvSettings,
  resolveScenarioEnv,
  validateEnvSettings,
} from "./settings.ts";
export type {
  BicycleDriveSettings,
  DeepPartial,
  DifferentialDriveSettings,
  EnvSettings,
  EnvSettingsOverrides,
  LidarSettings,
  PedestrianSettings,
  RewardSettings,
  RobotSettings,
  SocialForceSettings,
} from "./settings.ts";
export { pedestrianCounts, PedestrianSimulation } from "./pedestrians.ts";
export { BicycleDriveRobot, createRobot, DifferentialDriveRobot } from "./robot.ts";
export type { Robot } from "./robot.ts";
export { LidarScanner } from "./lidar.ts";
export { simpleReward } from "./reward.ts";
export type { RewardEvents } from "./reward.ts";
export type { LidarScanOptions } from "./lidar.ts";
export { envRng, RobotEnv } from "./robot_env.ts";
export type { BoxSpace, Observation, RobotEnvOptions, StepInfo, StepResult } from "./robot_env.ts";
export { createVecEnvBuffers, EnvStepError, VecEnv } from "./vec_env.ts";
export type { VecEnvBuffers, VecEnvOptions, VectorEnv } from "./vec_env.ts";
export {
  checkSnapshotHeader,
  ENV_SNAPSHOT_FORMAT,
  mergeVecEnvSnapshots,
  SNAPSHOT_VERSION,
  SnapshotError,
  splitVecEnvSnapshot,
  VEC_ENV_OUTPUT_BUFFERS,
  VEC_ENV_SNAPSHOT_FORMAT,
} from "./snapshot.ts";
export type {
  EncodedArray,
  EncodedDtype,
  PedestrianSnapshot,
  RobotEnvSnapshot,
  VecEnvOutputBuffer,
  VecEnvSnapshot,
} from "./snapshot.ts";
export { recordEpisode, renderEpisodeSvg, renderMapSvg } from "./render.ts";
export { renderEpisodeAnimation, renderEpisodeFrame } from "./animate.ts";
export type { AnimationOptions } from "./animate.ts";
export type { ActionProvider, EpisodeRecording, RenderOptions } from "./render.ts";
export {
  aggregateNavMetrics,
  DEFAULT_COMFORT_DISTANCE,
  DEFAULT_FORCE_THRESHOLD,
  DEFAULT_SNQI_BASELINE,
  DEFAULT_SNQI_WEIGHTS,
  NAV_AGGREGATE_KEYS,
  NavMetricsRecorder,
  normalizeSnqiTerm,
  snqi,
} from "./nav_metrics.ts";
export type {
  EpisodeEnd,
  NavAggregate,
  NavEpisodeMetrics,
  NavMetricsOptions,
  SnqiBaseline,
  SnqiWeights,
} from "./nav_metrics.ts";
export { CONTROLLER_NAMES, createController, isControllerName } from "./controllers.ts";
export type { Controller, ControllerName } from "./controllers.ts";
export { WorkerVecEnv } from "./worker_vec_env.ts";
export type { WorkerVecEnvOptions } from "./worker_vec_env.ts";
