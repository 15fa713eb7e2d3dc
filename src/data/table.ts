/**
 * A member's own records turned into model inputs under the task's schema, streaming: every cell is
 * checked (numbers finite, categories and classes known, no empty cells), so bad data stops here with a
 * line and a column, before anything trains on it or reaches the chain.
 */
import { basename } from "node:path";
import { DataError } from "./errors.js";
import { readRecords, type Cell, type RecordSource } from "./records.js";
import { featureWidth, parseBoolean, schemaColumns, type DataSchema } from "./schema.js";
import type { LabelledData } from "./types.js";

/** What a file holds, per the schema: rows, class balance, feature ranges. */
export interface DataSummary {
  readonly file: string;
  readonly rows: number;
  /** Rows per class, in the schema's class order. */
  readonly classCounts: Readonly<Record<string, number>>;
  /** Numeric columns: min, max and mean as read (before scaling). */
  readonly numeric: Readonly<Record<string, { min: number; max: number; mean: number }>>;
  /** Categorical and boolean columns: rows per value. */
  readonly counts: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** Each row's value of a grouping column: `values[ofRow[i]]` is row i's. */
export interface RowGroups {
  readonly column: string;
  readonly values: readonly string[];
  readonly ofRow: Uint32Array;
}

function cellText(cell: Cell): string {
  return cell === null ? "" : String(cell);
}

/** Growable Float32/Uint8 buffers: the rows are not known in advance when streaming. */
class Columns {
  features: Float32Array;
  labels: Uint8Array;
  rows = 0;
  constructor(private readonly width: number) {
    this.features = new Float32Array(1024 * width);
    this.labels = new Uint8Array(1024);
  }
  row(): Float32Array {
    if (this.rows === this.labels.length) {
      const features = new Float32Array(this.features.length * 2);
      features.set(this.features);
      this.features = features;
      const labels = new Uint8Array(this.labels.length * 2);
      labels.set(this.labels);
      this.labels = labels;
    }
    return this.features.subarray(this.rows * this.width, (this.rows + 1) * this.width);
  }
}

/**
 * Reads and checks every row of `source` against `schema`. Returns the summary, and with `keep` the
 * encoded rows as `LabelledData` (features in schema order: numeric standardised, booleans 0/1,
 * categories one-hot).
 */
export async function scanRecords({
  source,
  schema,
  keep = false,
  groupBy,
}: {
  source: RecordSource;
  schema: DataSchema;
  keep?: boolean;
  /** A column of the schema (feature, label or ignored) whose value is recorded per row, e.g. a site. */
  groupBy?: string;
}): Promise<{ summary: DataSummary; data?: LabelledData; groups?: RowGroups }> {
  const file = basename(source.path);
  if (groupBy !== undefined && !schemaColumns(schema).includes(groupBy))
    throw new DataError({
      code: "missing-column",
      file,
      column: groupBy,
      message: `cannot split by a column the schema does not list (features, label or ignored)`,
    });
  const groupValues = new Map<string, number>();
  const groupOf: number[] = [];
  if (schema.label.classes.length > 256)
    throw new DataError({ code: "bad-schema", message: "at most 256 classes are supported" });
  const width = featureWidth(schema);
  const columns = keep ? new Columns(width) : undefined;
  const scratch = new Float32Array(width);
  const classIndex = new Map(schema.label.classes.map((c, i) => [c, i]));
  const categoryIndex = schema.features.map((f) =>
    f.type === "categorical" ? new Map(f.categories.map((c, i) => [c, i])) : undefined,
  );
  const classCounts = new Array<number>(schema.label.classes.length).fill(0);
  const numeric = new Map<string, { min: number; max: number; sum: number }>();
  const counts = new Map<string, Map<string, number>>();
  let rows = 0;
  for await (const record of readRecords({ source, columns: schemaColumns(schema) })) {
    const { line } = record;
    const out = columns ? columns.row() : scratch;
    let offset = 0;
    schema.features.forEach((feature, fi) => {
      const cell = record.cells.get(feature.name) ?? null;
      const text = cellText(cell).trim();
      const fail = (code: "missing-value" | "not-a-number" | "not-finite" | "not-a-boolean" | "unknown-category", message: string): never => {
        throw new DataError({ code, file, line, column: feature.name, message });
      };
      if (text === "") fail("missing-value", "is empty");
      switch (feature.type) {
        case "numeric": {
          const value = typeof cell === "number" ? cell : Number(text);
          if (Number.isNaN(value) && !/^[+-]?nan$/i.test(text))
            fail("not-a-number", `${JSON.stringify(text)} is not a number`);
          if (!Number.isFinite(value)) fail("not-finite", `${JSON.stringify(text)} is not a finite number`);
          out[offset++] = (value - feature.centre) / feature.spread;
          const range = numeric.get(feature.name);
          if (range) {
            range.min = Math.min(range.min, value);
            range.max = Math.max(range.max, value);
            range.sum += value;
          } else numeric.set(feature.name, { min: value, max: value, sum: value });
          break;
        }
        case "boolean": {
          const value = typeof cell === "boolean" ? cell : parseBoolean(text);
          if (value === undefined) fail("not-a-boolean", `${JSON.stringify(text)} is not true/false, 1/0 or yes/no`);
          out[offset++] = value ? 1 : 0;
          tally(counts, feature.name, value ? "true" : "false");
          break;
        }
        case "categorical": {
          const index = categoryIndex[fi]!.get(text);
          if (index === undefined)
            fail("unknown-category", `${JSON.stringify(text)} is not one of the schema's categories (${feature.categories.join(", ")})`);
          for (let c = 0; c < feature.categories.length; c++) out[offset + c] = c === index ? 1 : 0;
          offset += feature.categories.length;
          tally(counts, feature.name, text);
          break;
        }
      }
    });
    const labelText = cellText(record.cells.get(schema.label.column) ?? null).trim();
    const label = classIndex.get(labelText);
    if (label === undefined)
      throw new DataError({
        code: "unknown-class",
        file,
        line,
        column: schema.label.column,
        message: `${JSON.stringify(labelText)} is not one of the schema's classes (${schema.label.classes.join(", ")})`,
      });
    if (columns) {
      columns.labels[columns.rows] = label;
      columns.rows++;
    }
    classCounts[label]!++;
    if (groupBy !== undefined) {
      const value = cellText(record.cells.get(groupBy) ?? null).trim();
      let g = groupValues.get(value);
      if (g === undefined) groupValues.set(value, (g = groupValues.size));
      groupOf.push(g);
    }
    rows++;
  }
  const summary: DataSummary = {
    file,
    rows,
    classCounts: Object.fromEntries(schema.label.classes.map((c, i) => [c, classCounts[i]!])),
    numeric: Object.fromEntries(
      [...numeric].map(([name, r]) => [name, { min: r.min, max: r.max, mean: r.sum / rows }]),
    ),
    counts: Object.fromEntries([...counts].map(([name, m]) => [name, Object.fromEntries(m)])),
  };
  const groups =
    groupBy !== undefined ? { column: groupBy, values: [...groupValues.keys()], ofRow: Uint32Array.from(groupOf) } : undefined;
  if (!columns) return { summary, ...(groups ? { groups } : {}) };
  return {
    summary,
    ...(groups ? { groups } : {}),
    data: {
      features: columns.features.slice(0, rows * width),
      labels: columns.labels.slice(0, rows),
      rows,
      featureShape: [width],
      classes: schema.label.classes.length,
    },
  };
}

function tally(counts: Map<string, Map<string, number>>, column: string, value: string): void {
  let m = counts.get(column);
  if (!m) counts.set(column, (m = new Map<string, number>()));
  m.set(value, (m.get(value) ?? 0) + 1);
}
