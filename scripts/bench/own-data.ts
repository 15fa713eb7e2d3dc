/**
 * Benchmark: a member's own data.
 *
 * 1. AI4I 2020 through the own-data path (the CSV read under a reviewed schema, the model proposed for
 *    the schema) next to the built-in loader and preset, on the same rows: the same stratified test split
 *    (seed 2020), the same 4 members by product type, the same seeds and the settings the learning section
 *    chose on validation rows (Adam, its learning rate, k and scale). The two paths differ in features
 *    (the built-in loader adds power and temperature gap, scaled on training rows; the schema has the six
 *    raw columns, scaled by the schema's centre and spread) and so in d.
 *    A third path adds the loader's two derived columns to the CSV (as a plant's export could), so that
 *    the schema path has the same 10 inputs and the same d as the preset: only the scaling differs.
 * 2. Streaming: a large CSV (AI4I rows repeated) checked under the schema, peak RSS growth and time, next
 *    to the baseline of reading the file whole.
 *
 * Run alone: `npx tsx scripts/bench/own-data.ts`.
 */
import { createWriteStream } from "node:fs";
import { mkdtemp, readFile, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import { inferSchema, scanRecords, type DataSchema, type LabelledData } from "../../src/data/index.js";
import {
  AI4I_DEFAULT_PATH,
  defaultModelForSchema,
  initBackend,
  loadDataset,
  paramCount,
  partitionByQualityType,
  selectRows,
  stratifiedSplit,
  type FederatedDataset,
  type QualityType,
} from "../../src/learning/index.js";
import { simulateFederation, trainCentralised } from "../../src/research/index.js";

const MEMBERS = 4;
const ROUNDS = 20;
const SEEDS = [1, 2, 3];
/** The learning section's choice on validation rows (bench/results.json, learning.selection.chosen.adam). */
const CHOSEN = { learningRate: 0.005, k: 48, scale: 64 };
const LEAKING = ["TWF", "HDF", "PWF", "OSF", "RNF"];

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const std = (xs: readonly number[]): number =>
  Math.sqrt(xs.reduce((a, x) => a + (x - mean(xs)) ** 2, 0) / Math.max(1, xs.length - 1));
const progress = (line: string) => process.stderr.write(`[own-data] ${line}\n`);

/**
 * AI4I as a plant would export it after adding the two derived columns the built-in loader computes
 * (power = torque × angular speed, and the process − air temperature gap): the same 10 model inputs.
 */
async function writeDerivedCsv(path: string): Promise<void> {
  const [header, ...lines] = (await readFile(AI4I_DEFAULT_PATH, "utf8")).trim().split("\n");
  const out = [`${header},Power [W],Temperature gap [K]`];
  for (const line of lines) {
    const c = line.split(",");
    const power = Number(c[6]) * ((Number(c[5]) * 2 * Math.PI) / 60);
    const gap = Number(c[4]) - Number(c[3]);
    out.push(`${line},${power.toFixed(3)},${gap.toFixed(3)}`);
  }
  await writeFile(path, out.join("\n") + "\n");
}

/** The reviewed schema: inferred from the file, the failure-mode flags (they reveal the label) ignored. */
async function reviewedSchema(path: string = AI4I_DEFAULT_PATH): Promise<DataSchema> {
  const { schema } = await inferSchema({ source: { path }, label: "Machine failure" });
  return {
    ...schema,
    features: schema.features.filter((f) => !LEAKING.includes(f.name)),
    ignored: [...(schema.ignored ?? []), ...LEAKING],
  };
}

/** AI4I read under the schema, split exactly as the built-in loader splits it for `seed`. */
async function schemaDataset(schema: DataSchema, seed: number, path = AI4I_DEFAULT_PATH): Promise<FederatedDataset> {
  const { data, groups } = await scanRecords({
    source: { path },
    schema,
    keep: true,
    groupBy: "Type",
  });
  const rows = data!;
  const split = stratifiedSplit({ labels: rows.labels, testFraction: 0.2, seed: 2020 });
  const types = Array.from(split.train, (r) => groups!.values[groups!.ofRow[r]!] as QualityType);
  const parts = partitionByQualityType({ types, members: MEMBERS, seed });
  const members: LabelledData[] = parts.map((p) =>
    selectRows({ data: rows, rows: Uint32Array.from(p, (i) => split.train[i]!) }),
  );
  const spec = defaultModelForSchema({
    inputShape: rows.featureShape,
    classes: schema.label.classes.length,
    maxParams: 4096,
  });
  return {
    name: "ai4i",
    spec,
    classNames: [...schema.label.classes],
    featureNames: schema.features.map((f) => f.name),
    train: selectRows({ data: rows, rows: split.train }),
    members,
    test: selectRows({ data: rows, rows: split.test }),
  };
}

async function figures(data: FederatedDataset, seed: number) {
  const training = { epochs: 2, batchSize: 64, learningRate: CHOSEN.learningRate, classWeighting: "sqrt" as const, optimizer: "adam" as const };
  const federated = await simulateFederation({
    spec: data.spec,
    members: data.members,
    evaluation: data.test,
    rounds: ROUNDS,
    seed,
    policy: {
      training,
      maxNonZeros: CHOSEN.k,
      scale: CHOSEN.scale,
      l2Bound: 4 * CHOSEN.scale,
      lInfBound: 8 * CHOSEN.scale,
      rule: { kind: "mean" },
    },
  });
  const central = await trainCentralised({
    spec: data.spec,
    train: data.train,
    evaluation: data.test,
    rounds: ROUNDS,
    training,
    seed,
  });
  return { federated: federated.final.macroF1, round10: federated.history[9]!.evaluation.macroF1, centralised: central.final.macroF1 };
}

function summary(values: readonly number[]) {
  return { mean: round4(mean(values)), std: round4(std(values)), runs: values.map(round4) };
}

async function quality(): Promise<Record<string, unknown>> {
  const schema = await reviewedSchema();
  const dir = await mkdtemp(join(tmpdir(), "cfl-own-data-"));
  const derivedCsv = join(dir, "ai4i-derived.csv");
  await writeDerivedCsv(derivedCsv);
  const derivedSchema = await reviewedSchema(derivedCsv);
  const paths: Record<string, { d: number; runs: Awaited<ReturnType<typeof figures>>[] }> = {};
  for (const seed of SEEDS) {
    const builtin = loadDataset({ name: "ai4i", members: MEMBERS, seed });
    const own = await schemaDataset(schema, seed);
    const derived = await schemaDataset(derivedSchema, seed, derivedCsv);
    for (const [name, data] of [
      ["builtin", builtin],
      ["schema", own],
      ["schemaDerived", derived],
    ] as const) {
      const f = await figures(data, seed);
      (paths[name] ??= { d: paramCount(data.spec), runs: [] }).runs.push(f);
      progress(`${name} seed ${seed}: federated ${f.federated.toFixed(3)}, centralised ${f.centralised.toFixed(3)}`);
    }
  }
  await rm(dir, { recursive: true, force: true });
  return Object.fromEntries(
    Object.entries(paths).map(([name, p]) => [
      name,
      {
        d: p.d,
        federatedMacroF1Round20: summary(p.runs.map((r) => r.federated)),
        federatedMacroF1Round10: summary(p.runs.map((r) => r.round10)),
        centralisedMacroF1: summary(p.runs.map((r) => r.centralised)),
      },
    ]),
  );
}

/** Peak RSS while `work` runs, sampled every 5 ms, minus RSS before it. */
async function peakRssGrowth<T>(work: () => Promise<T>): Promise<{ value: T; mib: number; ms: number }> {
  global.gc?.();
  const before = process.memoryUsage().rss;
  let peak = before;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  clearInterval(timer);
  peak = Math.max(peak, process.memoryUsage().rss);
  return { value, mib: Math.round(((peak - before) / 2 ** 20) * 10) / 10, ms: Math.round(ms) };
}

async function streaming(): Promise<Record<string, unknown>> {
  const schema = await reviewedSchema();
  const dir = await mkdtemp(join(tmpdir(), "cfl-own-data-"));
  const file = join(dir, "large.csv");
  try {
    const [header, ...lines] = (await readFile(AI4I_DEFAULT_PATH, "utf8")).trim().split("\n");
    const out = createWriteStream(file);
    out.write(header + "\n");
    const body = lines.join("\n") + "\n";
    for (let i = 0; i < 40; i++) if (!out.write(body)) await new Promise<void>((r) => out.once("drain", () => r()));
    await new Promise<void>((r) => out.end(() => r()));
    const bytes = (await stat(file)).size;
    const streamed = await peakRssGrowth(() => scanRecords({ source: { path: file }, schema }));
    const whole = await peakRssGrowth(async () => (await readFile(file, "utf8")).length);
    return {
      fileMiB: Math.round((bytes / 2 ** 20) * 10) / 10,
      rows: streamed.value.summary.rows,
      streamedCheck: { peakRssGrowthMiB: streamed.mib, ms: streamed.ms },
      baselineReadWhole: { peakRssGrowthMiB: whole.mib, ms: whole.ms },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const backend = await initBackend();
  const started = performance.now();
  const stream = await streaming();
  progress(`streaming: ${JSON.stringify(stream)}`);
  return {
    backend,
    members: MEMBERS,
    rounds: ROUNDS,
    seeds: SEEDS,
    settings: { ...CHOSEN, optimizer: "adam", source: "learning section's validation choice" },
    ai4i: await quality(),
    streaming: stream,
    totalSeconds: Math.round((performance.now() - started) / 1000),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await run(), null, 2));
}
