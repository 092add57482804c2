/**
 * The project's configured JSON Schema validator (ajv, draft-07, with ajv-formats):
 * every schema in contracts/ is compiled by an instance from {@linkcode createAjv}.
 *
 * @module
 */
import { Ajv, type Options } from "ajv";
import addFormatsModule from "ajv-formats";

export type { ErrorObject, ValidateFunction } from "ajv";
export { Ajv };

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/**
 * An ajv instance with the project's settings: all errors reported, strict mode,
 * union types allowed, the ajv-formats formats (date-time, uri, ...).
 *
 * @param options Settings of this use on top of those (e.g. `useDefaults` for
 * scenario files, `strictRequired: false` for the summary schema).
 * @returns A new instance; compile schemas with it once and keep the validators.
 */
export function createAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true, ...options });
  addFormats(ajv);
  return ajv;
}
