/**
 * A task's data schema: which columns of a member's own records are features (and how each becomes
 * numbers), which column is the label and what its classes are. Every member encodes its rows with the
 * same schema, so the model sees the same features in the same order everywhere.
 *
 * Scaling is fixed in the schema (a centre and a spread per numeric column, proposed by
 * `inferSchema` from one party's data and approved by governance with the rest of the task), not
 * computed from each member's rows: members then need to share nothing about their data to agree on it,
 * and the pinned schema hash fixes the features once for the task's life (docs/own-data.md).
 */
import { readFile } from "node:fs/promises";
import { keccak256, toUtf8Bytes } from "ethers";
import { canonicalJson } from "./canonical-json.js";
import { DataError } from "./errors.js";

/** A numeric column, standardised as (value - centre) / spread. */
export interface NumericFeature {
  readonly name: string;
  readonly type: "numeric";
  readonly centre: number;
  /** Positive; a constant column gets 1. */
  readonly spread: number;
  /** The range seen when the schema was drafted (informative; values outside it are accepted). */
  readonly range?: readonly [number, number];
}

/** A categorical column, one-hot encoded in the order of `categories`. */
export interface CategoricalFeature {
  readonly name: string;
  readonly type: "categorical";
  readonly categories: readonly string[];
}

/** A boolean column (`true`/`false`, `1`/`0`, `yes`/`no`), encoded as 1 or 0. */
export interface BooleanFeature {
  readonly name: string;
  readonly type: "boolean";
}

export type FeatureColumn = NumericFeature | CategoricalFeature | BooleanFeature;

export interface DataSchema {
  readonly version: 1;
  readonly features: readonly FeatureColumn[];
  /** The label column and its classes; a row's class is the index of its label value here. */
  readonly label: { readonly column: string; readonly classes: readonly string[] };
  /** Columns present in the files that the model does not use (identifiers, leaking columns). */
  readonly ignored?: readonly string[];
  /**
   * Time series: rows with the same `key` (a machine, a lot) ordered by the numeric `order` column (a
   * timestamp, a stage) make sequences; every run of `steps` consecutive rows is one example shaped
   * [steps, features], labelled with its last row's label. Rows of a key with fewer rows make none.
   */
  readonly sequence?: { readonly key: string; readonly order: string; readonly steps: number };
}

const BOOLEAN_TRUE = new Set(["true", "1", "yes"]);
const BOOLEAN_FALSE = new Set(["false", "0", "no"]);

/** Parses a boolean cell, or undefined when it is not one. */
export function parseBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (BOOLEAN_TRUE.has(v)) return true;
  if (BOOLEAN_FALSE.has(v)) return false;
  return undefined;
}

/** The number of model inputs a schema produces (one per numeric or boolean, one per category). */
export function featureWidth(schema: DataSchema): number {
  let width = 0;
  for (const f of schema.features) width += f.type === "categorical" ? f.categories.length : 1;
  return width;
}

/** The shape of one example under the schema: [features], or [steps, features] for a time series. */
export function schemaInputShape(schema: DataSchema): number[] {
  const width = featureWidth(schema);
  return schema.sequence ? [schema.sequence.steps, width] : [width];
}

/** Every column a record must have, in schema order: features, label, ignored. */
export function schemaColumns(schema: DataSchema): string[] {
  return [
    ...schema.features.map((f) => f.name),
    schema.label.column,
    ...(schema.sequence ? [schema.sequence.key, schema.sequence.order] : []),
    ...(schema.ignored ?? []),
  ];
}

/** Canonical JSON of a schema (keys sorted, no whitespace): the bytes the schema hash is taken over. */
export function canonicalSchemaJson(schema: DataSchema): string {
  return canonicalJson(schema);
}

/** keccak256 of the canonical JSON: what a task pins so every member encodes rows the same way. */
export function schemaHash(schema: DataSchema): string {
  return keccak256(toUtf8Bytes(canonicalSchemaJson(schema)));
}

/** Checks a parsed schema file; the error names the first problem and where it is. */
export function validateSchema({ schema, source = "schema" }: { schema: unknown; source?: string }): DataSchema {
  const fail = (message: string): never => {
    throw new DataError({ code: "bad-schema", message: `${source}: ${message}` });
  };
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) fail("must be a JSON object");
  const s = schema as Record<string, unknown>;
  if (s["version"] !== 1) fail(`version must be 1, got ${JSON.stringify(s["version"])}`);
  const label = s["label"] as Record<string, unknown> | undefined;
  if (typeof label !== "object" || label === null) fail("label must be an object { column, classes }");
  const labelColumn = label!["column"];
  if (typeof labelColumn !== "string" || labelColumn === "") fail("label.column must be a column name");
  const classes = label!["classes"];
  if (!Array.isArray(classes) || classes.length < 2 || !classes.every((c) => typeof c === "string"))
    fail("label.classes must list at least two class values as strings");
  if (new Set(classes as string[]).size !== (classes as string[]).length) fail("label.classes has a duplicate");
  const features = s["features"];
  if (!Array.isArray(features) || features.length === 0) fail("features must be a non-empty array");
  const seen = new Set<string>([labelColumn as string]);
  (features as unknown[]).forEach((raw, i) => {
    const where = `features[${i}]`;
    if (typeof raw !== "object" || raw === null) fail(`${where} must be an object`);
    const f = raw as Record<string, unknown>;
    const name = f["name"];
    if (typeof name !== "string" || name === "") fail(`${where}.name must be a column name`);
    if (seen.has(name as string)) fail(`column "${String(name)}" appears twice`);
    seen.add(name as string);
    switch (f["type"]) {
      case "numeric":
        if (typeof f["centre"] !== "number" || !Number.isFinite(f["centre"]))
          fail(`${where} ("${String(name)}"): centre must be a finite number`);
        if (typeof f["spread"] !== "number" || !Number.isFinite(f["spread"]) || f["spread"] <= 0)
          fail(`${where} ("${String(name)}"): spread must be a positive finite number`);
        break;
      case "categorical": {
        const categories = f["categories"];
        if (!Array.isArray(categories) || categories.length === 0 || !categories.every((c) => typeof c === "string"))
          fail(`${where} ("${String(name)}"): categories must list the category values as strings`);
        if (new Set(categories as string[]).size !== (categories as string[]).length)
          fail(`${where} ("${String(name)}"): a category appears twice`);
        break;
      }
      case "boolean":
        break;
      default:
        fail(`${where} ("${String(name)}"): type must be numeric, categorical or boolean`);
    }
  });
  const sequence = s["sequence"];
  if (sequence !== undefined) {
    if (typeof sequence !== "object" || sequence === null) fail("sequence must be { key, order, steps }");
    const q = sequence as Record<string, unknown>;
    for (const field of ["key", "order"]) {
      const c = q[field];
      if (typeof c !== "string" || c === "") fail(`sequence.${field} must be a column name`);
      if (seen.has(c as string)) fail(`column "${String(c)}" is used twice (sequence.${field})`);
      seen.add(c as string);
    }
    const steps = q["steps"];
    if (typeof steps !== "number" || !Number.isInteger(steps) || steps < 2 || steps > 1024)
      fail("sequence.steps must be an integer from 2 to 1024");
  }
  const ignored = s["ignored"];
  if (ignored !== undefined) {
    if (!Array.isArray(ignored) || !ignored.every((c) => typeof c === "string"))
      fail("ignored must list column names");
    for (const c of ignored as string[]) {
      if (seen.has(c)) fail(`column "${c}" is both used and ignored`);
      seen.add(c);
    }
  }
  return schema as DataSchema;
}

/** Reads and checks a schema file. */
export async function readSchemaFile(path: string): Promise<DataSchema> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (error) {
    throw new Error(`cannot read schema file ${path}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${path}: not JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateSchema({ schema: parsed, source: path });
}
