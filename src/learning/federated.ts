/**
 * In-process simulation of federated training, for evaluation: the same `trainLocal` the member role
 * calls, FedAvg weighted by local sample counts, and either dense float32 updates or the sparse
 * pipeline (top-k with error feedback, optionally clipped and quantized to fixed point and encoded in
 * the wire format, so the bytes counted are the bytes a member would store on IPFS).
 */
import {
  encodeUpdate,
  sparsifyUpdate,
  topKWithErrorFeedback,
  type FixedPointPolicy,
  type SparseUpdate,
} from "../sparse/index.js";
import { initialParams, paramCount } from "./model.js";
import { createRng } from "../data/rng.js";
import { evaluate, trainLocal } from "./train.js";
import type { EvaluationMetrics, LabelledData, ModelSpec, TrainingPolicy } from "./types.js";

export type UpdateCompression =
  | { readonly kind: "dense" }
  /** Top-k with error feedback; with `fixedPoint`, also clipped, quantized and wire-encoded. */
  | { readonly kind: "topk"; readonly k: number; readonly fixedPoint?: FixedPointPolicy };

export interface RoundRecord {
  readonly round: number;
  /** On the shared test set, after this round's aggregation. */
  readonly test: EvaluationMetrics;
  /** Mean over members of the local cross-entropy after local training. */
  readonly meanLocalLoss: number;
  /** Mean over members of the bytes each sent this round (wire format: header and entries). */
  readonly bytesPerMember: number;
  /** The same without the update's fixed header (context, salt): the bytes that carry model values. */
  readonly payloadBytesPerMember: number;
  /** Mean over members of the coordinates each sent this round. */
  readonly entriesPerMember: number;
}

export interface FederatedRunResult {
  readonly params: Float32Array;
  readonly history: readonly RoundRecord[];
  readonly final: EvaluationMetrics;
  /** Mean over rounds and members. */
  readonly bytesPerMemberPerRound: number;
  /** Mean over rounds and members, without fixed headers. */
  readonly payloadBytesPerMemberPerRound: number;
}

export class InvalidFederationError extends Error {
  readonly code = "INVALID_FEDERATION";
  constructor(message: string) {
    super(message);
    this.name = "InvalidFederationError";
  }
}

/** A zero address and salt: the header's size does not depend on their values. */
const SIMULATION_HEADER = {
  task: 1,
  round: 0,
  member: "0x" + "00".repeat(20),
  salt: 1n,
};

/** Wire bytes of an update, and of the same update with no entries (its header). */
function sparseBytes({ update, fixedPoint }: { update: SparseUpdate; fixedPoint: FixedPointPolicy }): {
  total: number;
  header: number;
} {
  const header = { ...SIMULATION_HEADER, scale: fixedPoint.scale };
  const empty = { dimension: update.dimension, indices: new Uint32Array(0), values: new Int32Array(0) };
  return {
    total: encodeUpdate({ header, update }).length,
    header: encodeUpdate({ header, update: empty }).length,
  };
}

/**
 * Runs `rounds` rounds of FedAvg from `initialParams({ spec, seed })`. Each round every member trains
 * locally from the current global parameters, compresses its delta, and the global model adds the
 * sample-weighted mean of what was sent. Deterministic for given seeds (on a given backend).
 */
export async function runFederated({
  spec,
  members,
  test,
  rounds,
  policy,
  seed,
  compression,
  onRound,
}: {
  spec: ModelSpec;
  members: readonly LabelledData[];
  test: LabelledData;
  rounds: number;
  policy: TrainingPolicy;
  seed: number;
  compression: UpdateCompression;
  onRound?: (record: RoundRecord) => void;
}): Promise<FederatedRunResult> {
  if (members.length === 0) throw new InvalidFederationError("a federation needs at least one member");
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new InvalidFederationError(`rounds must be a positive integer, got ${rounds}`);
  }
  if (compression.kind === "topk" && (!Number.isInteger(compression.k) || compression.k < 1)) {
    throw new InvalidFederationError(`top-k needs a positive integer k, got ${compression.k}`);
  }
  const d = paramCount(spec);
  const params = initialParams({ spec, seed });
  const totalSamples = members.reduce((total, m) => total + m.rows, 0);
  const residuals: (Float32Array | undefined)[] = members.map(() => undefined);
  const rng = createRng(seed);
  const history: RoundRecord[] = [];
  for (let round = 0; round < rounds; round++) {
    const aggregate = new Float64Array(d);
    let bytes = 0;
    let headerBytes = 0;
    let entries = 0;
    let localLoss = 0;
    for (let m = 0; m < members.length; m++) {
      const data = members[m] as LabelledData;
      const memberSeed = rng.int(2 ** 31);
      if (data.rows === 0) continue;
      const { delta, metrics } = await trainLocal({
        spec,
        globalParams: params,
        data,
        policy,
        seed: memberSeed,
      });
      const weight = data.rows / totalSamples;
      localLoss += metrics.loss / members.length;
      if (compression.kind === "dense") {
        for (let i = 0; i < d; i++) aggregate[i] = (aggregate[i] as number) + weight * (delta[i] as number);
        bytes += 4 * d;
        entries += d;
      } else if (compression.fixedPoint === undefined) {
        const sent = topKWithErrorFeedback({ delta, residual: residuals[m], k: compression.k });
        residuals[m] = sent.residual;
        sent.indices.forEach((index, j) => {
          aggregate[index] = (aggregate[index] as number) + weight * (sent.values[j] as number);
        });
        // Raw sparse entries: a uint32 index and a float32 value each.
        bytes += 8 * sent.indices.length;
        entries += sent.indices.length;
      } else {
        const fixedPoint = compression.fixedPoint;
        const { update, residual } = sparsifyUpdate({
          delta,
          residual: residuals[m],
          policy: { ...fixedPoint, k: compression.k },
        });
        residuals[m] = residual;
        update.indices.forEach((index, j) => {
          aggregate[index] =
            (aggregate[index] as number) + (weight * (update.values[j] as number)) / fixedPoint.scale;
        });
        const size = sparseBytes({ update, fixedPoint });
        bytes += size.total;
        headerBytes += size.header;
        entries += update.indices.length;
      }
    }
    for (let i = 0; i < d; i++) params[i] = (params[i] as number) + (aggregate[i] as number);
    const record: RoundRecord = {
      round,
      test: await evaluate({ spec, params, data: test }),
      meanLocalLoss: localLoss,
      bytesPerMember: bytes / members.length,
      payloadBytesPerMember: (bytes - headerBytes) / members.length,
      entriesPerMember: entries / members.length,
    };
    history.push(record);
    onRound?.(record);
  }
  const final = (history[history.length - 1] as RoundRecord).test;
  const mean = (pick: (r: RoundRecord) => number): number =>
    history.reduce((total, r) => total + pick(r), 0) / history.length;
  return {
    params,
    history,
    final,
    bytesPerMemberPerRound: mean((r) => r.bytesPerMember),
    payloadBytesPerMemberPerRound: mean((r) => r.payloadBytesPerMember),
  };
}

/**
 * The centralised baseline: one party holding the pooled training data, `rounds` rounds of the same
 * local training policy from the same initial parameters.
 */
export async function runCentralised({
  spec,
  train,
  test,
  rounds,
  policy,
  seed,
}: {
  spec: ModelSpec;
  train: LabelledData;
  test: LabelledData;
  rounds: number;
  policy: TrainingPolicy;
  seed: number;
}): Promise<FederatedRunResult> {
  return runFederated({ spec, members: [train], test, rounds, policy, seed, compression: { kind: "dense" } });
}
