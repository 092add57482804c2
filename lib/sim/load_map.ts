/**
 * Map loading: built-in maps by name (files in `configs/maps/`), robot_sf JSON
 * maps, robot_sf Inkscape SVG maps, and our own JSON format (docs/maps.md).
 *
 * @module
 */
import { readInputText } from "../internal/input_file.ts";
import { _buildMap } from "./_map_build.ts";
import { _parseOwnJson, _parseReferenceJson, OWN_MAP_FORMAT } from "./_map_json.ts";
import { _parseSvg } from "./_map_svg.ts";
import { type MapDefinition, MapError } from "./map_definition.ts";

/** Folder of the built-in maps, resolved from this module so scripts work from any cwd. */
export const BUILT_IN_MAP_DIR: URL = new URL("../../configs/maps/", import.meta.url);

/** Names of the built-in maps (file stems in `configs/maps/`), sorted. */
export const BUILT_IN_MAPS: readonly string[] = [
  "corridor",
  "crossing",
  "default",
  "nav_check",
  "open_field",
  "open_square",
];

/** Map file formats {@linkcode parseMap} understands. */
export type MapFormat = "svg" | "json";

/** Options of {@linkcode parseMap}. */
export interface ParseMapOptions {
  /** Map name. @default "map" */
  name?: string;
  /** File or name used in error messages. @default the name */
  source?: string;
}

/**
 * Where JSON.parse stopped, without quoting the text (the file may be something else
 * entirely, e.g. a secret, and its content must not reach a log).
 */
function _jsonProblem(error: Error, text: string): string {
  const match = /position (\d+)/.exec(error.message);
  const offset = match === null ? null : Number(match[1]);
  if (offset === null) {
    return /end of JSON input/i.test(error.message)
      ? "unexpected end of the file"
      : "not valid JSON";
  }
  const before = text.slice(0, offset).split("\n");
  return `not valid JSON at line ${before.length}, column ${before[before.length - 1].length + 1}`;
}

/**
 * Parse map text. JSON is either robot_sf's format (has `x_margin`) or ours
 * (has `"format": "multi-extractor-map"`).
 *
 * @param text File contents.
 * @param format `"svg"` or `"json"`.
 * @param options Name and source for messages.
 * @returns The validated map; non-fatal problems are in `warnings`.
 * @throws {MapError} When the map is malformed or unusable (names the element).
 */
export function parseMap(
  text: string,
  format: MapFormat,
  options: ParseMapOptions = {},
): MapDefinition {
  const name = options.name ?? "map";
  const source = options.source ?? name;
  if (format === "svg") return _buildMap(_parseSvg(text, name, source));
  if (format !== "json") throw new TypeError(`Unknown map format '${format}'`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new MapError(`Malformed JSON: ${_jsonProblem(err as Error, text)}`, { source });
  }
  if (typeof doc !== "object" || doc === null || Array.isArray(doc)) {
    throw new MapError("Map JSON must be an object", { source });
  }
  const obj = doc as Record<string, unknown>;
  if (obj.format === OWN_MAP_FORMAT) return _buildMap(_parseOwnJson(obj, name, source));
  if ("x_margin" in obj) return _buildMap(_parseReferenceJson(obj, name, source));
  throw new MapError(
    `Unknown JSON map format: expected "format": "${OWN_MAP_FORMAT}" or robot_sf's x_margin/y_margin keys`,
    { source },
  );
}

/**
 * Load a map from a file path (`.svg` or `.json`) or a built-in map name
 * ({@linkcode BUILT_IN_MAPS}).
 *
 * @example Load a built-in map and a robot_sf map
 * ```ts
 * const campus = await loadMap("default");
 * const svg = await loadMap("/data/maps/classic_crossing.svg");
 * ```
 * @param pathOrName Path, or a built-in name without extension.
 * @returns The validated map.
 * @throws {MapError} When the file is malformed or the map unusable, or the name is unknown.
 * @throws {Deno.errors.NotFound} When the file does not exist.
 * @throws {InputFileError} When the file is no regular file, is larger than the map limit
 * (64 MiB; MULTI_EXTRACTOR_MAX_MAP_MB) or is not UTF-8 text.
 */
export async function loadMap(pathOrName: string): Promise<MapDefinition> {
  const isPath = /[\\/]/.test(pathOrName) || /\.(svg|json)$/i.test(pathOrName);
  if (!isPath) {
    if (!BUILT_IN_MAPS.includes(pathOrName)) {
      throw new MapError(
        `Unknown built-in map '${pathOrName}' (known: ${BUILT_IN_MAPS.join(", ")})`,
        { source: pathOrName },
      );
    }
    const url = new URL(`${pathOrName}.json`, BUILT_IN_MAP_DIR);
    const text = await Deno.readTextFile(url);
    return parseMap(text, "json", { name: pathOrName, source: `builtin:${pathOrName}` });
  }
  const text = await readInputText(pathOrName, { kind: "map", nativeNotFound: true });
  const base = pathOrName.split(/[\\/]/).pop() ?? pathOrName;
  const name = base.replace(/\.(svg|json)$/i, "");
  const format: MapFormat = /\.svg$/i.test(pathOrName) ? "svg" : "json";
  return parseMap(text, format, { name, source: pathOrName });
}
