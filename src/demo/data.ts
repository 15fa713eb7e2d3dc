/**
 * What the demo federates: a built-in data set, or any CSV / JSON Lines file with its schema (given, or
 * inferred from `--label` and written beside the report) and the task's model (a model.json, or the model
 * proposed for the schema). Every member's rows are split once more into what it trains on and a held-out
 * part of its own, on which the report scores the final model per member.
 */
import { readFile, writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  createRng,
  schemaInputShape,
  permutation,
  inferSchema,
  scanRecords,
  schemaHash,
  validateSchema,
  type DataSchema,
  type LabelledData,
  type RecordSource,
} from "../data/index.js";
import {
  builtinDataHash,
  checkModelFitsSchema,
  defaultModelForSchema,
  initialParams,
  loadDataset,
  readInitialWeights,
  readModelFile,
  selectRows,
  stratifiedSplit,
  taskModelId,
  topologyHash,
  type ModelFile,
  type ModelSpec,
} from "../learning/index.js";
import type { DemoOptions } from "./types.js";

/** The share of each member's rows it keeps back to be scored on (`perMember`). */
export const MEMBER_HOLDOUT_FRACTION = 0.2;
/** The share of an own-data file kept back as the shared test set. */
export const TEST_FRACTION = 0.2;

export interface DemoData {
  /** "ai4i", "supplychain", or the file's name. */
  readonly name: string;
  readonly spec: ModelSpec;
  /** What each member trains on. */
  readonly members: readonly LabelledData[];
  /** Each member's own held-out rows. */
  readonly holdouts: readonly LabelledData[];
  /** The shared test set. */
  readonly test: LabelledData;
  readonly modelId: string;
  readonly topologyHash: string;
  readonly dataHash: string;
  readonly initialParams: Float32Array;
  /** Where the initial parameters came from. */
  readonly initialWeights: string;
  /** Set for own data: the schema (and the file it was written to when inferred). */
  readonly schema?: { readonly hash: string; readonly file?: string; readonly inferred: boolean };
  /** How members' rows were assigned: "stratified", "natural" or `column "<name>"`. */
  readonly split: string;
}

function holdOut(data: LabelledData, seed: number): { train: LabelledData; holdout: LabelledData } {
  if (data.rows < 10) return { train: data, holdout: selectRows({ data, rows: new Uint32Array(0) }) };
  const { train, test } = stratifiedSplit({
    labels: data.labels,
    testFraction: MEMBER_HOLDOUT_FRACTION,
    seed,
  });
  return { train: selectRows({ data, rows: train }), holdout: selectRows({ data, rows: test }) };
}

/** Rows of `rows` dealt to `members` round-robin within each class, in a seeded order. */
function stratifiedShares({
  labels,
  rows,
  members,
  seed,
}: {
  labels: ArrayLike<number>;
  rows: Uint32Array;
  members: number;
  seed: number;
}): Uint32Array[] {
  const order = permutation({ n: rows.length, rng: createRng(seed) });
  const byClass = new Map<number, number[]>();
  for (const i of order) {
    const r = rows[i]!;
    const l = labels[r]!;
    if (!byClass.has(l)) byClass.set(l, []);
    byClass.get(l)!.push(r);
  }
  const shares: number[][] = Array.from({ length: members }, () => []);
  let next = 0;
  for (const label of [...byClass.keys()].sort((a, b) => a - b))
    for (const r of byClass.get(label)!) shares[next++ % members]!.push(r);
  return shares.map((s) => Uint32Array.from(s).sort());
}

async function loadSchemaFile(path: string): Promise<DataSchema> {
  let json: unknown;
  try {
    json = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`, { cause: error });
  }
  return validateSchema({ schema: json, source: path });
}

/** Loads what the demo federates; `maxParams` is the circuit's index range (a proposed model fits it). */
export async function loadDemoData({
  options,
  maxParams,
  log,
}: {
  options: DemoOptions;
  maxParams: number;
  log: DemoOptions["log"];
}): Promise<DemoData> {
  const own = options.data;
  if (!own) {
    const dataset = loadDataset({ name: options.dataset, members: options.members, seed: options.seed });
    const parts = dataset.members.map((m, i) => holdOut(m, options.seed * 100 + i));
    const dataHash = builtinDataHash(options.dataset);
    const hash = topologyHash(dataset.spec.topology);
    return {
      name: options.dataset,
      spec: dataset.spec,
      members: parts.map((p) => p.train),
      holdouts: parts.map((p) => p.holdout),
      test: dataset.test,
      modelId: taskModelId({ topologyHash: hash, dataHash }),
      topologyHash: hash,
      dataHash,
      initialParams: initialParams({ spec: dataset.spec, seed: options.seed }),
      initialWeights: `drawn from seed ${options.seed}`,
      split: "natural",
    };
  }
  const source: RecordSource = {
    path: own.path,
    ...(own.format ? { format: own.format } : {}),
    ...(own.delimiter ? { delimiter: own.delimiter } : {}),
  };
  let schema: DataSchema;
  let schemaFile: string | undefined;
  if (own.schemaFile !== undefined) schema = await loadSchemaFile(own.schemaFile);
  else if (own.label !== undefined) {
    const inferred = await inferSchema({ source, label: own.label });
    schema = inferred.schema;
    schemaFile = join(options.out, "schema.json");
    await writeFile(schemaFile, JSON.stringify(schema, null, 2) + "\n");
    for (const note of inferred.notes) log("schema-note", { note });
    log("schema-inferred", {
      file: schemaFile,
      features: schema.features.length,
      note: "review it before a real task",
    });
  } else throw new Error("--data needs --schema <file> or --label <column>");

  const { data: all, groups } = await scanRecords({
    source,
    schema,
    keep: true,
    ...(own.splitBy !== undefined ? { groupBy: own.splitBy } : {}),
  });
  const rows = all!;
  const { train, test } = stratifiedSplit({
    labels: rows.labels,
    testFraction: TEST_FRACTION,
    seed: options.seed,
  });
  let shares: Uint32Array[];
  if (groups) {
    if (groups.values.length < options.members)
      throw new Error(
        `--split-by ${groups.column}: ${groups.values.length} distinct values (${groups.values.join(", ")}) for ${options.members} members`,
      );
    // Each value goes to one member (values beyond --members are dealt round-robin), as sites would hold them.
    const lists: number[][] = Array.from({ length: options.members }, () => []);
    for (const r of train) lists[groups.ofRow[r]! % options.members]!.push(r);
    shares = lists.map((l) => Uint32Array.from(l));
  } else
    shares = stratifiedShares({
      labels: rows.labels,
      rows: train,
      members: options.members,
      seed: options.seed,
    });
  const parts = shares.map((s, i) => holdOut(selectRows({ data: rows, rows: s }), options.seed * 100 + i));
  for (const [i, p] of parts.entries())
    if (p.train.rows === 0) throw new Error(`member ${i} has no rows to train on: use fewer --members`);

  let model: ModelFile;
  if (own.modelFile !== undefined) model = await readModelFile(own.modelFile);
  else {
    const spec = defaultModelForSchema({
      inputShape: schemaInputShape(schema),
      classes: schema.label.classes.length,
      maxParams,
    });
    model = { spec, topologyHash: topologyHash(spec.topology) };
  }
  checkModelFitsSchema({ spec: model.spec, schema });
  const withWeights = (model.weightPaths?.length ?? 0) > 0;
  const dataHash = schemaHash(schema);
  return {
    name: basename(own.path),
    spec: model.spec,
    members: parts.map((p) => p.train),
    holdouts: parts.map((p) => p.holdout),
    test: selectRows({ data: rows, rows: test }),
    modelId: taskModelId({ topologyHash: model.topologyHash, dataHash }),
    topologyHash: model.topologyHash,
    dataHash,
    initialParams: withWeights
      ? await readInitialWeights({ model })
      : initialParams({ spec: model.spec, seed: options.seed }),
    initialWeights: withWeights ? "weights file" : `drawn from seed ${options.seed}`,
    schema: {
      hash: dataHash,
      ...(schemaFile ? { file: schemaFile } : {}),
      inferred: schemaFile !== undefined,
    },
    split: groups ? `column "${groups.column}"` : "stratified",
  };
}
