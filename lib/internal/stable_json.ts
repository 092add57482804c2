/**
 * JSON with object keys in a fixed order, for comparing and hashing values whose
 * key order may differ (settings, hardware profiles, checkpoint compatibility).
 *
 * @module
 */

/**
 * `JSON.stringify` with the keys of every object sorted (UTF-16 code unit order,
 * `Array.prototype.sort`), typed arrays written as plain arrays, `Infinity` written
 * as the string `"Infinity"` and keys whose value is `undefined` left out. Two values
 * with the same content give the same text whatever their key order.
 *
 * @example
 * ```ts
 * stableJson({ b: 1, a: [2, { d: 3, c: 4 }] }); // '{"a":[2,{"c":4,"d":3}],"b":1}'
 * ```
 * @param value Any JSON-like value.
 * @returns The text; `undefined` for a value JSON cannot express (e.g. a function).
 */
export function stableJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) => {
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) {
      return Array.from(v as unknown as ArrayLike<number>);
    }
    if (v === Infinity) return "Infinity";
    if (v !== null && typeof v === "object" && !Array.isArray(v)) {
      const sorted: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) sorted[k] = (v as Record<string, unknown>)[k];
      return sorted;
    }
    return v;
  });
}
