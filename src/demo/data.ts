/**
 * What the demo federates: a built-in data set, or any CSV / JSON Lines file with its schema (given, or
 * inferred from `--label` and written beside the report) and the task's model (a model.json, or the model
 * proposed for the schema). Every member's rows are split once more into what it trains on and a held-out
 * part of its own, on which the report scores the final model per member.
 */
import { writeFile } from "node:fs/promises";
import { basename, join } from "node:path";
import {
  createRng,
  inferSchema,
  permutation,
  readSchemaFile,
  scanRecords,
  type DataSchema,
  type LabelledData,
  type RecordSource,
} from "../data/index.js";
import {
  AI4I_COMPACT_MODEL_SPEC,
  loadDataset,
  builtinTaskModelReference,
  resolveTaskModel,
  selectRows,
  stratifiedSplit,
  taskInitialParams,
  modelDimension,
  modelName,
  readModelFile,
  familyPolicyOf,
  type ModelFile,
} from "../learning/index.js";
import { defaultSupportMembers } from "../governance/index.js";
import { findInstance, readInstanceRegistry } from "../zk/setup/index.js";
import type { DemoOptions } from "./types.js";

/** The share of each member's rows it keeps back to be scored on (`perMember`). */
export const MEMBER_HOLDOUT_FRACTION = 0.2;
/** The share of an own-data file kept back as the shared test set. */
export const TEST_FRACTION = 0.2;

export interface DemoData {
  /** "ai4i", "supplychain", or the file's name. */
  readonly name: string;
  /** The task's model: a TF.js model or a histogram forest. */
  readonly model: ModelFile;
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
  /** Own data with `--label`: the file the inferred schema was written to. */
  readonly schemaFile?: string;
  /** How members' rows were assigned: "stratified", "natural" or `column "<name>"`. */
  readonly split: string;
  /** Local training settings when the model needs its own (the compact preset); else the demo's. */
  readonly training?: { readonly epochs: number; readonly batchSize: number; readonly learningRate: number };
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

/** Local training of the compact preset. */
export const COMPACT_TRAINING = { epochs: 2, batchSize: 64, learningRate: 0.05 } as const;

/**
 * The compact preset a built-in data set uses on a circuit that proves few entries (the `test` circuit's
 * 16 are 0.9% of the default AI4I model: three rounds of them move nothing visible). Undefined: the default.
 */
export function compactPresetFor({
  dataset,
  maxEntries,
}: {
  dataset: DemoOptions["dataset"];
  maxEntries: number;
}): string | undefined {
  return dataset === "ai4i" && maxEntries <= 16 ? `preset:${AI4I_COMPACT_MODEL_SPEC.id}` : undefined;
}

/** What the demo runs once its defaults are applied (`planDemoModel`). */
export interface DemoPlan {
  /** The circuit instance. */
  readonly circuit: string;
  /** The model reference for a built-in data set (the one named, or the default); undefined with own data. */
  readonly model?: string;
  /** Why the default model is not the data set's usual one (a circuit that proves few entries). */
  readonly modelNote?: string;
  readonly rounds: number;
  /** q of the forest's support veto; undefined without it. */
  readonly supportMembers?: number;
}

/** Rounds of a neural model when --rounds is not given (a forest runs its depth: it grows one level a round). */
const DEFAULT_DEMO_ROUNDS = 3;

/**
 * What the demo decides before any chain or proof. With nothing named it federates the data set's default
 * model (`builtinTaskModelReference`: on AI4I the histogram forest, the model that reaches a centralised
 * forest's quality; the MLP when the rule or defense asked for is not the forest's; on a circuit that
 * proves 16 entries or fewer the compact MLP), on the smallest circuit instance that reaches it
 * (`large` for the forest), for as many rounds as a forest has levels (else 3), with the forest's support
 * defense on unless `--defense none`. Refused here, with one line: a rule the model's family cannot take, a
 * defense it has no use for, a q out of range.
 */
export async function planDemoModel(
  options: Pick<
    DemoOptions,
    "model" | "data" | "dataset" | "circuit" | "rule" | "defense" | "supportMembers" | "members" | "rounds"
  >,
): Promise<DemoPlan> {
  const neuralOnly = (options.rule !== undefined && options.rule !== "sum") || options.defense === "screened";
  let reference = options.data ? options.data.modelFile : options.model;
  let modelNote: string | undefined;
  if (!options.data && reference === undefined) {
    if (options.circuit === undefined)
      reference = builtinTaskModelReference({ dataset: options.dataset, maxParams: Infinity, neuralOnly });
    else {
      const { parameters } = await findInstance({ instance: options.circuit });
      reference = compactPresetFor({ dataset: options.dataset, maxEntries: parameters.K });
      if (reference !== undefined)
        modelNote = `the circuit proves ${parameters.K} entries per update: a compact model learns within them`;
      else
        reference = builtinTaskModelReference({
          dataset: options.dataset,
          maxParams: 2 ** parameters.IDX_BITS,
          neuralOnly,
        });
    }
  }
  const model = reference === undefined ? undefined : await readModelFile(reference);
  const needs = model && familyPolicyOf(model)?.rule;
  const defense = options.defense ?? (needs !== undefined ? "support" : "none");
  let supportMembers: number | undefined;
  if (defense === "support") {
    if (needs === undefined)
      throw new Error(
        "--defense support vetoes splits of a histogram forest's counts: name one with --model (preset:ai4i-forest)",
      );
    supportMembers = options.supportMembers ?? defaultSupportMembers(options.members);
    if (!Number.isInteger(supportMembers) || supportMembers < 2 || supportMembers > options.members)
      throw new Error(`--support-members must be an integer from 2 to --members (${options.members})`);
  } else if (options.supportMembers !== undefined)
    throw new Error("--support-members needs --defense support");
  if (needs !== undefined && options.rule !== undefined && options.rule !== needs)
    throw new Error(
      `model "${modelName(model!)}" needs rule ${needs} (its parameters are counts), not ${options.rule}`,
    );
  const plan = {
    ...(reference !== undefined && !options.data ? { model: reference } : {}),
    ...(modelNote !== undefined ? { modelNote } : {}),
    rounds: options.rounds ?? (model?.family === "forest" ? model.forest.depth : DEFAULT_DEMO_ROUNDS),
    ...(supportMembers !== undefined ? { supportMembers } : {}),
  };
  return { ...plan, circuit: options.circuit ?? (await smallestCircuitFor(model)) };
}

/** The registry's instance with the fewest index bits that reach the model's d (`demo` without a model). */
async function smallestCircuitFor(model: ModelFile | undefined): Promise<string> {
  if (model === undefined) return "demo";
  const d = modelDimension(model);
  const demo = await findInstance({ instance: "demo" });
  if (d <= 2 ** demo.parameters.IDX_BITS) return "demo";
  // Among equals, the most entries per proof.
  const fitting = (await readInstanceRegistry())
    .filter((i) => d <= 2 ** i.parameters.IDX_BITS)
    .sort((a, b) => a.parameters.IDX_BITS - b.parameters.IDX_BITS || b.parameters.K - a.parameters.K);
  if (fitting.length === 0)
    throw new Error(`model "${modelName(model)}" has d = ${d}: no circuit instance's indices reach it`);
  return fitting[0]!.name;
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
    const task = await resolveTaskModel({
      dataset: options.dataset,
      maxParams,
      ...(options.model !== undefined ? { modelFile: options.model } : {}),
    });
    const initial = await taskInitialParams({ model: task, seed: options.seed });
    return {
      name: options.dataset,
      model: task,
      members: parts.map((p) => p.train),
      holdouts: parts.map((p) => p.holdout),
      test: dataset.test,
      modelId: task.modelId,
      topologyHash: task.topologyHash,
      dataHash: task.dataHash,
      initialParams: initial.params,
      initialWeights: initial.from,
      split: "natural",
      // A 54-parameter model learns little from one epoch at 0.01. Chosen on validation rows carved from
      // each member's training rows (seeds 7-9, 3 dense rounds, mean macro-F1): 1 epoch at 0.01 0.582,
      // 2 at 0.02 0.672, 2 at 0.05 0.677, 2 at 0.1 0.687 (within noise of 0.05, which stays further
      // from the update bounds). Never on the test set.
      ...(modelName(task) === AI4I_COMPACT_MODEL_SPEC.id ? { training: COMPACT_TRAINING } : {}),
    };
  }
  const source: RecordSource = {
    path: own.path,
    ...(own.format ? { format: own.format } : {}),
    ...(own.delimiter ? { delimiter: own.delimiter } : {}),
  };
  let schema: DataSchema;
  let schemaFile: string | undefined;
  if (own.schemaFile !== undefined) schema = await readSchemaFile(own.schemaFile);
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

  const task = await resolveTaskModel({
    ...(own.modelFile !== undefined ? { modelFile: own.modelFile } : {}),
    schema,
    maxParams,
  });
  const initial = await taskInitialParams({ model: task, seed: options.seed });
  return {
    name: basename(own.path),
    model: task,
    members: parts.map((p) => p.train),
    holdouts: parts.map((p) => p.holdout),
    test: selectRows({ data: rows, rows: test }),
    modelId: task.modelId,
    topologyHash: task.topologyHash,
    dataHash: task.dataHash,
    initialParams: initial.params,
    initialWeights: initial.from,
    ...(schemaFile ? { schemaFile } : {}),
    split: groups ? `column "${groups.column}"` : "stratified",
  };
}
