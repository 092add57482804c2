/**
 * Scenario configs: YAML parsing and validation against
 * contracts/scenario.schema.json, typed settings with the reference's defaults, the
 * preset parameter table shared with the extractor builders, and the run plan.
 *
 * @example Load a scenario
 * ```ts
 * import { loadScenario } from "./mod.ts";
 * const scenario = await loadScenario("configs/scenarios/multi_extractor_default.yaml");
 * for (const profile of scenario.extractors) console.log(profile.name, profile.features_dim);
 * ```
 *
 * @module
 */
export { ConfigError, formatConfigIssue } from "./config_error.ts";
export type { ConfigIssue } from "./config_error.ts";
export { loadScenario, parseScenario, yamlPath } from "./scenario.ts";
export type { LoadScenarioOptions } from "./scenario.ts";
export {
  applyOverrides,
  locateOverrideIssues,
  OverrideSyntaxError,
  parseOverride,
  seedOverride,
} from "./overrides.ts";
export type { ScenarioOverride } from "./overrides.ts";
export type {
  ParseScenarioOptions,
  Scenario,
  ScenarioEntry,
  ScenarioSettings,
  SkippedExtractor,
  YamlPathSegment,
} from "./scenario.ts";
export type { ExpectedResources, ExtractorConfigurationProfile } from "./profile.ts";
export { ENV_DEFAULTS, PPO_DEFAULTS, RUN_DEFAULTS } from "./settings.ts";
export type {
  BaselineSettings,
  Device,
  EvaluationSettings,
  LearningRateSchedule,
  PpoSettings,
  RobotKind,
  RunSettings,
  ScenarioEnvSettings,
  SlurmSettings,
} from "./settings.ts";
export {
  checkExtractorParameters,
  closestName,
  EXTRACTOR_FAMILIES,
  FAMILY_PARAMETERS,
  familyParameterSchema,
  featuresDim,
  FORBIDDEN_PARAMETERS,
  isPresetName,
  PRESET_NAMES,
  PRESETS,
  REFERENCE_OBSERVATION,
  resolvePresetParameters,
} from "./presets.ts";
export type {
  ExtractorFamily,
  ExtractorParameters,
  FeaturesDimOptions,
  ObservationShape,
  ParameterIssue,
  ParameterKind,
  ParameterSpec,
  PresetName,
  PresetSpec,
} from "./presets.ts";
export {
  buildRunPlan,
  CUDA_PROVIDER_INSTALL,
  formatRunPlan,
  planRun,
  resolvedConfig,
  resolvedSettings,
  resolveParallelTrials,
  resolvePrefetchMasks,
  resolveWorkerCount,
  resourceSkipReason,
} from "./plan.ts";
export type {
  BuildRunPlanOptions,
  HostCapabilities,
  PlannedExtractor,
  PlanRunOptions,
  ResolvedSettings,
  ResourceSkip,
  ResourceSkipOptions,
  RunPlan,
} from "./plan.ts";
