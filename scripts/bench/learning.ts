/**
 * Benchmark: learning quality and communication on real and generated data, one run, fixed seeds.
 *
 * 1. AI4I 2020 predictive maintenance, 4 members split by product quality type (natural non-IID):
 *    centralised training vs federated dense FedAvg vs federated sparse FedAvg (top-k with error
 *    feedback, clipped and quantized to fixed point, wire-encoded) at the same number of rounds and
 *    the same local policy. Reports macro-F1 (final round and mean of the last 5 rounds, since
 *    single-round figures move by a few points), balanced accuracy, ROC AUC, and bytes sent per
 *    member per round next to dense float32 (4·d). Repeated on a Dirichlet(0.5) label split, and for
 *    two local optimisers: Adam (best dense accuracy) and SGD with momentum (whose deltas' magnitudes
 *    follow the gradients, which top-k needs; Adam normalises every coordinate's step).
 * 2. The generated circular supply chain: next-stage quality (encoder + LSTM) and recovery route,
 *    centralised vs federated dense.
 * 3. Federated dictionary learning on the generator's entity-private observations: atom recovery
 *    against the ground truth and reconstruction error, federated vs centralised on the pooled rows
 *    (same code, same start), next to baselines: each entity alone, and no structural prior.
 *
 * Run alone: `npx tsx scripts/bench/learning.ts` prints the JSON (about 4 minutes on 2 cores).
 */
import { performance } from "node:perf_hooks";
import { pathToFileURL } from "node:url";
import {
  atomRecovery,
  initBackend,
  learnDictionary,
  loadDataset,
  maskedRandomDictionary,
  paramCount,
  reconstructionError,
  runCentralised,
  runFederated,
  type DatasetPartition,
  type Dictionary,
  type FederatedRunResult,
  type MaskedObservations,
  type TrainingPolicy,
} from "../../src/learning/index.js";
import { ENTITY_KINDS, entityObservations, FEATURE_COUNT, generateSupplyChain } from "../../src/supplychain/index.js";

const MEMBERS = 4;
const ROUNDS = 20;
/** Two local optimisers, each compared dense vs sparse in the same run (see docs/learning.md). */
const AI4I_POLICIES: Record<"adam" | "momentum", TrainingPolicy> = {
  adam: { epochs: 2, batchSize: 64, learningRate: 0.005, classWeighting: "sqrt", optimizer: "adam" },
  momentum: { epochs: 2, batchSize: 64, learningRate: 0.1, classWeighting: "sqrt", optimizer: "momentum" },
};
/** k entries per update, values in fixed point at this scale (coarse: error feedback carries the rounding). */
const TOP_K = 64;
const FIXED_POINT = { scale: 64, lInfBound: 64, l2Bound: 4 * 64 };
const SEED = 3;

const round4 = (x: number): number => Math.round(x * 1e4) / 1e4;

function summary(run: FederatedRunResult): Record<string, number> {
  const last = run.history.slice(-5);
  return {
    macroF1: round4(run.final.macroF1),
    macroF1MeanLast5Rounds: round4(last.reduce((s, r) => s + r.test.macroF1, 0) / last.length),
    balancedAccuracy: round4(run.final.balancedAccuracy),
    rocAuc: round4(run.final.rocAuc),
    loss: round4(run.final.loss),
  };
}

async function centralisedAi4i(policy: TrainingPolicy): Promise<Record<string, number>> {
  const data = loadDataset({ name: "ai4i", members: 1, seed: 1 });
  const start = performance.now();
  const run = await runCentralised({ spec: data.spec, train: data.train, test: data.test, rounds: ROUNDS, policy, seed: SEED });
  return { ...summary(run), seconds: round4((performance.now() - start) / 1000) };
}

async function ai4iComparison(partition: DatasetPartition, policy: TrainingPolicy): Promise<Record<string, unknown>> {
  const data = loadDataset({ name: "ai4i", members: MEMBERS, seed: 1, partition });
  const d = paramCount(data.spec);
  const common = { spec: data.spec, test: data.test, rounds: ROUNDS, policy, seed: SEED };
  let start = performance.now();
  const dense = await runFederated({ ...common, members: data.members, compression: { kind: "dense" } });
  const denseSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const sparse = await runFederated({
    ...common,
    members: data.members,
    compression: { kind: "topk", k: TOP_K, fixedPoint: FIXED_POINT },
  });
  const sparseSeconds = (performance.now() - start) / 1000;
  const denseBytes = 4 * d;
  const sparseSummary = summary(sparse);
  const denseSummary = summary(dense);
  return {
    memberRows: data.members.map((m) => m.rows),
    federatedDense: { ...denseSummary, bytesPerMemberPerRound: denseBytes, seconds: round4(denseSeconds) },
    federatedSparse: {
      ...sparseSummary,
      k: TOP_K,
      scale: FIXED_POINT.scale,
      entriesPerMemberPerRound: round4(sparse.history.reduce((s, r) => s + r.entriesPerMember, 0) / sparse.history.length),
      wireBytesPerMemberPerRound: round4(sparse.bytesPerMemberPerRound),
      payloadBytesPerMemberPerRound: round4(sparse.payloadBytesPerMemberPerRound),
      seconds: round4(sparseSeconds),
    },
    sparseVsDense: {
      macroF1PointsBelowDense: round4(100 * (denseSummary.macroF1! - sparseSummary.macroF1!)),
      macroF1MeanLast5PointsBelowDense: round4(
        100 * (denseSummary.macroF1MeanLast5Rounds! - sparseSummary.macroF1MeanLast5Rounds!),
      ),
      fewerBytesPayload: round4(denseBytes / sparse.payloadBytesPerMemberPerRound),
      fewerBytesWireIncludingHeader: round4(denseBytes / sparse.bytesPerMemberPerRound),
    },
  };
}

async function supplyChainTasks(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  const policy: TrainingPolicy = { epochs: 2, batchSize: 64, learningRate: 0.01 };
  for (const [task, rounds] of [
    ["quality", 8],
    ["route", 20],
  ] as const) {
    const data = loadDataset({ name: "supplychain", members: MEMBERS, seed: 1, task, supplyChain: { lots: 300 } });
    const common = { spec: data.spec, test: data.test, rounds, policy, seed: SEED };
    const centralised = await runCentralised({ ...common, train: data.train });
    const dense = await runFederated({ ...common, members: data.members, compression: { kind: "dense" } });
    out[task] = {
      model: data.spec.id,
      d: paramCount(data.spec),
      rounds,
      trainRows: data.train.rows,
      testRows: data.test.rows,
      centralised: summary(centralised),
      federatedDense: summary(dense),
    };
  }
  return out;
}

function pooled(members: readonly MaskedObservations[]): MaskedObservations {
  const total = members.reduce((n, m) => n + m.rows, 0);
  const values = new Float32Array(total * FEATURE_COUNT);
  const mask = new Uint8Array(total * FEATURE_COUNT);
  let row = 0;
  for (const m of members) {
    values.set(m.values, row * FEATURE_COUNT);
    for (let i = 0; i < m.rows; i++) mask.set(m.mask, (row + i) * FEATURE_COUNT);
    row += m.rows;
  }
  return { rows: total, values, mask };
}

function dictionaryLearning(): Record<string, unknown> {
  const atomsPerKind = 3;
  const chain = generateSupplyChain({ seed: 1, members: MEMBERS, lots: 300, atomsPerKind });
  const observations = entityObservations({ chain });
  const members: MaskedObservations[] = observations.map((o) => ({ rows: o.rows, values: o.values, mask: o.mask }));
  const kindSupports = ENTITY_KINDS.map((kind) => {
    const support = new Uint8Array(FEATURE_COUNT);
    for (const o of observations) if (o.entity.startsWith(`${kind}-`)) o.mask.forEach((v, j) => v === 1 && (support[j] = 1));
    return support;
  });
  const supports = Array.from({ length: chain.atomCount }, (_, a) => kindSupports[Math.floor(a / atomsPerKind)] as Uint8Array);
  const lambda = 0.05;
  const options = {
    atoms: chain.atomCount,
    lambda,
    rounds: 25,
    seed: 5,
    supports,
    restarts: {
      count: 4,
      rounds: 5,
      initialise: (seed: number) => maskedRandomDictionary({ atoms: chain.atomCount, masks: supports, seed }),
    },
  };
  const truth = { truth: chain.atoms, trueAtoms: chain.atomCount };
  let start = performance.now();
  const federated = learnDictionary({ members, options });
  const federatedSeconds = (performance.now() - start) / 1000;
  start = performance.now();
  const centralised = learnDictionary({ members: [pooled(members)], options });
  const centralisedSeconds = (performance.now() - start) / 1000;
  const maxAtomDifference = federated.dictionary.values.reduce(
    (worst, v, i) => Math.max(worst, Math.abs(v - (centralised.dictionary.values[i] as number))),
    0,
  );
  // Baseline: no structural prior (atoms free to span every kind's features).
  const unstructured = learnDictionary({ members, options: { atoms: chain.atomCount, lambda, rounds: 25, seed: 5 } });
  // Baseline: every entity alone, its atoms inside its own view; the union of all local dictionaries.
  const localAtoms: Float64Array[] = [];
  const perEntityFractions: number[] = [];
  for (const member of members) {
    const local = learnDictionary({
      members: [member],
      options: {
        atoms: atomsPerKind,
        lambda,
        rounds: 25,
        seed: 5,
        supports: [member.mask],
        initial: maskedRandomDictionary({ atoms: atomsPerKind, masks: [member.mask], seed: 7 }),
      },
    });
    for (let a = 0; a < atomsPerKind; a++) {
      localAtoms.push(local.dictionary.values.slice(a * FEATURE_COUNT, (a + 1) * FEATURE_COUNT));
    }
    perEntityFractions.push(atomRecovery({ learned: local.dictionary, ...truth }).fraction);
  }
  const union = { atoms: localAtoms.length, features: FEATURE_COUNT, values: new Float64Array(localAtoms.length * FEATURE_COUNT) };
  localAtoms.forEach((v, a) => union.values.set(v, a * FEATURE_COUNT));
  const recovery = (dictionary: Dictionary): Record<string, number> => {
    const r = atomRecovery({ learned: dictionary, ...truth });
    return { recovered: r.recovered, fraction: round4(r.fraction), meanBestAbsCosine: round4(r.meanBestCosine) };
  };
  return {
    lots: 300,
    entities: members.length,
    trueAtoms: chain.atomCount,
    features: FEATURE_COUNT,
    rows: members.reduce((n, m) => n + m.rows, 0),
    recoveryThresholdAbsCosine: 0.9,
    federated: {
      ...recovery(federated.dictionary),
      reconstructionError: round4(reconstructionError({ dictionary: federated.dictionary, members, lambda })),
      seconds: round4(federatedSeconds),
    },
    centralisedPooled: {
      ...recovery(centralised.dictionary),
      reconstructionError: round4(reconstructionError({ dictionary: centralised.dictionary, members, lambda })),
      seconds: round4(centralisedSeconds),
      maxAbsDifferenceFromFederatedAtoms: maxAtomDifference,
    },
    groundTruthDictionary: {
      reconstructionError: round4(
        reconstructionError({
          dictionary: { atoms: chain.atomCount, features: FEATURE_COUNT, values: Float64Array.from(chain.atoms) },
          members,
          lambda,
        }),
      ),
    },
    baselineNoStructuralPrior: recovery(unstructured.dictionary),
    baselineEachEntityAlone: {
      meanFractionRecoveredByOneEntity: round4(perEntityFractions.reduce((a, b) => a + b, 0) / perEntityFractions.length),
      bestFractionRecoveredByOneEntity: round4(Math.max(...perEntityFractions)),
    },
    baselineUnionOfAllEntitiesLocalAtoms: { atoms: union.atoms, ...recovery(union) },
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const started = performance.now();
  const backend = await initBackend();
  const ai4i: Record<string, unknown> = {};
  for (const [name, policy] of Object.entries(AI4I_POLICIES)) {
    ai4i[name] = {
      policy,
      centralised: await centralisedAi4i(policy),
      qualityTypePartition: await ai4iComparison("natural", policy),
      dirichletPartition: await ai4iComparison({ kind: "dirichlet", alpha: 0.5 }, policy),
    };
  }
  const supplyChain = await supplyChainTasks();
  const dictionary = dictionaryLearning();
  const spec = loadDataset({ name: "ai4i", members: 1, seed: 1 }).spec;
  return {
    backend,
    node: process.version,
    members: MEMBERS,
    rounds: ROUNDS,
    ai4i: { model: spec.id, d: paramCount(spec), testRows: 2000, ...ai4i },
    supplyChain,
    dictionaryLearning: dictionary,
    totalSeconds: round4((performance.now() - started) / 1000),
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  console.log(JSON.stringify(await run(), null, 2));
}
