/**
 * Types of the research code: the federation simulation (the product's round arithmetic, in process,
 * without chain, storage or proofs), the centralised baseline, validation splits and federated
 * dictionary learning.
 */
import type { AggregationRule, MemberUpdate } from "../aggregation/index.js";
import type { EvaluationMetrics, LabelledData, ModelSpec, TrainingPolicy } from "../learning/index.js";
import type { GlobalModel } from "../model/index.js";
import type { SparseUpdate } from "../sparse/index.js";

/** Codes of `ResearchError`. */
export type ResearchErrorCode =
  | "no-members"
  | "too-many-members"
  | "bad-rounds"
  | "bad-seed"
  | "bad-policy"
  | "bad-behaviours"
  | "bad-split"
  | "bad-observations"
  | "bad-options"
  | "bad-truth";

/**
 * What a round computes, as a task policy states it (governance's `TaskPolicy`, as plain numbers): how
 * members train, the bounds every committed update obeys (the proof's k, L2 and L∞, in fixed-point
 * units) and the aggregation rule.
 */
export interface FederationPolicy {
  /** Local training each member runs every round. */
  readonly training: TrainingPolicy;
  /** k: entries per update (top-k with error feedback). */
  readonly maxNonZeros: number;
  /** Fixed-point scale of updates and of the global model: real value = integer / scale. */
  readonly scale: number;
  /** The proof's L2 bound, in fixed-point units. */
  readonly l2Bound: number;
  /** The proof's L∞ bound, in fixed-point units. */
  readonly lInfBound: number;
  /** The deployed, bit-exact rule (src/aggregation). */
  readonly rule: AggregationRule;
}

/** What a member's `transformDelta` sees. */
export interface DeltaContext {
  /** The member's trained delta (zeros for a member that does not train). */
  readonly delta: Float32Array;
  /** The round being trained for (1 for the first). */
  readonly round: number;
  /** The member's index in `members`. */
  readonly member: number;
  /**
   * The previous round's change of the global model, in real units: what anyone reading the chain can
   * compute (zeros before the first round).
   */
  readonly lastGlobalChange: Float32Array;
}

/**
 * How a member departs from the honest update path (adversarial evaluation). Data poisoning needs no
 * hook: pass the poisoned data as the member's data.
 */
export interface MemberBehaviour {
  /** false: the member does not train (a free-rider); its delta is zero before `transformDelta`. Default true. */
  readonly trains?: boolean;
  /** Rewrites the delta before the member's sparsification (model poisoning, a free-rider's copy). */
  readonly transformDelta?: (context: DeltaContext) => Float32Array;
  /**
   * Rewrites the fixed-point update after sparsification, like the member role's `transformUpdate` seam.
   * An update that then breaks the policy's bounds has no valid proof: its commit would be refused, so
   * the round leaves it out.
   */
  readonly transformUpdate?: (update: SparseUpdate) => SparseUpdate;
}

/** Arguments of `simulateFederation`. */
export interface SimulateFederationParams {
  readonly spec: ModelSpec;
  /** Each member's training data (at most 100 members). A member with no rows sends nothing. */
  readonly members: readonly LabelledData[];
  /**
   * Rows every round's model is scored on: a validation split when settings are being chosen, the test
   * set for reported figures.
   */
  readonly evaluation: LabelledData;
  readonly rounds: number;
  readonly policy: FederationPolicy;
  /** Seeds the initial model (`initialParams`) and every member's training (`memberTrainingSeed`). */
  readonly seed: number;
  /** Per member index; members without an entry are honest. */
  readonly behaviours?: readonly (MemberBehaviour | undefined)[];
  /** Called after every round, with the round's inputs and output. */
  readonly onRound?: (record: RoundRecord, detail: RoundDetail) => void;
}

/** One update a member sent in a round. */
export interface SentUpdate {
  readonly member: number;
  readonly entries: number;
  /** Real-valued L2 norm (fixed-point values / scale). */
  readonly norm: number;
  /** Wire bytes (`encodeUpdate`), and the same without the update's fixed header. */
  readonly wireBytes: number;
  readonly payloadBytes: number;
  /** false: the update broke the policy's bounds and was left out, as the chain would refuse its commit. */
  readonly included: boolean;
}

/** A round's metrics on the evaluation rows. */
export interface RoundEvaluation {
  /** 1 for the first round. */
  readonly round: number;
  /** On the evaluation rows, after this round. */
  readonly evaluation: EvaluationMetrics;
}

export interface RoundRecord extends RoundEvaluation {
  /** keccak256 of the round's canonical model bytes: the hash an aggregator would publish. */
  readonly modelHash: string;
  /** Mean over the members that trained of their local cross-entropy after training. */
  readonly meanLocalLoss: number;
  readonly sent: readonly SentUpdate[];
  /** Members the rule's screen left out this round (defenses such as `screened-mean`), by index. */
  readonly flagged: readonly { readonly member: number; readonly reason: string; readonly detail: string }[];
  /** Members the screen suspected this round, left out or not (a suspicion must repeat to exclude), by index. */
  readonly suspected: readonly number[];
  /** Means over all members (a member that sent nothing counts 0). */
  readonly bytesPerMember: number;
  readonly payloadBytesPerMember: number;
  readonly entriesPerMember: number;
}

/** What `onRound` also sees: exactly what `computeRoundModel` was called with, and its output. */
export interface RoundDetail {
  readonly previous: GlobalModel;
  readonly updates: readonly MemberUpdate[];
  readonly model: GlobalModel;
}

export interface SimulationResult {
  /** The last round's global model (fixed point) and its real parameters. */
  readonly model: GlobalModel;
  readonly params: Float32Array;
  readonly history: readonly RoundRecord[];
  readonly final: EvaluationMetrics;
  /** Means over rounds. */
  readonly bytesPerMemberPerRound: number;
  readonly payloadBytesPerMemberPerRound: number;
  readonly entriesPerMemberPerRound: number;
}

/** Arguments of `trainCentralised`. */
export interface TrainCentralisedParams {
  readonly spec: ModelSpec;
  /** All training rows, held by one party. */
  readonly train: LabelledData;
  readonly evaluation: LabelledData;
  readonly rounds: number;
  readonly training: TrainingPolicy;
  readonly seed: number;
}

export interface CentralisedResult {
  readonly params: Float32Array;
  readonly history: readonly RoundEvaluation[];
  readonly final: EvaluationMetrics;
}

/** Each member's rows minus a held-out part, and the held-out parts pooled. */
export interface ValidationSplit {
  readonly members: readonly LabelledData[];
  readonly validation: LabelledData;
}

/** One member's data for dictionary learning: rows × features, with the features it observes. */
export interface MaskedObservations {
  readonly rows: number;
  /** rows × features, row-major; values outside the mask are ignored. */
  readonly values: Float32Array;
  /** Either one mask for every row (features values) or one per row (rows × features). */
  readonly mask: Uint8Array;
}

/** Atoms × features, row-major; every atom of unit norm. */
export interface Dictionary {
  readonly atoms: number;
  readonly features: number;
  readonly values: Float64Array;
}

export interface DictionaryLearningOptions {
  /** Number of atoms to learn. */
  readonly atoms: number;
  /** L1 weight of the sparse coding problem. */
  readonly lambda: number;
  /** Federation rounds (coding + atom update each). */
  readonly rounds: number;
  /** FISTA iterations per row per round. */
  readonly codingIterations?: number;
  /** Constrain codes to be non-negative (when the physics says conditions only add). */
  readonly nonNegative?: boolean;
  readonly seed: number;
  /** Starting atoms (default: `randomDictionary`); pass the same one to compare runs. */
  readonly initial?: Dictionary;
  /**
   * Soft threshold applied to atom entries after each update (before renormalising): an L1 prior on
   * the atoms, for structures whose atoms are themselves sparse. Default 0.
   */
  readonly atomShrinkage?: number;
  /**
   * Optional support of each atom (atoms × features, or one mask per atom cycled): a structural
   * prior, e.g. "a condition shows only on the features of one kind of entity". Coordinates outside
   * are held at zero. Needed when no row ever observes two parts of the feature space together: the
   * data then cannot tell one atom spanning both parts from two atoms, one in each.
   */
  readonly supports?: readonly Uint8Array[];
  /**
   * Restarts against poor local optima: `count` starting dictionaries from `initialise(seed)` each run
   * `rounds` rounds, and the one with the lowest reconstruction error continues. Chosen by an
   * aggregate the coordinator already sees, so it costs members nothing in privacy.
   */
  readonly restarts?: {
    readonly count: number;
    readonly rounds: number;
    readonly initialise: (seed: number) => Dictionary;
  };
}

/** What one member sends per round: additive sums over its rows (no code, no row). */
export interface DictionaryStatistics {
  /** features × K × K: Σ z zᵀ over the member's rows that observe each feature. */
  readonly gram: Float64Array;
  /** features × K: Σ x_j z over the rows that observe feature j. */
  readonly cross: Float64Array;
  /** Σ ‖mask ⊙ (x − Dᵀz)‖² and Σ ‖mask ⊙ x‖² (for the reconstruction error). */
  readonly residual: number;
  readonly energy: number;
}

export interface DictionaryRunResult {
  readonly dictionary: Dictionary;
  /** Relative reconstruction error Σ‖mask⊙(x−Dᵀz)‖² / Σ‖mask⊙x‖² over all members, per round (codes of that round). */
  readonly reconstructionError: readonly number[];
}
