/**
 * `progress.csv` in Stable-Baselines3's CSV logger format
 * (stable_baselines3/common/logger.py `CSVOutputFormat`): a header of keys, one row per
 * logger dump, empty cells for keys a row lacks; a dump that brings new keys appends them to
 * the header and rewrites the file with every earlier row padded by empty cells. New keys are
 * added in sorted order, so the columns are the same on every run.
 *
 * @module
 */
import { writeTextFileAtomic } from "../internal/atomic_write.ts";
import { assertNoSymlinks } from "../internal/safe_path.ts";

/** One logger dump: SB3 keys to numbers (null: NaN). */
export type CsvRow = Record<string, number | null>;

/** What a {@linkcode ProgressCsvWriter} needs to continue a file. */
export interface ProgressCsvState {
  /** Header keys in column order. */
  keys: string[];
  /** Data rows written. */
  rows: number;
}

/**
 * A number as Python's `str()` writes it: integers without a fraction (SB3's counters are
 * ints), other values in the shortest round-trip form with a two-digit exponent
 * (`1e-05`), `nan`, `inf`, `-inf`.
 * @param value The number, or null for NaN.
 */
export function pythonNumber(value: number | null): string {
  if (value === null || Number.isNaN(value)) return "nan";
  if (!Number.isFinite(value)) return value > 0 ? "inf" : "-inf";
  if (Number.isInteger(value) && Math.abs(value) < 1e16) return String(value);
  // Python's float repr: fixed notation for decimal exponents -4..15, else d.ddde+XX.
  const [mantissa, exponent] = value.toExponential().split("e");
  const exp = Number(exponent);
  if (exp >= -4 && exp < 16) return String(value);
  const digits = String(Math.abs(exp)).padStart(2, "0");
  return `${mantissa}e${exp < 0 ? "-" : "+"}${digits}`;
}

/** Appends SB3-format rows to a CSV file, flushing each write to disk. */
export class ProgressCsvWriter {
  /** The file's path. */
  readonly path: string;
  #keys: string[];
  #rows: number;

  private constructor(path: string, state: ProgressCsvState) {
    this.path = path;
    this.#keys = [...state.keys];
    this.#rows = state.rows;
  }

  /**
   * Open a progress file.
   * @param path File path.
   * @param state Continue a file from this state (a resume): rows after `rows` are dropped
   *   and the header cut back to `keys`; absent: start an empty file.
   * @throws {RangeError} When the file has fewer rows than the state.
   */
  static async open(path: string, state?: ProgressCsvState): Promise<ProgressCsvWriter> {
    const writer = new ProgressCsvWriter(path, state ?? { keys: [], rows: 0 });
    if (state === undefined || state.keys.length === 0) {
      await writeTextFileAtomic(path, "");
      return writer;
    }
    await assertNoSymlinks(path);
    const lines = (await Deno.readTextFile(path)).split("\n");
    lines.pop(); // after the last newline: empty, or a torn row
    if (lines.length - 1 < state.rows) {
      throw new RangeError(
        `${path} has ${lines.length - 1} rows, the checkpoint expects ${state.rows}`,
      );
    }
    // Rows hold numbers only, so commas only separate cells; later header growth only
    // appended empty cells, which the cut removes.
    const width = state.keys.length;
    const rows = lines.slice(1, 1 + state.rows).map((l) => l.split(",").slice(0, width).join(","));
    await writeTextFileAtomic(path, [state.keys.join(","), ...rows].map((l) => `${l}\n`).join(""));
    return writer;
  }

  /** Header keys and rows written, for a checkpoint. */
  state(): ProgressCsvState {
    return { keys: [...this.#keys], rows: this.#rows };
  }

  /**
   * Write one row (SB3 `CSVOutputFormat.write`).
   * @param row Keys to values; keys not in the header are added to it.
   */
  async write(row: CsvRow): Promise<void> {
    const extra = Object.keys(row).filter((k) => !this.#keys.includes(k)).sort();
    const line = (keys: string[]) =>
      keys.map((k) => (k in row ? pythonNumber(row[k]) : "")).join(",");
    if (extra.length > 0) {
      await assertNoSymlinks(this.path);
      const old = this.#rows === 0 ? [] : (await Deno.readTextFile(this.path)).split("\n").slice(
        1,
        1 + this.#rows,
      );
      this.#keys.push(...extra);
      const pad = ",".repeat(extra.length);
      const text = [this.#keys.join(","), ...old.map((l) => l + pad), line(this.#keys)]
        .map((l) => `${l}\n`).join("");
      await writeTextFileAtomic(this.path, text);
    } else {
      await assertNoSymlinks(this.path);
      const file = await Deno.open(this.path, { append: true, create: true });
      try {
        const bytes = new TextEncoder().encode(`${line(this.#keys)}\n`);
        let written = 0;
        while (written < bytes.length) written += await file.write(bytes.subarray(written));
        await file.sync();
      } finally {
        file.close();
      }
    }
    this.#rows++;
  }
}
