/**
 * The SLURM settings a submission uses: the scenario's `slurm:` block with the
 * command-line flags laid over it, checked so that every value can go into an
 * `#SBATCH` line or the job script unchanged.
 *
 * @module
 */
import type { SlurmSettings } from "../config/settings.ts";

/** Deno command on the compute nodes when neither the scenario nor a flag names one. */
export const DEFAULT_DENO_COMMAND = "deno";
/** GPU request of GPU extractors when `slurm.gpus` is not set: one GPU. */
export const DEFAULT_GPUS = 1;

/** SLURM settings with defaults filled in and flags applied. */
export interface ResolvedSlurmSettings {
  /** `--partition`, or null for the cluster default. */
  partition: string | null;
  /** `--account`, or null for the user's default account. */
  account: string | null;
  /** `--time` of each array task (SLURM syntax, e.g. "04:00:00"), or null for the partition default. */
  time: string | null;
  /** `--cpus-per-task` of each array task, or null for the cluster default. */
  cpus_per_task: number | null;
  /** `--mem` of each array task (SLURM syntax, e.g. "8G"), or null for the cluster default. */
  mem: string | null;
  /** `--gres` value of tasks that train a GPU extractor, e.g. "gpu:1" or "gpu:a100:1". */
  gres: string;
  /** Shell fragment that runs Deno on the compute nodes, e.g. "deno" or "$HOME/.deno/bin/deno". */
  deno_command: string;
  /** Further sbatch options, one per item, written into every script. */
  extra_sbatch_args: string[];
  /** At most this many array tasks at once, or null for no limit. */
  max_concurrent_tasks: number | null;
  /** Shell lines run before Deno starts, e.g. "module load deno". */
  setup_commands: string[];
}

/**
 * Flag values that override the `slurm:` block. Scalars replace the block's value;
 * `extra_sbatch_args` and `setup_commands` are appended to the block's lists.
 */
export type SlurmOverrides = SlurmSettings;

function _oneLine(key: string, value: string): string {
  if (value.trim() === "") throw new RangeError(`slurm.${key} must not be empty`);
  if (/[\r\n]/.test(value)) {
    throw new RangeError(`slurm.${key} must be one line, got ${JSON.stringify(value)}`);
  }
  return value;
}

function _word(key: string, value: string | undefined): string | null {
  if (value === undefined) return null;
  _oneLine(key, value);
  if (/\s/.test(value)) {
    throw new RangeError(`slurm.${key} must not contain spaces, got ${JSON.stringify(value)}`);
  }
  return value;
}

function _positiveInteger(key: string, value: number | undefined): number | null {
  if (value === undefined) return null;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`slurm.${key} must be an integer >= 1, got ${value}`);
  }
  return value;
}

/**
 * The `--gres` value of a GPU request: a count N becomes `gpu:N`; a string that starts
 * with `gpu` is used as given (`gpu:a100:2`); another string gets `gpu:` in front
 * (`a100:2` becomes `gpu:a100:2`).
 *
 * @param gpus A count (integer >= 1, or its decimal string) or a gres string.
 * @returns The gres value.
 * @throws {RangeError} When the count is not an integer >= 1, or the string is empty,
 * contains whitespace, starts with "-" or ends in a count of 0 (`a100:0`).
 */
export function gresRequest(gpus: string | number): string {
  if (typeof gpus === "number" || /^\d+$/.test(gpus)) {
    const count = Number(gpus);
    if (!Number.isInteger(count) || count < 1) {
      throw new RangeError(`slurm.gpus must be a count >= 1 or a gres string, got ${gpus}`);
    }
    return `gpu:${count}`;
  }
  const value = _word("gpus", gpus) as string;
  if (value.startsWith("-") || /(^|:)0+$/.test(value)) {
    throw new RangeError(
      `slurm.gpus must be a count >= 1 or a gres string whose count is >= 1 (a100:1), got ${
        JSON.stringify(value)
      }`,
    );
  }
  return /^gpu(:|$)/.test(value) ? value : `gpu:${value}`;
}

/**
 * Lay command-line overrides over the scenario's `slurm:` block and fill in defaults
 * (deno command "deno", one GPU for GPU extractors, empty lists).
 *
 * @param block The scenario's `slurm:` block, or null when it has none.
 * @param overrides Flag values: scalars replace, lists are appended.
 * @returns The settings the scripts are written with.
 * @throws {RangeError} When a value cannot go into a job script: empty or multi-line
 * strings, whitespace in partition, account, time, mem or gpus, counts below 1, an extra
 * sbatch argument that does not start with "-".
 */
export function resolveSlurmSettings(
  block: SlurmSettings | null,
  overrides: SlurmOverrides = {},
): ResolvedSlurmSettings {
  const base = block ?? {};
  const pick = <K extends keyof SlurmSettings>(key: K): SlurmSettings[K] =>
    overrides[key] ?? base[key];
  const extra = [...(base.extra_sbatch_args ?? []), ...(overrides.extra_sbatch_args ?? [])];
  for (const arg of extra) {
    _oneLine("extra_sbatch_args", arg);
    if (!arg.startsWith("-")) {
      throw new RangeError(
        `slurm.extra_sbatch_args items are sbatch options starting with "-", got ${
          JSON.stringify(arg)
        }`,
      );
    }
  }
  const setup = [...(base.setup_commands ?? []), ...(overrides.setup_commands ?? [])];
  for (const line of setup) _oneLine("setup_commands", line);
  return {
    partition: _word("partition", pick("partition")),
    account: _word("account", pick("account")),
    time: _word("time", pick("time")),
    cpus_per_task: _positiveInteger("cpus_per_task", pick("cpus_per_task")),
    mem: _word("mem", pick("mem")),
    gres: gresRequest(pick("gpus") ?? DEFAULT_GPUS),
    deno_command: _oneLine("deno_command", pick("deno_command") ?? DEFAULT_DENO_COMMAND),
    extra_sbatch_args: extra,
    max_concurrent_tasks: _positiveInteger("max_concurrent_tasks", pick("max_concurrent_tasks")),
    setup_commands: setup,
  };
}
