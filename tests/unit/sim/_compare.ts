/**
 * Compare long step-by-step logs cheaply: the first difference is reported by
 * step and field (node:assert's diff of large typed arrays is very slow).
 *
 * @module
 */
import assert from "node:assert/strict";

function _sameBytes(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) return Math.min(a.length, b.length);
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

/**
 * Assert two logs (arrays of records whose fields are byte arrays or small
 * values) are equal, bit for bit.
 * @param actual The log under test.
 * @param expected The reference log.
 * @param label Prefix of the failure message.
 */
export function assertSameLog(actual: unknown[], expected: unknown[], label = "log"): void {
  assert.equal(actual.length, expected.length, `${label}: number of records`);
  for (let t = 0; t < expected.length; t++) {
    const a = actual[t] as Record<string, unknown>, e = expected[t] as Record<string, unknown>;
    const keys = new Set([...Object.keys(a), ...Object.keys(e)]);
    for (const key of keys) {
      const x = a[key], y = e[key];
      if (x instanceof Uint8Array && y instanceof Uint8Array) {
        const at = _sameBytes(x, y);
        if (at >= 0) assert.fail(`${label}: record ${t}, '${key}' differs at byte ${at}`);
      } else {
        assert.deepEqual(x, y, `${label}: record ${t}, '${key}'`);
      }
    }
  }
}

/** Assert two logs differ somewhere (a control that the comparison can fail). */
export function assertDifferentLog(actual: unknown[], expected: unknown[], label = "log"): void {
  assert.throws(() => assertSameLog(actual, expected, label), assert.AssertionError);
}

function _firstDifference(a: unknown, b: unknown, path: string): string | null {
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) {
    return Object.is(a, b) ? null : path;
  }
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = _firstDifference(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      `${path}.${k}`,
    );
    if (d !== null) return d;
  }
  return null;
}

/** Assert two JSON-like values are equal; a failure names the first differing path only. */
export function assertSameJson(actual: unknown, expected: unknown, label = "value"): void {
  const d = _firstDifference(
    JSON.parse(JSON.stringify(actual)),
    JSON.parse(JSON.stringify(expected)),
    label,
  );
  if (d !== null) assert.fail(`${d} differs`);
}
