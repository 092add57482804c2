/**
 * The `deno task resume` command line that an interrupted run prints, with each word
 * quoted for the shell where it needs it, so that it can be pasted as it is.
 *
 * @module
 */

/** Characters a shell word may hold without quotes. */
const _PLAIN = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * One shell word: the text as it is when it holds only plain characters, else in
 * single quotes with each `'` written as `'\''`.
 *
 * @param value Any string.
 * @returns e.g. `/runs/a` or `'/runs/it'\''s here'`.
 */
export function _shellWord(value: string): string {
  return _PLAIN.test(value) ? value : `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * The command that resumes a run, optionally only some extractors.
 *
 * @param runPath Run directory.
 * @param only Extractor entry names, or null for the whole run.
 * @param seeds Trial seeds, or null for every seed.
 * @returns e.g. `deno task resume '/runs/my run' --only mlp_small --seeds 1,2`.
 */
export function _resumeCommand(
  runPath: string,
  only: readonly string[] | null = null,
  seeds: readonly number[] | null = null,
): string {
  return `deno task resume ${_shellWord(runPath)}` +
    (only === null ? "" : ` --only ${_shellWord(only.join(","))}`) +
    (seeds === null ? "" : ` --seeds ${seeds.join(",")}`);
}
