/**
 * `draftTaskPolicy`: the one place a task policy is put together. The CLI (`cfl governance draft-task`),
 * the demo, the local harness, the benchmarks and the tests all draft through it, so a policy's defaults,
 * its rule parameter and its fit to the circuit are decided once.
 */
import { keccak256, toUtf8Bytes } from "ethers";
import { ruleDefinitionByKind, ruleToPolicy, type AggregationRuleKind } from "../aggregation/index.js";
import type { FamilyPolicy } from "../learning/index.js";
import { MAX_CHUNKS_PER_UPDATE } from "../zk/limits.js";
import { PolicyError, validatePolicy } from "./policy.js";
import { Operation, type CircuitShape, type TaskPolicy } from "./types.js";

/** Settings a drafted task gets unless its author names others (docs/operations.md, "Windows"). */
export const DRAFT_DEFAULTS = {
  /** Fixed-point scale: 2^12 keeps int32 headroom for every rule's sums. */
  scale: 4096,
  /** L2 bound in multiples of the scale (a whole update's norm at most 4.0). */
  l2BoundInScales: 4,
  minParticipants: 3,
  maxCommits: 256,
  attestationQuorum: 2,
  sensitivity: 2,
  maxRoundDuration: 3600,
  publishWindow: 900,
  attestationWindow: 900,
  lifetimeSeconds: 30 * 86400,
} as const;

/**
 * The default q of a forest's support veto among `members` participants: more than a third of them must
 * vary on a histogram before it can be split (so colluders under a third cannot plant one), and at least 2
 * (one member always varies alone).
 */
export function defaultSupportMembers(members: number): number {
  return Math.max(2, Math.floor(members / 3) + 1);
}

/** The task's initial model, already stored where members will fetch it. */
export interface DraftModel {
  /** The model's name (reports and logs). */
  readonly name: string;
  /**
   * The `modelId` the policy pins: `taskModelId(topology hash, data hash)` for a task's model
   * (`src/learning/task-model.ts`). Without it, keccak256 of the name (fixtures that train nothing).
   */
  readonly id?: string;
  /** Number of parameters d. */
  readonly dimension: number;
  /** keccak256 of the canonical initial model bytes. */
  readonly hash: string;
  /** Where the initial model is stored (a CID). */
  readonly cid: string;
}

/** Arguments of `draftTaskPolicy`: what the task is, and any setting that differs from `DRAFT_DEFAULTS`. */
export interface TaskDraft {
  readonly model: DraftModel;
  /** The registered verifying key the policy pins, with the circuit shape the registry declares. */
  readonly verifyingKey: { readonly keyHash: string; readonly shape: CircuitShape };
  /** The reader group: its X25519 public key and the readers' addresses (aggregators first). */
  readonly readers: { readonly key: string; readonly addresses: readonly string[] };
  /** Chain time the expiry is counted from. */
  readonly now: bigint;
  /**
   * What the model's family fixes (`TaskLearner.policy`: a forest's counts need scale 1, rule `sum` and
   * bounds that never clip a count); its k defaults to the most the circuit proves in one update's chunks.
   */
  readonly family?: FamilyPolicy;
  /** Aggregation rule (default mean) and its parameter (default: the rule's own default). */
  readonly rule?: AggregationRuleKind;
  readonly ruleParameter?: bigint;
  /**
   * A forest's backdoor veto (rule `sum` with support q over the family's layout): the rule parameter is
   * built from q and `family.layout`. Needs `family`; not with `ruleParameter`.
   */
  readonly supportMembers?: number;
  /** Any other field, when it must differ from the default (bounds, participation, windows, expiry). */
  readonly settings?: Partial<
    Pick<
      TaskPolicy,
      | "scale"
      | "l2Bound"
      | "lInfBound"
      | "maxNonZeros"
      | "minParticipants"
      | "maxCommits"
      | "attestationQuorum"
      | "sensitivity"
      | "allowedOperations"
      | "expiry"
      | "maxRoundDuration"
      | "publishWindow"
      | "attestationWindow"
    >
  >;
}

/**
 * Drafts a task policy that the Consortium will accept and the verifying key's circuit can prove: the
 * largest k and L∞ bound the circuit allows unless told otherwise, the rule's default parameter, and
 * `DRAFT_DEFAULTS` for the rest. Throws `PolicyError` (with the numbers) for anything the contract or the
 * circuit would refuse, before anyone stores or votes on anything.
 */
export function draftTaskPolicy(draft: TaskDraft): TaskPolicy {
  const { model, verifyingKey, readers, now, family, supportMembers } = draft;
  if (supportMembers !== undefined && (!family || draft.ruleParameter !== undefined))
    throw new PolicyError(
      "rule",
      family
        ? "invalid task policy: give supportMembers or ruleParameter, not both"
        : `invalid task policy: a support veto reads a histogram forest's counts; model "${model.name}" is not one`,
    );
  const ruleParameter =
    draft.ruleParameter ??
    (family && supportMembers !== undefined
      ? ruleToPolicy({ kind: "sum", support: { members: supportMembers, ...family.layout } }).param
      : undefined);
  if (family && draft.rule !== undefined && draft.rule !== family.rule)
    throw new PolicyError(
      "rule",
      `invalid task policy: model "${model.name}" needs rule ${family.rule} (its parameters are counts), not ${draft.rule}`,
    );
  const settings = {
    ...(family
      ? {
          scale: family.scale,
          lInfBound: family.lInfBound,
          l2Bound: family.l2Bound,
          maxNonZeros: Math.min(model.dimension, verifyingKey.shape.maxEntries * MAX_CHUNKS_PER_UPDATE),
        }
      : {}),
    ...draft.settings,
  };
  const kind = family?.rule ?? draft.rule ?? "mean";
  const definition = ruleDefinitionByKind(kind);
  if (!definition) throw new PolicyError("rule", `invalid task policy: unknown aggregation rule ${kind}`);
  if (!definition.draftable)
    throw new PolicyError(
      "rule",
      `invalid task policy: ${kind} cannot be drafted from a policy alone (its parameters are not carried on chain)`,
    );
  const shape = verifyingKey.shape;
  const scale = settings.scale ?? DRAFT_DEFAULTS.scale;
  const l2Bound = settings.l2Bound ?? BigInt(DRAFT_DEFAULTS.l2BoundInScales * scale);
  const policy: TaskPolicy = {
    modelId: model.id ?? keccak256(toUtf8Bytes(model.name)),
    initialModelHash: model.hash,
    initialModelCid: model.cid,
    dimension: model.dimension,
    maxNonZeros: settings.maxNonZeros ?? Math.min(shape.maxEntries, model.dimension),
    // The largest magnitude the circuit's signed value range proves.
    lInfBound: settings.lInfBound ?? 2n ** BigInt(shape.valueBits - 1) - 1n,
    l2Bound,
    scale,
    aggregationRule: definition.id,
    ruleParameter: ruleParameter ?? definition.defaultParameter({ l2Bound }),
    minParticipants: settings.minParticipants ?? DRAFT_DEFAULTS.minParticipants,
    maxCommits: settings.maxCommits ?? DRAFT_DEFAULTS.maxCommits,
    attestationQuorum: settings.attestationQuorum ?? DRAFT_DEFAULTS.attestationQuorum,
    sensitivity: settings.sensitivity ?? DRAFT_DEFAULTS.sensitivity,
    allowedOperations: settings.allowedOperations ?? Operation.All,
    expiry: settings.expiry ?? now + BigInt(DRAFT_DEFAULTS.lifetimeSeconds),
    maxRoundDuration: settings.maxRoundDuration ?? DRAFT_DEFAULTS.maxRoundDuration,
    publishWindow: settings.publishWindow ?? DRAFT_DEFAULTS.publishWindow,
    attestationWindow: settings.attestationWindow ?? DRAFT_DEFAULTS.attestationWindow,
    verifyingKeyHash: verifyingKey.keyHash,
    readerKey: readers.key,
    readers: [...readers.addresses],
  };
  return validatePolicy({
    policy,
    circuit: shape,
    now,
  });
}
