/**
 * Control characters in user strings (run ids, extractor names, file names, error
 * messages): found, refused or escaped, so that no user string can move a terminal's
 * cursor, ring its bell, hide text, or start a forged log line.
 *
 * Control characters here: C0 (U+0000-U+001F), DEL (U+007F), C1 (U+0080-U+009F) and
 * the Unicode line and paragraph separators (U+2028, U+2029).
 *
 * @module
 */

// deno-lint-ignore no-control-regex -- matching control characters is the point
const _CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const _CONTROL_ALL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
// deno-lint-ignore no-control-regex -- matching control characters is the point
const _CONTROL_BUT_NEWLINE = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029]/g;

function _escape(char: string): string {
  return `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * The first control character of `text`, as `U+XXXX`, or null when there is none.
 *
 * @param text Any string.
 * @returns e.g. "U+000A", or null.
 */
export function firstControlCharacter(text: string): string | null {
  const match = _CONTROL.exec(text);
  return match === null
    ? null
    : `U+${match[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Replace every control character by a visible `\uXXXX` escape, newlines included.
 *
 * @param text Any string.
 * @returns One line of printable text, e.g. "a\u000aERROR b" for "a\nERROR b".
 */
export function escapeControlCharacters(text: string): string {
  return text.replace(_CONTROL_ALL, _escape);
}

/**
 * Escape the control characters of `text` except the line feed (for multi-line
 * documents such as summary.md whose own structure uses line feeds).
 *
 * @param text Any string.
 * @returns The text with `\uXXXX` escapes for every control character but `\n`.
 */
export function escapeControlCharactersButNewlines(text: string): string {
  return text.replace(_CONTROL_BUT_NEWLINE, _escape);
}

/**
 * Render a user string for one console log record: control characters are escaped,
 * and each line feed is followed by an indent, so a multi-line value (a list of
 * config problems) stays readable but no line of it can pass for a new log record
 * (those start with the level at the first column).
 *
 * @param text Any string.
 * @param indent Indent of continuation lines.
 * @returns The rendered text.
 */
export function consoleSafe(text: string, indent = "  "): string {
  return escapeControlCharactersButNewlines(text).replace(/\n/g, `\n${indent}`);
}
