/**
 * The AI4I 2020 Predictive Maintenance data set (UCI ML Repository, S. Matzka, 2020, CC BY 4.0; see
 * data/README.md): loading with a real CSV parser and row-level validation, feature construction,
 * a stratified held-out test set, standard scaling fitted on the training part only, and partitions
 * between consortium members.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parse } from "csv-parse/sync";
import { createRng, dirichlet, permutation } from "../data/rng.js";
import type { LabelledData } from "./types.js";

export type QualityType = "L" | "M" | "H";
export const QUALITY_TYPES: readonly QualityType[] = ["L", "M", "H"];

export type FailureMode = "TWF" | "HDF" | "PWF" | "OSF" | "RNF";
export const FAILURE_MODES: readonly FailureMode[] = ["TWF", "HDF", "PWF", "OSF", "RNF"];

/** One machine record, as in the file. */
export interface Ai4iRecord {
  readonly udi: number;
  readonly productId: string;
  readonly type: QualityType;
  readonly airTemperatureK: number;
  readonly processTemperatureK: number;
  readonly rotationalSpeedRpm: number;
  readonly torqueNm: number;
  readonly toolWearMin: number;
  readonly machineFailure: 0 | 1;
  readonly failureModes: Readonly<Record<FailureMode, 0 | 1>>;
}

export const AI4I_COLUMNS = [
  "UDI",
  "Product ID",
  "Type",
  "Air temperature [K]",
  "Process temperature [K]",
  "Rotational speed [rpm]",
  "Torque [Nm]",
  "Tool wear [min]",
  "Machine failure",
  "TWF",
  "HDF",
  "PWF",
  "OSF",
  "RNF",
] as const;

/** The shipped copy (data/ai4i2020.csv at the repository root). */
export const AI4I_DEFAULT_PATH = fileURLToPath(new URL("../../data/ai4i2020.csv", import.meta.url));

export class Ai4iFormatError extends Error {
  readonly code = "ai4i-format";
  constructor(
    message: string,
    /** 1-based line of the file where the problem is, when it is one line. */
    readonly line?: number,
  ) {
    super(message);
    this.name = "Ai4iFormatError";
  }
}

interface ParsedRow {
  readonly record: string[];
  readonly info: { readonly lines: number };
}

function parseNumber({ text, column, line }: { text: string; column: string; line: number }): number {
  const value = text === "" ? Number.NaN : Number(text);
  if (!Number.isFinite(value)) {
    throw new Ai4iFormatError(`line ${line}: column "${column}" is not a number: "${text}"`, line);
  }
  return value;
}

function parseFlag({ text, column, line }: { text: string; column: string; line: number }): 0 | 1 {
  if (text === "0") return 0;
  if (text === "1") return 1;
  throw new Ai4iFormatError(`line ${line}: column "${column}" must be 0 or 1, got "${text}"`, line);
}

/** Parses and validates the CSV text; throws `Ai4iFormatError` naming the line of the first bad row. */
export function parseAi4i({ text }: { text: string }): Ai4iRecord[] {
  let rows: ParsedRow[];
  try {
    rows = parse(text, {
      info: true,
      skip_empty_lines: true,
      trim: true,
      relax_column_count: true,
    }) as unknown as ParsedRow[];
  } catch (error) {
    throw new Ai4iFormatError(`not a readable CSV file: ${(error as Error).message}`);
  }
  const header = rows[0];
  if (header === undefined) throw new Ai4iFormatError("the file is empty: expected a header row");
  const expected = AI4I_COLUMNS.join(",");
  if (header.record.join(",") !== expected) {
    throw new Ai4iFormatError(
      `line ${header.info.lines}: header must be "${expected}", got "${header.record.join(",")}"`,
      header.info.lines,
    );
  }
  const records: Ai4iRecord[] = [];
  const seenUdi = new Set<number>();
  for (const { record: fields, info } of rows.slice(1)) {
    const line = info.lines;
    if (fields.length !== AI4I_COLUMNS.length) {
      throw new Ai4iFormatError(
        `line ${line}: expected ${AI4I_COLUMNS.length} fields, got ${fields.length}`,
        line,
      );
    }
    const field = (i: number): string => fields[i] as string;
    const num = (i: number): number =>
      parseNumber({ text: field(i), column: AI4I_COLUMNS[i] as string, line });
    const flag = (i: number): 0 | 1 => parseFlag({ text: field(i), column: AI4I_COLUMNS[i] as string, line });
    const udi = num(0);
    if (!Number.isInteger(udi) || seenUdi.has(udi)) {
      throw new Ai4iFormatError(`line ${line}: UDI "${field(0)}" is not a new integer id`, line);
    }
    seenUdi.add(udi);
    const type = field(2);
    if (type !== "L" && type !== "M" && type !== "H") {
      throw new Ai4iFormatError(`line ${line}: Type must be L, M or H, got "${type}"`, line);
    }
    const values = {
      airTemperatureK: num(3),
      processTemperatureK: num(4),
      rotationalSpeedRpm: num(5),
      torqueNm: num(6),
      toolWearMin: num(7),
    };
    if (values.airTemperatureK <= 0 || values.processTemperatureK <= 0) {
      throw new Ai4iFormatError(`line ${line}: temperatures in kelvin must be positive`, line);
    }
    if (values.rotationalSpeedRpm < 0 || values.torqueNm < 0 || values.toolWearMin < 0) {
      throw new Ai4iFormatError(`line ${line}: speed, torque and tool wear must not be negative`, line);
    }
    const failureModes = { TWF: flag(9), HDF: flag(10), PWF: flag(11), OSF: flag(12), RNF: flag(13) };
    records.push({
      udi,
      productId: field(1),
      type,
      ...values,
      machineFailure: flag(8),
      failureModes,
    });
  }
  if (records.length === 0) throw new Ai4iFormatError("the file has a header but no records");
  return records;
}

/** Reads and validates the AI4I CSV file (the shipped copy by default). */
export function loadAi4i({ path = AI4I_DEFAULT_PATH }: { path?: string } = {}): Ai4iRecord[] {
  return parseAi4i({ text: readFileSync(path, "utf8") });
}

/**
 * Model inputs, in order: the quality type one-hot, the five measurements, and two physically
 * meaningful derived quantities (mechanical power and the heat-dissipation temperature gap, which
 * the data set's PWF and HDF failure rules are stated in).
 */
export const AI4I_FEATURE_NAMES = [
  "type_L",
  "type_M",
  "type_H",
  "air_temperature_k",
  "process_temperature_k",
  "rotational_speed_rpm",
  "torque_nm",
  "tool_wear_min",
  "power_w",
  "temperature_gap_k",
] as const;

/** Columns that are not standard-scaled (the one-hot block). */
const UNSCALED_FEATURES = 3;

export function ai4iFeatureRow(record: Ai4iRecord): number[] {
  const power = record.torqueNm * record.rotationalSpeedRpm * ((2 * Math.PI) / 60);
  return [
    record.type === "L" ? 1 : 0,
    record.type === "M" ? 1 : 0,
    record.type === "H" ? 1 : 0,
    record.airTemperatureK,
    record.processTemperatureK,
    record.rotationalSpeedRpm,
    record.torqueNm,
    record.toolWearMin,
    power,
    record.processTemperatureK - record.airTemperatureK,
  ];
}

export class InvalidSplitError extends Error {
  readonly code = "invalid-split";
  constructor(message: string) {
    super(message);
    this.name = "InvalidSplitError";
  }
}

/**
 * A seeded stratified split: within each class the same fraction goes to the test part, so the test
 * part keeps the class rates (e.g. AI4I's 3.39% failures). Returns row indices, each sorted.
 */
export function stratifiedSplit({
  labels,
  testFraction,
  seed,
}: {
  labels: ArrayLike<number>;
  testFraction: number;
  seed: number;
}): { train: Uint32Array; test: Uint32Array } {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new InvalidSplitError(`testFraction must be in (0, 1), got ${testFraction}`);
  }
  const rng = createRng(seed);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const label = labels[i] as number;
    const rows = byClass.get(label) ?? [];
    rows.push(i);
    byClass.set(label, rows);
  }
  const train: number[] = [];
  const test: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const rows = byClass.get(label) as number[];
    const order = permutation({ n: rows.length, rng });
    const testCount = Math.round(rows.length * testFraction);
    order.forEach((position, rank) => (rank < testCount ? test : train).push(rows[position] as number));
  }
  const sorted = (xs: number[]): Uint32Array => Uint32Array.from(xs).sort();
  return { train: sorted(train), test: sorted(test) };
}

/** Per-column mean and standard deviation, fitted on training rows only. */
export interface StandardScaler {
  readonly mean: Float64Array;
  readonly std: Float64Array;
  /** Columns left as they are (one-hot indicators). */
  readonly passthrough: readonly boolean[];
}

export function fitStandardScaler({
  rows,
  passthrough,
}: {
  rows: readonly (readonly number[])[];
  passthrough?: readonly boolean[];
}): StandardScaler {
  const first = rows[0];
  if (first === undefined) throw new InvalidSplitError("cannot fit a scaler on zero rows");
  const width = first.length;
  const mean = new Float64Array(width);
  const std = new Float64Array(width);
  for (const row of rows) for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (row[j] as number);
  for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) / rows.length;
  for (const row of rows) {
    for (let j = 0; j < width; j++)
      std[j] = (std[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2;
  }
  for (let j = 0; j < width; j++) std[j] = Math.sqrt((std[j] as number) / rows.length) || 1;
  return { mean, std, passthrough: passthrough ?? new Array<boolean>(width).fill(false) };
}

export function applyStandardScaler({
  scaler,
  row,
}: {
  scaler: StandardScaler;
  row: readonly number[];
}): number[] {
  return row.map((value, j) =>
    scaler.passthrough[j] === true ? value : (value - (scaler.mean[j] as number)) / (scaler.std[j] as number),
  );
}

export class InvalidPartitionError extends Error {
  readonly code = "invalid-partition";
  constructor(message: string) {
    super(message);
    this.name = "InvalidPartitionError";
  }
}

function checkMembers(members: number): void {
  if (!Number.isInteger(members) || members < 1) {
    throw new InvalidPartitionError(`members must be a positive integer, got ${members}`);
  }
}

/**
 * The natural non-IID split between manufacturers: each member makes one product quality type.
 * Member m makes type L, M, H for m mod 3 = 0, 1, 2; when several members make the same type its rows
 * are dealt between them in seeded random order; with fewer than three members, type t goes to member
 * t mod members. Every row lands with exactly one member. Returns row indices (into `types`), sorted.
 */
export function partitionByQualityType({
  types,
  members,
  seed,
}: {
  types: readonly QualityType[];
  members: number;
  seed: number;
}): Uint32Array[] {
  checkMembers(members);
  const rng = createRng(seed);
  const parts: number[][] = Array.from({ length: members }, () => []);
  QUALITY_TYPES.forEach((type, t) => {
    const owners =
      members >= QUALITY_TYPES.length
        ? Array.from({ length: members }, (_, m) => m).filter((m) => m % QUALITY_TYPES.length === t)
        : [t % members];
    const rows: number[] = [];
    types.forEach((rowType, i) => rowType === type && rows.push(i));
    const order = permutation({ n: rows.length, rng });
    order.forEach((position, rank) => {
      (parts[owners[rank % owners.length] as number] as number[]).push(rows[position] as number);
    });
  });
  return parts.map((rows) => Uint32Array.from(rows).sort());
}

/**
 * The usual label-skew split: for each class, the shares of its rows per member are drawn from a
 * symmetric Dirichlet(alpha) (small alpha, strong skew). Rows are dealt in seeded order by those
 * shares, so each row lands with exactly one member. Returns row indices (into `labels`), sorted.
 */
export function partitionDirichlet({
  labels,
  alpha,
  members,
  seed,
}: {
  labels: ArrayLike<number>;
  alpha: number;
  members: number;
  seed: number;
}): Uint32Array[] {
  checkMembers(members);
  if (!(alpha > 0) || !Number.isFinite(alpha)) {
    throw new InvalidPartitionError(`alpha must be a positive number, got ${alpha}`);
  }
  const rng = createRng(seed);
  const parts: number[][] = Array.from({ length: members }, () => []);
  const classes = [...new Set(Array.from(labels))].sort((a, b) => a - b);
  for (const label of classes) {
    const rows: number[] = [];
    for (let i = 0; i < labels.length; i++) if (labels[i] === label) rows.push(i);
    const shares = dirichlet({ alpha, size: members, rng });
    const order = permutation({ n: rows.length, rng });
    // Cumulative cut points; the last member takes the remainder so nothing is lost to rounding.
    let start = 0;
    let cumulative = 0;
    for (let m = 0; m < members; m++) {
      cumulative += shares[m] as number;
      const end = m === members - 1 ? rows.length : Math.round(cumulative * rows.length);
      for (let r = start; r < end; r++) (parts[m] as number[]).push(rows[order[r] as number] as number);
      start = Math.max(start, end);
    }
  }
  return parts.map((rows) => Uint32Array.from(rows).sort());
}

export type Ai4iPartition = "quality-type" | { readonly kind: "dirichlet"; readonly alpha: number };

export interface Ai4iDataset {
  readonly train: LabelledData;
  readonly test: LabelledData;
  readonly members: readonly LabelledData[];
  readonly scaler: StandardScaler;
  /** Row indices into the loaded records. */
  readonly trainRows: Uint32Array;
  readonly testRows: Uint32Array;
  /** Per member, row indices into the loaded records. */
  readonly memberRows: readonly Uint32Array[];
}

function toLabelled({
  rows,
  records,
  scaler,
}: {
  rows: Uint32Array;
  records: readonly Ai4iRecord[];
  scaler: StandardScaler;
}): LabelledData {
  const width = AI4I_FEATURE_NAMES.length;
  const features = new Float32Array(rows.length * width);
  const labels = new Uint8Array(rows.length);
  rows.forEach((rowIndex, i) => {
    const record = records[rowIndex] as Ai4iRecord;
    features.set(applyStandardScaler({ scaler, row: ai4iFeatureRow(record) }), i * width);
    labels[i] = record.machineFailure;
  });
  return { features, labels, rows: rows.length, featureShape: [width], classes: 2 };
}

/**
 * The predictive-maintenance data for a federation: a stratified held-out test part (fixed by
 * `testSeed`, the same whatever the partition), scaling fitted on the training part only, and the
 * training part split between `members`.
 */
export function buildAi4iDataset({
  records,
  members,
  partition,
  seed,
  testFraction = 0.2,
  testSeed = 2020,
}: {
  records: readonly Ai4iRecord[];
  members: number;
  partition: Ai4iPartition;
  seed: number;
  testFraction?: number;
  testSeed?: number;
}): Ai4iDataset {
  checkMembers(members);
  const split = stratifiedSplit({
    labels: records.map((r) => r.machineFailure),
    testFraction,
    seed: testSeed,
  });
  const passthrough = AI4I_FEATURE_NAMES.map((_, j) => j < UNSCALED_FEATURES);
  const scaler = fitStandardScaler({
    rows: Array.from(split.train, (i) => ai4iFeatureRow(records[i] as Ai4iRecord)),
    passthrough,
  });
  const trainRecords = Array.from(split.train, (i) => records[i] as Ai4iRecord);
  const local =
    partition === "quality-type"
      ? partitionByQualityType({ types: trainRecords.map((r) => r.type), members, seed })
      : partitionDirichlet({
          labels: trainRecords.map((r) => r.machineFailure),
          alpha: partition.alpha,
          members,
          seed,
        });
  const memberRows = local.map((rows) => rows.map((i) => split.train[i] as number));
  return {
    train: toLabelled({ rows: split.train, records, scaler }),
    test: toLabelled({ rows: split.test, records, scaler }),
    members: memberRows.map((rows) => toLabelled({ rows, records, scaler })),
    scaler,
    trainRows: split.train,
    testRows: split.test,
    memberRows,
  };
}
