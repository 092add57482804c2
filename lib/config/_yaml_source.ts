/**
 * Where things are in a scenario's YAML text: JSON pointers to YAML paths
 * (`run.ppo.n_steps`, `extractors[1].parameters`) and the line and column of a value
 * or a key, so every message names the line to fix.
 *
 * @module
 */
import {
  isMap,
  isPair,
  isScalar,
  isSeq,
  type LineCounter,
  type Node as YamlNode,
  type parseDocument,
} from "yaml";

/** One step of a YAML path: a mapping key or a list index. */
export type YamlPathSegment = string | number;

/** JSON pointer (`/run/ppo/n_steps`) to YAML path segments. */
export function _pointerSegments(pointer: string): YamlPathSegment[] {
  if (pointer === "") return [];
  return pointer.slice(1).split("/").map((raw) => {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    return /^\d+$/.test(segment) ? Number(segment) : segment;
  });
}

/**
 * Render YAML path segments as `run.num_envs` / `extractors[1].parameters.embed_dim`.
 *
 * @param segments Keys and indices from the document root.
 * @returns The dotted path; "" for the root.
 */
export function yamlPath(segments: readonly YamlPathSegment[]): string {
  let path = "";
  for (const segment of segments) {
    if (typeof segment === "number") path += `[${segment}]`;
    else path += path === "" ? segment : `.${segment}`;
  }
  return path;
}

/** Source positions of a parsed YAML document. */
export class _Source {
  #doc: ReturnType<typeof parseDocument>;
  #lines: LineCounter;

  /**
   * @param doc The parsed document.
   * @param lines Its line counter.
   */
  constructor(doc: ReturnType<typeof parseDocument>, lines: LineCounter) {
    this.#doc = doc;
    this.#lines = lines;
  }

  #position(offset: number | undefined): { line: number | null; column: number | null } {
    if (offset === undefined) return { line: null, column: null };
    const { line, col } = this.#lines.linePos(offset);
    return { line, column: col };
  }

  /**
   * Position of the value at `segments`; when it does not exist, of the key of its
   * nearest existing ancestor (or the ancestor itself when that is a list item).
   */
  value(segments: readonly YamlPathSegment[]): { line: number | null; column: number | null } {
    const exact = this.#node(segments);
    if (exact !== null) return this.#position(exact.range?.[0]);
    for (let depth = segments.length - 1; depth >= 1; depth--) {
      const ancestor = this.#node(segments.slice(0, depth));
      if (ancestor === null) continue;
      const last = segments[depth - 1];
      return typeof last === "string"
        ? this.key(segments.slice(0, depth - 1), last)
        : this.#position(ancestor.range?.[0]);
    }
    const contents = this.#doc.contents as YamlNode | null;
    return this.#position(contents?.range?.[0] ?? 0);
  }

  #node(segments: readonly YamlPathSegment[]): YamlNode | null {
    const node = segments.length === 0
      ? this.#doc.contents
      : this.#doc.getIn(segments, true) as YamlNode | undefined;
    return node && typeof node === "object" && "range" in node && node.range ? node : null;
  }

  /** Position of the key `key` inside the mapping at `parent`. */
  key(
    parent: readonly YamlPathSegment[],
    key: string,
  ): { line: number | null; column: number | null } {
    return this.findKey(parent, key) ?? this.value(parent);
  }

  /** Position of the key `key` inside the mapping at `parent`, or null when absent. */
  findKey(
    parent: readonly YamlPathSegment[],
    key: string,
  ): { line: number | null; column: number | null } | null {
    const node = parent.length === 0 ? this.#doc.contents : this.#doc.getIn(parent, true);
    if (isMap(node)) {
      for (const pair of node.items) {
        if (isPair(pair) && isScalar(pair.key) && String(pair.key.value) === key) {
          return this.#position(pair.key.range?.[0]);
        }
      }
    }
    return null;
  }

  /** Whether the node at `segments` is a sequence. */
  isSequence(segments: readonly YamlPathSegment[]): boolean {
    return isSeq(this.#doc.getIn(segments, true));
  }
}
