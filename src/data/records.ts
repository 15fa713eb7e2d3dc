/**
 * Streaming readers for a member's own record files: CSV (with a header line) and JSON Lines (one object
 * per line). Files are read as streams, row by row, so a file of any size is never held whole in memory.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { basename } from "node:path";
import { createInterface } from "node:readline";
import { parse } from "csv-parse";
import { DataError } from "./errors.js";

export type RecordFormat = "csv" | "jsonl";

/** Where a member's records are. */
export interface RecordSource {
  readonly path: string;
  /** Default: from the extension (`.jsonl`/`.ndjson` → jsonl, otherwise csv). */
  readonly format?: RecordFormat;
  /** CSV only; default ",". */
  readonly delimiter?: string;
}

/** A cell as read: CSV cells are strings; JSON Lines cells keep their JSON type. */
export type Cell = string | number | boolean | null;

/** One data row with the 1-based line it starts on. */
export interface DataRecord {
  readonly line: number;
  readonly cells: ReadonlyMap<string, Cell>;
}

export function formatOf(source: RecordSource): RecordFormat {
  if (source.format) return source.format;
  return /\.(jsonl|ndjson)$/i.test(source.path) ? "jsonl" : "csv";
}

const OTHER_DELIMITERS = [";", "\t", "|"];

function checkColumns({
  file,
  line,
  present,
  expected,
}: {
  file: string;
  line: number;
  present: readonly string[];
  expected: readonly string[] | undefined;
}): void {
  if (!expected) return;
  const have = new Set(present);
  const missing = expected.filter((c) => !have.has(c));
  if (missing.length > 0)
    throw new DataError({
      code: "missing-column",
      file,
      line,
      column: missing[0],
      message: `missing (the schema needs ${missing.map((c) => `"${c}"`).join(", ")})`,
    });
  const wanted = new Set(expected);
  const extra = present.filter((c) => !wanted.has(c));
  if (extra.length > 0)
    throw new DataError({
      code: "extra-column",
      file,
      line,
      column: extra[0],
      message: "is not in the schema (list it under `ignored` if the model should not use it)",
    });
}

/**
 * Yields the data rows of a file. With `columns`, the header (CSV) or every object (JSON Lines) must have
 * exactly those columns. Fails with a `DataError` naming file, line and column for an empty file, a file
 * with a header and no rows, a header that looks split by another delimiter, a row with the wrong number
 * of fields, or a line that is not a JSON object.
 */
export async function* readRecords({
  source,
  columns,
}: {
  source: RecordSource;
  columns?: readonly string[];
}): AsyncGenerator<DataRecord> {
  const file = basename(source.path);
  const info = await stat(source.path).catch(() => undefined);
  if (!info?.isFile())
    throw new DataError({ code: "bad-format", file: source.path, message: "no such file" });
  if (info.size === 0) throw new DataError({ code: "empty-file", file, message: "the file is empty" });
  let rows = 0;
  if (formatOf(source) === "csv") {
    const delimiter = source.delimiter ?? ",";
    const parser = createReadStream(source.path).pipe(
      parse({ delimiter, bom: true, relax_column_count: true, skip_empty_lines: true, info: true }),
    );
    let header: string[] | undefined;
    for await (const chunk of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      const { record } = chunk;
      const line = chunk.info.lines;
      if (!header) {
        header = record.map((c) => c.trim());
        const other = OTHER_DELIMITERS.find((d) => header!.length === 1 && header![0]!.includes(d));
        if (other !== undefined)
          throw new DataError({
            code: "wrong-delimiter",
            file,
            line,
            message: `the header is one column containing ${JSON.stringify(other)}: the file seems to use ${JSON.stringify(other)} as its delimiter, not ${JSON.stringify(delimiter)}`,
          });
        checkColumns({ file, line, present: header, expected: columns });
        continue;
      }
      if (record.length !== header.length)
        throw new DataError({
          code: "field-count",
          file,
          line,
          message: `${record.length} fields, the header has ${header.length}`,
        });
      rows++;
      yield { line, cells: new Map(header.map((c, i) => [c, record[i]!])) };
    }
    if (!header) throw new DataError({ code: "empty-file", file, message: "the file has no header" });
  } else {
    const lines = createInterface({ input: createReadStream(source.path), crlfDelay: Infinity });
    let line = 0;
    for await (const text of lines) {
      line++;
      if (text.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch (error) {
        throw new DataError({ code: "bad-json", file, line, message: `not JSON: ${(error as Error).message}` });
      }
      if (typeof value !== "object" || value === null || Array.isArray(value))
        throw new DataError({ code: "bad-json", file, line, message: "each line must be one JSON object" });
      const entries = Object.entries(value as Record<string, unknown>);
      for (const [key, cell] of entries)
        if (cell !== null && !["string", "number", "boolean"].includes(typeof cell))
          throw new DataError({ code: "bad-json", file, line, column: key, message: "must be a string, number, boolean or null" });
      checkColumns({ file, line, present: entries.map(([k]) => k), expected: columns });
      rows++;
      yield { line, cells: new Map(entries as [string, Cell][]) };
    }
  }
  if (rows === 0) throw new DataError({ code: "no-rows", file, message: "the file has no data rows" });
}
