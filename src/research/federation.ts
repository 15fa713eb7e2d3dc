/**
 * The federation simulation: the product's round, in process. Each round every member trains with
 * `trainLocal` from the real parameters of the current fixed-point global model (as `loadTrainingBase`
 * gives them to the member role), builds its update exactly as `commitMemberUpdate` does (`sparsifyUpdate`
 * under the policy's k, scale, L2 and L∞ bounds: top-k with error feedback, clipping, fixed point), and
 * the round's model is `computeRoundModel` over the included updates under the policy's rule: the
 * integer, bit-exact aggregation the aggregator publishes and the auditors replay. The chain, storage,
 * sealing and proofs are left out because they do not change the arithmetic: what they add is the
 * guarantee that only updates within the bounds are included, which the simulation applies to every
 * update (see `MemberBehaviour.transformUpdate`).
 */
import {
  computeRoundModel,
  screenHistoryOf,
  screenRound,
  validateRule,
  validateSparseUpdate,
  type MemberUpdate,
} from "../aggregation/index.js";
import { evaluate, initialParams, paramCount, trainLocal } from "../learning/index.js";
import { initialGlobalModel, toFloatParams, type GlobalModel } from "../model/index.js";
import {
  encodeUpdate,
  fixedPointNorms,
  sparsifyUpdate,
  validateFixedPointPolicy,
  type SparseUpdate,
  type SparsifyResult,
} from "../sparse/index.js";
import { ResearchError } from "./errors.js";
import type {
  CentralisedResult,
  FederationPolicy,
  RoundEvaluation,
  RoundRecord,
  SentUpdate,
  SimulateFederationParams,
  SimulationResult,
  TrainCentralisedParams,
} from "./types.js";

/** Most members a simulation takes: `memberTrainingSeed` keeps each member's seed distinct below it. */
export const MAX_SIMULATED_MEMBERS = 100;

/** The task id in simulated models' and updates' headers. */
const SIMULATION_TASK = 1;

/** A zero address and salt: the header's size does not depend on their values. */
const SIMULATION_HEADER = { task: SIMULATION_TASK, round: 0, member: "0x" + "00".repeat(20), salt: 1n };

/** Synthetic, distinct member addresses (aggregation keys updates by address). */
export function simulatedMemberAddress({ member }: { member: number }): string {
  return `0x${(member + 1).toString(16).padStart(40, "0")}`;
}

/** The member index a simulated address stands for: the inverse of `simulatedMemberAddress`. */
export function simulatedMemberIndex(address: string): number {
  return parseInt(address.slice(2), 16) - 1;
}

/** The seed member `member` trains with in round `round` (from 1): the demo's scheme. */
export function memberTrainingSeed({
  seed,
  round,
  member,
}: {
  seed: number;
  round: number;
  member: number;
}): number {
  return seed * 10_000 + round * 100 + member;
}

function validatePolicy(policy: FederationPolicy): void {
  if (typeof policy !== "object" || policy === null)
    throw new ResearchError("bad-policy", "policy must be an object");
  if (!Number.isSafeInteger(policy.maxNonZeros) || policy.maxNonZeros < 1) {
    throw new ResearchError(
      "bad-policy",
      `maxNonZeros must be a positive integer, got ${String(policy.maxNonZeros)}`,
    );
  }
  try {
    validateFixedPointPolicy(policy);
    validateRule(policy.rule);
  } catch (error) {
    throw new ResearchError("bad-policy", error instanceof Error ? error.message : String(error));
  }
  if (typeof policy.training !== "object" || policy.training === null)
    throw new ResearchError("bad-policy", "policy.training must be a training policy");
}

function validateRoundsAndSeed(rounds: number, seed: number): void {
  if (!Number.isSafeInteger(rounds) || rounds < 1)
    throw new ResearchError("bad-rounds", `rounds must be a positive integer, got ${String(rounds)}`);
  if (
    !Number.isSafeInteger(seed) ||
    seed < 0 ||
    !Number.isSafeInteger(memberTrainingSeed({ seed, round: rounds, member: 99 }))
  )
    throw new ResearchError(
      "bad-seed",
      `seed must be a non-negative integer below 2^53 / 10^4, got ${String(seed)}`,
    );
}

/** Checks a simulation's arguments before any training starts. */
export function validateSimulation(params: SimulateFederationParams): SimulateFederationParams {
  const { members, rounds, policy, seed, behaviours } = params;
  if (members.length === 0) throw new ResearchError("no-members", "a federation needs at least one member");
  if (members.length > MAX_SIMULATED_MEMBERS) {
    throw new ResearchError(
      "too-many-members",
      `at most ${MAX_SIMULATED_MEMBERS} members, got ${members.length}`,
    );
  }
  if (members.every((m) => m.rows === 0)) throw new ResearchError("no-members", "no member has any data");
  validateRoundsAndSeed(rounds, seed);
  validatePolicy(policy);
  if (behaviours !== undefined && behaviours.length > members.length) {
    throw new ResearchError(
      "bad-behaviours",
      `behaviours must be an array of at most ${members.length} entries (one per member)`,
    );
  }
  return params;
}

/**
 * A member's update for one round, as `commitMemberUpdate` builds it before encoding: `sparsifyUpdate`
 * with the policy's k, scale, L2 and L∞ bounds, so the update always satisfies what the proof checks.
 */
export function memberUpdate({
  delta,
  residual,
  policy,
}: {
  delta: Float32Array;
  residual?: Float32Array;
  policy: Pick<FederationPolicy, "maxNonZeros" | "scale" | "l2Bound" | "lInfBound">;
}): SparsifyResult {
  return sparsifyUpdate({
    delta,
    residual,
    policy: {
      k: policy.maxNonZeros,
      scale: policy.scale,
      l2Bound: policy.l2Bound,
      lInfBound: policy.lInfBound,
    },
  });
}

/**
 * Whether an update could be committed under the policy: well formed, at most k entries, every value
 * within L∞ and the sum of squares within L2² (what the proof checks; anything else has no valid proof).
 */
export function withinPolicyBounds({
  update,
  policy,
  dimension,
}: {
  update: SparseUpdate;
  policy: Pick<FederationPolicy, "maxNonZeros" | "l2Bound" | "lInfBound">;
  dimension: number;
}): boolean {
  try {
    validateSparseUpdate({ update, dimension, label: "update" });
  } catch {
    return false;
  }
  if (update.indices.length > policy.maxNonZeros) return false;
  const { sumOfSquares, maxAbs } = fixedPointNorms(update);
  return maxAbs <= policy.lInfBound && sumOfSquares <= BigInt(policy.l2Bound) * BigInt(policy.l2Bound);
}

/** Wire bytes of an update, with and without its fixed header (0 for an update that cannot be encoded). */
export function wireSize(update: SparseUpdate, scale: number): { wireBytes: number; payloadBytes: number } {
  const header = { ...SIMULATION_HEADER, scale };
  try {
    const wireBytes = encodeUpdate({ header, update }).length;
    const empty = { dimension: update.dimension, indices: new Uint32Array(0), values: new Int32Array(0) };
    return { wireBytes, payloadBytes: wireBytes - encodeUpdate({ header, update: empty }).length };
  } catch {
    return { wireBytes: 0, payloadBytes: 0 };
  }
}

function realNorm(update: SparseUpdate, scale: number): number {
  let sum = 0;
  for (const v of update.values) sum += (v / scale) ** 2;
  return Math.sqrt(sum);
}

/** The model's change in real units, from the round's aggregated fixed-point delta. */
function realChange(delta: SparseUpdate, scale: number): Float32Array {
  const change = new Float32Array(delta.dimension);
  delta.indices.forEach((index, j) => (change[index] = delta.values[j]! / scale));
  return change;
}

const meanOf = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(xs.length, 1);

/**
 * Runs `rounds` rounds of the product's federation from `initialGlobalModel` of `initialParams({ spec,
 * seed })` at the policy's scale. Deterministic for given seeds (on a given backend): a pure function of
 * its arguments.
 */
export async function simulateFederation(params: SimulateFederationParams): Promise<SimulationResult> {
  const {
    spec,
    members,
    evaluation,
    rounds,
    policy,
    seed,
    behaviours = [],
    onRound,
  } = validateSimulation(params);
  const d = paramCount(spec);
  let model: GlobalModel = initialGlobalModel({
    task: SIMULATION_TASK,
    dimension: d,
    scale: policy.scale,
    params: initialParams({ spec, seed }),
  });
  const residuals: (Float32Array | undefined)[] = members.map(() => undefined);
  let lastGlobalChange: Float32Array = new Float32Array(d);
  const history: RoundRecord[] = [];
  // Each round's suspects, as the aggregator and auditors recompute them from the earlier rounds' updates;
  // the screen reads the last `suspectRounds` of them.
  const suspectHistory: string[][] = [];
  const suspectRounds = screenHistoryOf(policy.rule);
  for (let round = 1; round <= rounds; round++) {
    const base = toFloatParams(model);
    const updates: MemberUpdate[] = [];
    const sent: SentUpdate[] = [];
    const localLosses: number[] = [];
    for (let m = 0; m < members.length; m++) {
      const data = members[m]!;
      if (data.rows === 0) continue;
      const behaviour = behaviours[m];
      let delta: Float32Array = new Float32Array(d);
      if (behaviour?.trains !== false) {
        const trained = await trainLocal({
          spec,
          globalParams: base,
          data,
          policy: policy.training,
          seed: memberTrainingSeed({ seed, round, member: m }),
        });
        delta = trained.delta;
        localLosses.push(trained.metrics.loss);
      }
      if (behaviour?.transformDelta !== undefined) {
        delta = behaviour.transformDelta({ delta, round, member: m, lastGlobalChange });
        if (!(delta instanceof Float32Array) || delta.length !== d) {
          throw new ResearchError(
            "bad-behaviours",
            `member ${m}'s transformDelta must return ${d} float32 values`,
          );
        }
      }
      const built = memberUpdate({ delta, residual: residuals[m], policy });
      residuals[m] = built.residual;
      const update = behaviour?.transformUpdate ? behaviour.transformUpdate(built.update) : built.update;
      const included = withinPolicyBounds({ update, policy, dimension: d });
      sent.push({
        member: m,
        entries: update.indices.length,
        norm: realNorm(update, policy.scale),
        ...wireSize(update, policy.scale),
        included,
      });
      if (included) updates.push({ member: simulatedMemberAddress({ member: m }), update });
    }
    const previous = model;
    // The rule's screen first, as the aggregator's and auditors' inputs apply it.
    const screened = screenRound({
      updates,
      rule: policy.rule,
      dimension: d,
      previousSuspects: suspectRounds === 0 ? [] : suspectHistory.slice(-suspectRounds).reverse(),
    });
    suspectHistory.push(screened.suspects);
    const next = computeRoundModel({ previous, updates: screened.kept, rule: policy.rule, round });
    model = next.model;
    lastGlobalChange = realChange(next.delta, policy.scale);
    const perMember = (pick: (s: SentUpdate) => number): number =>
      sent.reduce((total, s) => total + pick(s), 0) / members.length;
    const record: RoundRecord = {
      round,
      evaluation: await evaluate({ spec, params: toFloatParams(model), data: evaluation }),
      modelHash: next.hash,
      meanLocalLoss: meanOf(localLosses),
      sent,
      flagged: screened.flagged.map((f) => ({
        member: simulatedMemberIndex(f.member),
        reason: f.reason,
        detail: f.detail,
      })),
      suspected: screened.suspects.map(simulatedMemberIndex),
      bytesPerMember: perMember((s) => s.wireBytes),
      payloadBytesPerMember: perMember((s) => s.payloadBytes),
      entriesPerMember: perMember((s) => s.entries),
    };
    history.push(record);
    onRound?.(record, { previous, updates: screened.kept, model });
  }
  return {
    model,
    params: toFloatParams(model),
    history,
    final: history.at(-1)!.evaluation,
    bytesPerMemberPerRound: meanOf(history.map((r) => r.bytesPerMember)),
    payloadBytesPerMemberPerRound: meanOf(history.map((r) => r.payloadBytesPerMember)),
    entriesPerMemberPerRound: meanOf(history.map((r) => r.entriesPerMember)),
  };
}

/**
 * The centralised baseline: one party holding every training row trains `rounds` times with the same
 * local policy from the same initial parameters (float32, nothing aggregated, nothing quantized).
 */
export async function trainCentralised(params: TrainCentralisedParams): Promise<CentralisedResult> {
  const { spec, train, evaluation, rounds, training, seed } = params;
  if (train.rows === 0) throw new ResearchError("no-members", "centralised training needs training rows");
  validateRoundsAndSeed(rounds, seed);
  const current: Float32Array = initialParams({ spec, seed });
  const history: RoundEvaluation[] = [];
  for (let round = 1; round <= rounds; round++) {
    const { delta } = await trainLocal({
      spec,
      globalParams: current,
      data: train,
      policy: training,
      seed: memberTrainingSeed({ seed, round, member: 0 }),
    });
    for (let i = 0; i < current.length; i++) current[i] = current[i]! + delta[i]!;
    history.push({ round, evaluation: await evaluate({ spec, params: current, data: evaluation }) });
  }
  return { params: current, history, final: history.at(-1)!.evaluation };
}
