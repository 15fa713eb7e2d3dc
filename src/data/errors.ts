/** Codes of `DataError`. */
export type DataErrorCode =
  | "bad-schema"
  | "bad-format"
  | "empty-file"
  | "no-rows"
  | "missing-column"
  | "extra-column"
  | "wrong-delimiter"
  | "field-count"
  | "not-a-number"
  | "not-finite"
  | "not-a-boolean"
  | "unknown-category"
  | "unknown-class"
  | "missing-value"
  | "bad-json"
  | "duplicate-order";

/**
 * A member's data file (or a schema) that cannot be used. The message names the file, the line and the
 * column, because an engineer fixes it in the file: `records.csv:12: column "Torque": "abc" is not a number`.
 */
export class DataError extends Error {
  readonly code: DataErrorCode;
  readonly file?: string;
  readonly line?: number;
  readonly column?: string;
  constructor({
    code,
    message,
    file,
    line,
    column,
  }: {
    code: DataErrorCode;
    message: string;
    file?: string;
    line?: number;
    column?: string;
  }) {
    const where = file === undefined ? "" : line === undefined ? `${file}: ` : `${file}:${line}: `;
    super(`${where}${column === undefined ? "" : `column "${column}": `}${message}`);
    this.name = "DataError";
    this.code = code;
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
