/**
 * The eight reference feature-extractor presets, the parameters each extractor
 * family accepts, their default values, and the rules a parameter override must
 * follow. The extractor builders and the scenario validator both read this table.
 *
 * Source: robot_sf at commit 77c3131, `robot_sf/feature_extractors/config.py`
 * (FeatureExtractorPresets), `robot_sf/feature_extractor.py` (DynamicsExtractor),
 * `robot_sf/feature_extractors/{mlp,attention,lightweight_cnn}_extractor.py`.
 *
 * @module
 */

/** Names of the reference presets, in the reference's order. */
export const PRESET_NAMES = [
  "dynamics_original",
  "dynamics_no_conv",
  "mlp_small",
  "mlp_large",
  "attention_small",
  "attention_large",
  "lightweight_cnn",
  "lstm_small",
] as const;

/** One of the reference preset names. */
export type PresetName = typeof PRESET_NAMES[number];

/** Extractor families: presets of one family share a builder and its parameters. */
export const EXTRACTOR_FAMILIES = [
  "dynamics",
  "mlp",
  "attention",
  "lightweight_cnn",
  "lstm",
] as const;

/** One extractor family (the reference's FeatureExtractorType values). */
export type ExtractorFamily = typeof EXTRACTOR_FAMILIES[number];

/** Value kinds a preset parameter can take. */
export type ParameterKind = "boolean" | "integer" | "number" | "integer[]" | "number[]";

/** Rules for one extractor parameter. Bounds apply to the value or to every item of a list. */
export interface ParameterSpec {
  /** Value kind. */
  kind: ParameterKind;
  /** What the parameter controls, with units where they apply. */
  description: string;
  /** Inclusive lower bound of the value (or of each item). */
  minimum?: number;
  /** Exclusive upper bound of the value (or of each item). */
  exclusiveMaximum?: number;
  /** Fewest list items. */
  minItems?: number;
  /** Most list items. */
  maxItems?: number;
}

/** Resolved parameter values of one extractor (preset defaults merged with overrides). */
export type ExtractorParameters = Record<string, boolean | number | number[]>;

/** Observation sizes the features_dim formulas depend on. */
export interface ObservationShape {
  /** Stacked LiDAR scans (rows of `rays`). */
  stackSteps: number;
  /** LiDAR rays per scan (columns of `rays`). */
  numRays: number;
  /** Drive-state values per step (columns of `drive_state`). */
  driveStateSize: number;
}

/**
 * The reference observation: `rays` [3, 272] and `drive_state` [3, 5]
 * (robot_sf RobotEnv defaults, REFERENCE.md "Environment").
 */
export const REFERENCE_OBSERVATION: Readonly<ObservationShape> = Object.freeze({
  stackSteps: 3,
  numRays: 272,
  driveStateSize: 5,
});

/** Parameters that no extractor accepts, with the reason shown to the user. */
export const FORBIDDEN_PARAMETERS: Readonly<Record<string, string>> = Object.freeze({
  features_dim: "features_dim is computed from the preset and its parameters and cannot be set",
});

const DROPOUT: ParameterSpec = {
  kind: "number",
  description: "dropout probability in [0, 1)",
  minimum: 0,
  exclusiveMaximum: 1,
};

const DRIVE_HIDDEN_DIMS: ParameterSpec = {
  kind: "integer[]",
  description: "hidden layer widths of the drive-state MLP (Linear, ReLU, Dropout per layer); " +
    "empty = flatten only",
  minimum: 1,
};

/** Parameters each extractor family accepts. */
export const FAMILY_PARAMETERS: Readonly<Record<ExtractorFamily, Record<string, ParameterSpec>>> =
  Object.freeze({
    dynamics: {
      use_ray_conv: {
        kind: "boolean",
        description: "run the rays through the four Conv1d blocks (false = flatten only)",
      },
      num_filters: {
        kind: "integer[]",
        description: "output channels of the four Conv1d(stride 2) blocks",
        minimum: 1,
        minItems: 4,
        maxItems: 4,
      },
      kernel_sizes: {
        kind: "integer[]",
        description: "odd kernel sizes of the four Conv1d blocks (padding (k - 1) / 2)",
        minimum: 1,
        minItems: 4,
        maxItems: 4,
      },
      dropout_rates: {
        kind: "number[]",
        description: "dropout probability in [0, 1) after each of the four Conv1d blocks",
        minimum: 0,
        exclusiveMaximum: 1,
        minItems: 4,
        maxItems: 4,
      },
    },
    mlp: {
      ray_hidden_dims: {
        kind: "integer[]",
        description: "hidden layer widths of the ray MLP (Linear, ReLU, Dropout per layer); " +
          "empty = flatten only",
        minimum: 1,
      },
      drive_hidden_dims: DRIVE_HIDDEN_DIMS,
      dropout_rate: DROPOUT,
    },
    attention: {
      embed_dim: {
        kind: "integer",
        description: "per-ray embedding width; must be divisible by num_heads",
        minimum: 1,
      },
      num_heads: { kind: "integer", description: "attention heads per layer", minimum: 1 },
      num_layers: {
        kind: "integer",
        description: "self-attention layers (each: x = LayerNorm(x + attention(x)))",
        minimum: 1,
      },
      dropout_rate: DROPOUT,
      drive_hidden_dims: DRIVE_HIDDEN_DIMS,
    },
    lightweight_cnn: {
      num_filters: {
        kind: "integer[]",
        description: "output channels of the Conv1d(same padding) / BatchNorm / ReLU / " +
          "MaxPool(2) / Dropout blocks",
        minimum: 1,
        minItems: 1,
        maxItems: 8,
      },
      kernel_sizes: {
        kind: "integer[]",
        description: "odd kernel sizes, one per block (same length as num_filters)",
        minimum: 1,
        minItems: 1,
        maxItems: 8,
      },
      dropout_rate: DROPOUT,
      drive_hidden_dims: DRIVE_HIDDEN_DIMS,
    },
    lstm: {
      hidden_size: {
        kind: "integer",
        description: "LSTM hidden (and cell) state width; the rays are read as one sequence " +
          "of stack x rays steps of one value each",
        minimum: 1,
      },
      num_layers: {
        kind: "integer",
        description: "stacked LSTM layers (each reads the previous layer's hidden states)",
        minimum: 1,
        exclusiveMaximum: 5,
      },
      drive_hidden_dims: {
        kind: "integer[]",
        description: "hidden layer widths of the drive-state MLP (Linear, ReLU per layer); " +
          "empty = flatten only",
        minimum: 1,
      },
    },
  });

/** Static description of one preset. */
export interface PresetSpec {
  /** Family whose builder and parameters the preset uses. */
  family: ExtractorFamily;
  /** Complete default parameter values (the extractor class defaults plus the preset's). */
  defaults: Readonly<ExtractorParameters>;
}

/** Every preset with its family and complete default parameters. */
export const PRESETS: Readonly<Record<PresetName, PresetSpec>> = Object.freeze({
  dynamics_original: {
    family: "dynamics",
    defaults: {
      use_ray_conv: true,
      num_filters: [64, 16, 16, 16],
      kernel_sizes: [3, 3, 3, 3],
      dropout_rates: [0.3, 0.3, 0.3, 0.3],
    },
  },
  dynamics_no_conv: {
    family: "dynamics",
    defaults: {
      use_ray_conv: false,
      num_filters: [64, 16, 16, 16],
      kernel_sizes: [3, 3, 3, 3],
      dropout_rates: [0.3, 0.3, 0.3, 0.3],
    },
  },
  mlp_small: {
    family: "mlp",
    defaults: { ray_hidden_dims: [64, 32], drive_hidden_dims: [16, 8], dropout_rate: 0.1 },
  },
  mlp_large: {
    family: "mlp",
    defaults: {
      ray_hidden_dims: [256, 128, 64],
      drive_hidden_dims: [64, 32, 16],
      dropout_rate: 0.15,
    },
  },
  attention_small: {
    family: "attention",
    defaults: {
      embed_dim: 32,
      num_heads: 2,
      num_layers: 1,
      dropout_rate: 0.1,
      drive_hidden_dims: [32, 16],
    },
  },
  attention_large: {
    family: "attention",
    defaults: {
      embed_dim: 128,
      num_heads: 8,
      num_layers: 3,
      dropout_rate: 0.1,
      drive_hidden_dims: [32, 16],
    },
  },
  lightweight_cnn: {
    family: "lightweight_cnn",
    defaults: {
      num_filters: [32, 16],
      kernel_sizes: [5, 3],
      dropout_rate: 0.1,
      drive_hidden_dims: [32, 16],
    },
  },
  lstm_small: {
    family: "lstm",
    defaults: { hidden_size: 64, num_layers: 1, drive_hidden_dims: [32, 16] },
  },
});

/** A problem with one parameter of an extractor entry. */
export interface ParameterIssue {
  /** Parameter key the problem is about. */
  key: string;
  /** Sentence-case description, without a trailing period. */
  message: string;
}

/**
 * Whether `name` is one of the eight reference presets.
 *
 * @param name Any value read from a config.
 * @returns True when `name` is a {@linkcode PresetName}.
 */
export function isPresetName(name: unknown): name is PresetName {
  return typeof name === "string" && (PRESET_NAMES as readonly string[]).includes(name);
}

/**
 * Check user parameter overrides of one preset against its family's table: unknown
 * keys, forbidden keys (features_dim), value kinds, bounds and list lengths, then the
 * cross-parameter rules (odd kernels, equal list lengths, embed_dim divisible by
 * num_heads). Cross-parameter rules are checked on the merged values.
 *
 * @param preset Preset the overrides apply to.
 * @param overrides The entry's `parameters` object as written in the config.
 * @returns Every problem found, in key order; empty when the overrides are valid.
 */
export function checkExtractorParameters(
  preset: PresetName,
  overrides: Readonly<Record<string, unknown>>,
): ParameterIssue[] {
  const { family, defaults } = PRESETS[preset];
  const specs = FAMILY_PARAMETERS[family];
  const issues: ParameterIssue[] = [];
  for (const [key, value] of Object.entries(overrides)) {
    if (key in FORBIDDEN_PARAMETERS) {
      issues.push({ key, message: FORBIDDEN_PARAMETERS[key] });
      continue;
    }
    const spec = specs[key];
    if (spec === undefined) {
      const known = Object.keys(specs);
      const hint = closestName(key, known);
      issues.push({
        key,
        message: `Unknown parameter "${key}" for preset ${preset}` +
          (hint ? ` (did you mean "${hint}"?)` : ` (accepted: ${known.join(", ")})`),
      });
      continue;
    }
    const problem = _checkValue(spec, value);
    if (problem !== null) issues.push({ key, message: problem });
  }
  if (issues.length > 0) return issues;
  const merged = { ...defaults, ...overrides } as ExtractorParameters;
  issues.push(..._crossChecks(family, merged));
  return issues;
}

/**
 * Merge a preset's defaults with user overrides (deep copy; nothing shared with the
 * table or the input).
 *
 * @param preset Preset name.
 * @param overrides Validated overrides (see {@linkcode checkExtractorParameters}).
 * @returns The complete parameter set the extractor is built with.
 */
export function resolvePresetParameters(
  preset: PresetName,
  overrides: Readonly<Record<string, unknown>> = {},
): ExtractorParameters {
  return structuredClone({ ...PRESETS[preset].defaults, ...overrides }) as ExtractorParameters;
}

/** Output length of a Conv1d: floor((length + 2 * padding - kernel) / stride) + 1. */
function _convLength(length: number, kernel: number, stride: number, padding: number): number {
  return Math.floor((length + 2 * padding - kernel) / stride) + 1;
}

function _lastOr(values: unknown, fallback: number): number {
  const list = values as number[];
  return list.length > 0 ? list[list.length - 1] : fallback;
}

/** Options of {@linkcode featuresDim}. */
export interface FeaturesDimOptions {
  /**
   * Observation sizes.
   * @default REFERENCE_OBSERVATION
   */
  observation?: ObservationShape;
}

/**
 * The feature vector length an extractor outputs (rays part plus drive part),
 * computed from its parameters as the reference extractors do:
 * - dynamics: 4 x Conv1d(k, stride 2, padding (k - 1) / 2) -> last filters x final
 *   length, or rays flattened; plus drive_state flattened.
 * - mlp: last ray hidden width (or rays flattened) + last drive width (or flattened).
 * - attention: embed_dim + last drive width.
 * - lightweight_cnn: last filters x floor(numRays / 2^blocks) + last drive width.
 * - lstm: hidden_size + last drive width.
 *
 * Reference values: dynamics_original 287, dynamics_no_conv 831, mlp_small 40,
 * mlp_large 80, attention_small 48, attention_large 144, lightweight_cnn 1104, lstm_small 80.
 *
 * @param preset Preset name.
 * @param parameters Resolved parameters (see {@linkcode resolvePresetParameters}).
 * @param options Observation sizes.
 * @returns features_dim.
 */
export function featuresDim(
  preset: PresetName,
  parameters: Readonly<ExtractorParameters>,
  options: FeaturesDimOptions = {},
): number {
  const { stackSteps, numRays, driveStateSize } = options.observation ?? REFERENCE_OBSERVATION;
  const rayInput = stackSteps * numRays;
  const driveInput = stackSteps * driveStateSize;
  const family = PRESETS[preset].family;
  switch (family) {
    case "dynamics": {
      if (parameters.use_ray_conv === false) return rayInput + driveInput;
      const filters = parameters.num_filters as number[];
      const kernels = parameters.kernel_sizes as number[];
      let length = numRays;
      for (const kernel of kernels) length = _convLength(length, kernel, 2, (kernel - 1) / 2);
      return filters[filters.length - 1] * length + driveInput;
    }
    case "mlp":
      return _lastOr(parameters.ray_hidden_dims, rayInput) +
        _lastOr(parameters.drive_hidden_dims, driveInput);
    case "attention":
      return (parameters.embed_dim as number) + _lastOr(parameters.drive_hidden_dims, driveInput);
    case "lightweight_cnn": {
      const filters = parameters.num_filters as number[];
      const pooled = Math.floor(numRays / 2 ** filters.length);
      return filters[filters.length - 1] * pooled +
        _lastOr(parameters.drive_hidden_dims, driveInput);
    }
    case "lstm":
      return (parameters.hidden_size as number) + _lastOr(parameters.drive_hidden_dims, driveInput);
  }
}

/**
 * JSON Schema (draft-07) for the `parameters` object of one family, generated from
 * {@linkcode FAMILY_PARAMETERS}. contracts/scenario.schema.json embeds these.
 *
 * @param family Extractor family.
 * @returns A schema object with `additionalProperties: false`.
 */
export function familyParameterSchema(family: ExtractorFamily): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(FAMILY_PARAMETERS[family])) {
    const bounds: Record<string, number> = {};
    if (spec.minimum !== undefined) bounds.minimum = spec.minimum;
    if (spec.exclusiveMaximum !== undefined) bounds.exclusiveMaximum = spec.exclusiveMaximum;
    if (spec.kind.endsWith("[]")) {
      const list: Record<string, unknown> = {
        type: "array",
        description: spec.description,
        items: { type: spec.kind.slice(0, -2), ...bounds },
      };
      if (spec.minItems !== undefined) list.minItems = spec.minItems;
      if (spec.maxItems !== undefined) list.maxItems = spec.maxItems;
      properties[key] = list;
    } else {
      properties[key] = { type: spec.kind, description: spec.description, ...bounds };
    }
  }
  return { type: "object", additionalProperties: false, properties };
}

/**
 * The closest candidate to `name` by edit distance, when close enough to be a
 * likely typo (distance <= max(1, floor(length / 3))), else the one candidate whose
 * underscore-separated word initials spell it (`lr` for `learning_rate`).
 *
 * @param name The misspelt name.
 * @param candidates Valid names.
 * @returns The best candidate, or null when none is close.
 */
export function closestName(name: string, candidates: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = _editDistance(name.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      bestDistance = distance;
      best = candidate;
    }
  }
  const limit = Math.max(1, Math.floor(name.length / 3));
  if (bestDistance <= limit) return best;
  // An abbreviation by word initials (`lr` for learning_rate), when exactly one fits.
  const initials = candidates.filter((c) =>
    c.includes("_") && c.split("_").map((w) => w[0]).join("").toLowerCase() === name.toLowerCase()
  );
  return initials.length === 1 ? initials[0] : null;
}

/** Levenshtein distance (insert, delete, substitute; all cost 1). */
function _editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min(previous[j] + 1, current[j - 1] + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length];
}

function _describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return `a list (${JSON.stringify(value)})`;
  if (typeof value === "string") return `the string "${value}"`;
  if (typeof value === "object") return "a mapping";
  return `${typeof value} ${String(value)}`;
}

function _checkScalar(kind: "boolean" | "integer" | "number", spec: ParameterSpec, value: unknown) {
  if (kind === "boolean") return typeof value === "boolean" ? null : "must be true or false";
  if (typeof value !== "number" || !Number.isFinite(value)) {
    return kind === "integer" ? "must be an integer" : "must be a number";
  }
  if (kind === "integer" && !Number.isInteger(value)) return "must be an integer";
  if (spec.minimum !== undefined && value < spec.minimum) return `must be >= ${spec.minimum}`;
  if (spec.exclusiveMaximum !== undefined && value >= spec.exclusiveMaximum) {
    return `must be < ${spec.exclusiveMaximum}`;
  }
  return null;
}

function _checkValue(spec: ParameterSpec, value: unknown): string | null {
  if (spec.kind.endsWith("[]")) {
    const itemKind = spec.kind.slice(0, -2) as "integer" | "number";
    if (!Array.isArray(value)) return `must be a list of ${itemKind}s, got ${_describe(value)}`;
    if (spec.minItems !== undefined && value.length < spec.minItems) {
      return spec.minItems === spec.maxItems
        ? `must have exactly ${spec.minItems} items, got ${value.length}`
        : `must have at least ${spec.minItems} items, got ${value.length}`;
    }
    if (spec.maxItems !== undefined && value.length > spec.maxItems) {
      return spec.minItems === spec.maxItems
        ? `must have exactly ${spec.maxItems} items, got ${value.length}`
        : `must have at most ${spec.maxItems} items, got ${value.length}`;
    }
    for (let i = 0; i < value.length; i++) {
      const problem = _checkScalar(itemKind, spec, value[i]);
      if (problem !== null) return `item ${i} ${problem}, got ${_describe(value[i])}`;
    }
    return null;
  }
  const problem = _checkScalar(spec.kind as "boolean" | "integer" | "number", spec, value);
  return problem === null ? null : `${problem}, got ${_describe(value)}`;
}

function _oddKernelIssues(parameters: ExtractorParameters): ParameterIssue[] {
  const kernels = parameters.kernel_sizes as number[];
  const even = kernels.findIndex((kernel) => kernel % 2 === 0);
  if (even === -1) return [];
  return [{
    key: "kernel_sizes",
    message: `Conv kernel sizes must be odd (same padding needs (k - 1) / 2), ` +
      `item ${even} is ${kernels[even]}`,
  }];
}

function _crossChecks(family: ExtractorFamily, parameters: ExtractorParameters): ParameterIssue[] {
  switch (family) {
    case "dynamics":
      return _oddKernelIssues(parameters);
    case "lightweight_cnn": {
      const filters = parameters.num_filters as number[];
      const kernels = parameters.kernel_sizes as number[];
      if (filters.length !== kernels.length) {
        return [{
          key: "kernel_sizes",
          message: `kernel_sizes must have one entry per num_filters entry ` +
            `(${filters.length}), got ${kernels.length}`,
        }];
      }
      return _oddKernelIssues(parameters);
    }
    case "attention": {
      const embed = parameters.embed_dim as number;
      const heads = parameters.num_heads as number;
      if (embed % heads !== 0) {
        return [{
          key: "embed_dim",
          message: `embed_dim (${embed}) must be divisible by num_heads (${heads})`,
        }];
      }
      return [];
    }
    case "mlp":
    case "lstm":
      return [];
  }
}
