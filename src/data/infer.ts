/**
 * `inferSchema`: a schema draft from one file, for a person to review (`cfl data infer-schema`), so nobody
 * writes a schema from scratch. One streaming pass; numeric statistics by Welford's method.
 */
import { basename } from "node:path";
import { DataError } from "./errors.js";
import { readRecords, type Cell, type RecordSource } from "./records.js";
import { parseBoolean, type DataSchema, type FeatureColumn } from "./schema.js";

/** Most distinct values a text column may have to be drafted as categorical (more: an identifier). */
export const MAX_DRAFT_CATEGORIES = 32;

interface ColumnStats {
  count: number;
  numeric: boolean;
  boolean: boolean;
  mean: number;
  m2: number;
  min: number;
  max: number;
  /** Whether every value is the previous one plus 1: a row number, not a measurement. */
  sequential: boolean;
  previous: number;
  /** Distinct values, up to MAX_DRAFT_CATEGORIES + 1 (enough to know there are too many). */
  distinct: Set<string>;
}

function newStats(): ColumnStats {
  return {
    count: 0,
    numeric: true,
    boolean: true,
    mean: 0,
    m2: 0,
    min: Infinity,
    max: -Infinity,
    sequential: true,
    previous: NaN,
    distinct: new Set(),
  };
}

function observe(stats: ColumnStats, cell: Cell): void {
  const text = (cell === null ? "" : String(cell)).trim();
  stats.count++;
  if (stats.distinct.size <= MAX_DRAFT_CATEGORIES) stats.distinct.add(text);
  if (typeof cell !== "boolean" && parseBoolean(text) === undefined) stats.boolean = false;
  const value = typeof cell === "number" ? cell : Number(text);
  if (typeof cell === "boolean" || text === "" || !Number.isFinite(value)) {
    stats.numeric = false;
    return;
  }
  if (stats.count > 1 && value !== stats.previous + 1) stats.sequential = false;
  stats.previous = value;
  const delta = value - stats.mean;
  stats.mean += delta / stats.count;
  stats.m2 += delta * (value - stats.mean);
  stats.min = Math.min(stats.min, value);
  stats.max = Math.max(stats.max, value);
}

/** Rounds a statistic for a readable draft (6 significant digits). */
function round6(value: number): number {
  return Number(value.toPrecision(6));
}

const naturalOrder = (a: string, b: string): number => {
  const x = Number(a);
  const y = Number(b);
  return Number.isFinite(x) && Number.isFinite(y) ? x - y : a < b ? -1 : a > b ? 1 : 0;
};

/**
 * Drafts a schema: the label's distinct values become its classes; a column of 0/1 or true/false values
 * is boolean; a numeric column is standardised with its mean and standard deviation; a text column with at
 * most `MAX_DRAFT_CATEGORIES` values is categorical; any other column is listed as ignored. `notes` say
 * why, one line per decision a reviewer should look at.
 */
export async function inferSchema({
  source,
  label,
}: {
  source: RecordSource;
  label: string;
}): Promise<{ schema: DataSchema; rows: number; notes: string[] }> {
  const file = basename(source.path);
  const stats = new Map<string, ColumnStats>();
  let order: string[] | undefined;
  let rows = 0;
  for await (const record of readRecords({ source })) {
    if (!order) {
      order = [...record.cells.keys()];
      if (!record.cells.has(label))
        throw new DataError({
          code: "missing-column",
          file,
          line: record.line,
          column: label,
          message: `the label column is not in the file (columns: ${order.join(", ")})`,
        });
      for (const c of order) stats.set(c, newStats());
    }
    for (const [column, cell] of record.cells) {
      const s = stats.get(column);
      if (!s)
        throw new DataError({ code: "extra-column", file, line: record.line, column, message: "is not in the first row" });
      observe(s, cell);
    }
    rows++;
  }
  const notes: string[] = [];
  const labelStats = stats.get(label)!;
  if (labelStats.distinct.size > MAX_DRAFT_CATEGORIES)
    throw new DataError({
      code: "bad-schema",
      file,
      column: label,
      message: `has more than ${MAX_DRAFT_CATEGORIES} distinct values: a classification label needs a few classes`,
    });
  const classes = [...labelStats.distinct].sort(naturalOrder);
  if (classes.length < 2)
    throw new DataError({ code: "bad-schema", file, column: label, message: "has a single value: nothing to learn" });
  const features: FeatureColumn[] = [];
  const ignored: string[] = [];
  for (const column of order ?? []) {
    if (column === label) continue;
    const s = stats.get(column)!;
    if (s.count < rows) {
      ignored.push(column);
      notes.push(`"${column}": missing in some rows, ignored`);
    } else if (s.boolean && s.distinct.size <= 2) {
      features.push({ name: column, type: "boolean" });
    } else if (s.numeric && s.sequential && rows > 2) {
      ignored.push(column);
      notes.push(`"${column}": counts up by one from row to row, ignored as a row number`);
    } else if (s.numeric) {
      const spread = Math.sqrt(s.m2 / s.count);
      features.push({
        name: column,
        type: "numeric",
        centre: round6(s.mean),
        spread: spread > 0 ? round6(spread) : 1,
        range: [s.min, s.max],
      });
      if (spread === 0) notes.push(`"${column}": constant (${s.min}); it carries no information`);
    } else if (s.distinct.size <= MAX_DRAFT_CATEGORIES) {
      features.push({ name: column, type: "categorical", categories: [...s.distinct].sort(naturalOrder) });
    } else {
      ignored.push(column);
      notes.push(`"${column}": more than ${MAX_DRAFT_CATEGORIES} distinct text values, ignored as an identifier`);
    }
  }
  if (features.length === 0)
    throw new DataError({ code: "bad-schema", file, message: "no column can be a feature" });
  notes.push(
    "review before proposing: columns that reveal the label (such as failure-mode flags next to a failure label) must be moved to `ignored`",
  );
  return {
    schema: { version: 1, features, label: { column: label, classes }, ...(ignored.length > 0 ? { ignored } : {}) },
    rows,
    notes,
  };
}
