/**
 * The error a scenario config raises when it cannot be used at all.
 *
 * @module
 */

/** One problem in a scenario file, located in the file and in the YAML tree. */
export interface ConfigIssue {
  /** Scenario file as the user named it. */
  file: string;
  /** YAML path, e.g. `run.num_envs` or `extractors[1].parameters.embed_dim`; "" for the document. */
  path: string;
  /** 1-based line, or null when unknown. */
  line: number | null;
  /** 1-based column, or null when unknown. */
  column: number | null;
  /** Sentence-case description without a trailing period. */
  message: string;
  /** Suggestion such as `did you mean "num_envs"?`, or null. */
  hint: string | null;
}

/**
 * Format one issue as `file:line:column: path: message (hint)`.
 *
 * @param issue The issue.
 * @returns One line of text.
 */
export function formatConfigIssue(issue: ConfigIssue): string {
  const location = issue.line === null ? issue.file : `${issue.file}:${issue.line}:${issue.column}`;
  const where = issue.path === "" ? "" : `${issue.path}: `;
  const hint = issue.hint === null ? "" : ` (${issue.hint})`;
  return `${location}: ${where}${issue.message}${hint}`;
}

/**
 * A scenario config that cannot be used: YAML syntax errors, a bad `run:` (with its
 * `run.ppo:` mapping), `env:` or `slurm:` block, a top-level `ppo:` key, a missing or
 * empty `extractors` list, colliding extractor names, or an unknown baseline. Carries every problem found; the first one is also
 * exposed as `file`, `path`, `line`, `column`.
 */
export class ConfigError extends Error {
  /** Scenario file as the user named it. */
  readonly file: string;
  /** YAML path of the first problem. */
  readonly path: string;
  /** 1-based line of the first problem, or null. */
  readonly line: number | null;
  /** 1-based column of the first problem, or null. */
  readonly column: number | null;
  /** Suggestion for the first problem, or null. */
  readonly hint: string | null;
  /** Every problem, in file order. */
  readonly issues: readonly ConfigIssue[];

  /**
   * Create the error; the message lists every issue, one per line.
   *
   * @param issues At least one problem.
   * @throws {RangeError} When `issues` is empty.
   */
  constructor(issues: readonly ConfigIssue[]) {
    if (issues.length === 0) throw new RangeError("ConfigError needs at least one issue");
    super(issues.map(formatConfigIssue).join("\n"));
    this.name = "ConfigError";
    const [first] = issues;
    this.file = first.file;
    this.path = first.path;
    this.line = first.line;
    this.column = first.column;
    this.hint = first.hint;
    this.issues = issues;
  }
}
