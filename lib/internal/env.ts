/**
 * Reading environment variables under Deno's permissions: a variable the process may
 * not read counts as unset, so a task granted only some names keeps working.
 *
 * @module
 */

/**
 * The value of an environment variable, or undefined when it is unset or the process
 * lacks `--allow-env` for it.
 *
 * @param name Variable name, e.g. `MULTI_EXTRACTOR_OUTPUT_ROOT`.
 * @returns The value, or undefined.
 * @throws {TypeError} When `name` is not a valid variable name (empty, contains `=` or NUL).
 */
export function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied) {
      return undefined;
    }
    throw error;
  }
}
