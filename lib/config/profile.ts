/**
 * One validated extractor entry of a scenario (its configuration profile), the
 * unit every later step builds, trains and reports on.
 *
 * @module
 */
import type { ExtractorParameters, PresetName } from "./presets.ts";

/** Hardware an extractor expects. */
export type ExpectedResources = "cpu" | "gpu";

/** One validated extractor entry of a scenario, ready to build and train. */
export interface ExtractorConfigurationProfile {
  /** Name as written in the scenario (unique after normalisation). */
  name: string;
  /** Directory-safe form of the name (`[A-Za-z0-9._-]`), used for `extractors/<dir>/`. */
  directory_name: string;
  /** Reference preset the extractor starts from. */
  preset: PresetName;
  /** Free text from the scenario, or null. */
  description: string | null;
  /** Complete parameters: preset defaults merged with the overrides. */
  parameters: ExtractorParameters;
  /** The entry's own `parameters`, as written. */
  overrides: Record<string, unknown>;
  /** features_dim computed from preset and parameters. */
  features_dim: number;
  /** Hardware the extractor expects. */
  expected_resources: ExpectedResources;
  /** Sort key; lower runs first, ties keep file order. */
  priority: number;
  /** Position of the entry in the scenario's `extractors` list (0-based). */
  index: number;
}
