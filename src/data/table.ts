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
  /** Time-series schemas, when the rows were kept: sequence keys, and examples (windows) built. */
  readonly sequences?: number;
  readonly windows?: number;
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
  const sequence = schema.sequence;
  const seqKeys = new Map<string, number>();
  const keyOf: number[] = [];
  const orderOf: number[] = [];
  const lineOf: number[] = [];
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
    if (sequence) {
      const keyText = cellText(record.cells.get(sequence.key) ?? null).trim();
      if (keyText === "")
        throw new DataError({ code: "missing-value", file, line, column: sequence.key, message: "is empty" });
      const orderCell = record.cells.get(sequence.order) ?? null;
      const orderText = cellText(orderCell).trim();
      const order = typeof orderCell === "number" ? orderCell : orderText === "" ? Number.NaN : Number(orderText);
      if (!Number.isFinite(order))
        throw new DataError({
          code: "not-a-number",
          file,
          line,
          column: sequence.order,
          message: `${JSON.stringify(orderText)} is not a finite number (the sequence order)`,
        });
      let k = seqKeys.get(keyText);
      if (k === undefined) seqKeys.set(keyText, (k = seqKeys.size));
      keyOf.push(k);
      orderOf.push(order);
      lineOf.push(line);
    }
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
  const flat: LabelledData = {
    features: columns.features.slice(0, rows * width),
    labels: columns.labels.slice(0, rows),
    rows,
    featureShape: [width],
    classes: schema.label.classes.length,
  };
  if (!sequence) return { summary, ...(groups ? { groups } : {}), data: flat };
  const windows = sequenceWindows({ flat, keyOf, orderOf, lineOf, steps: sequence.steps, file, column: sequence.order });
  return {
    summary: { ...summary, sequences: seqKeys.size, windows: windows.ends.length },
    ...(groups ? { groups: { ...groups, ofRow: Uint32Array.from(windows.ends, (r) => groups.ofRow[r]!) } } : {}),
    data: windows.data,
  };
}

/**
 * Examples of a time-series schema: rows grouped by key and sorted by order, every run of `steps`
 * consecutive rows of a key one example [steps, width] labelled with its last row. `ends` holds each
 * example's last row (for its group). Two rows of one key with the same order are refused.
 */
function sequenceWindows({
  flat,
  keyOf,
  orderOf,
  lineOf,
  steps,
  file,
  column,
}: {
  flat: LabelledData;
  keyOf: readonly number[];
  orderOf: readonly number[];
  lineOf: readonly number[];
  steps: number;
  file: string;
  column: string;
}): { data: LabelledData; ends: number[] } {
  const width = flat.featureShape[0]!;
  const byKey = new Map<number, number[]>();
  keyOf.forEach((k, row) => {
    let list = byKey.get(k);
    if (!list) byKey.set(k, (list = []));
    list.push(row);
  });
  const runs: number[][] = [];
  for (const list of byKey.values()) {
    list.sort((a, b) => orderOf[a]! - orderOf[b]! || a - b);
    for (let i = 1; i < list.length; i++)
      if (orderOf[list[i]!] === orderOf[list[i - 1]!])
        throw new DataError({
          code: "duplicate-order",
          file,
          line: lineOf[list[i]!]!,
          column,
          message: `${orderOf[list[i]!]} repeats the order of line ${lineOf[list[i - 1]!]} for the same sequence key`,
        });
    for (let end = steps - 1; end < list.length; end++) runs.push(list.slice(end - steps + 1, end + 1));
  }
  const features = new Float32Array(runs.length * steps * width);
  const labels = new Uint8Array(runs.length);
  runs.forEach((run, w) => {
    run.forEach((row, t) =>
      features.set(flat.features.subarray(row * width, (row + 1) * width), (w * steps + t) * width),
    );
    labels[w] = flat.labels[run[steps - 1]!]!;
  });
  return {
    data: { features, labels, rows: runs.length, featureShape: [steps, width], classes: flat.classes },
    ends: runs.map((run) => run[steps - 1]!),
  };
}

function tally(counts: Map<string, Map<string, number>>, column: string, value: string): void {
  let m = counts.get(column);
  if (!m) counts.set(column, (m = new Map<string, number>()));
  m.set(value, (m.get(value) ?? 0) + 1);
}
