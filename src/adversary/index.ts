/**
 * The adversaries the product is tested and demonstrated against, kept beside the honest code: each one
 * plugs into a seam the honest roles expose (how a member seals, when an aggregator acts, what verdict an
 * auditor attests), so the roles themselves contain no adversarial branch.
 */
import { generateReaderKeyPair, sealToGroup } from "../seal/index.js";
import type { UpdateContext } from "../sparse/index.js";
import { RoundStatus } from "../chain/index.js";
import type { AuditVerdict } from "../roles/index.js";

/** What one faulty party does in a demo or test (issue 11's single-party faults). */
export type MemberSealAttack = "seal-split" | "withhold";

/**
 * A member that seals its update to a key of its own choosing instead of the task's reader group (the
 * group-key version of "seal to the aggregator only" or "a different content key for one auditor"). With
 * a single group key every reader fails to open it alike, so it is excluded as Unopenable by everyone
 * and cannot split the readers' verdicts.
 */
export function sealToOtherKey(input: {
  payload: Uint8Array;
  groupPublicKey: Uint8Array;
  context: UpdateContext;
}): Uint8Array {
  return sealToGroup({ ...input, groupPublicKey: generateReaderKeyPair().publicKey });
}

/** An aggregator that goes silent once round `round` is closed: it neither publishes nor opens again. */
export function silentAfterClosing(round: bigint): (latest: { round: bigint; status: number }) => boolean {
  return (latest) => latest.round > round || (latest.round === round && latest.status !== RoundStatus.Open);
}

/** An auditor that attests a mismatch on every round, whatever its replay found. */
export function lyingVerdict(verdict: AuditVerdict): AuditVerdict {
  return {
    ...verdict,
    matches: false,
    findings: ["lying auditor: mismatch attested whatever the replay found"],
  };
}

export {
  AI4I_TRIGGER,
  POISONING_ATTACKS,
  poisonData,
  poisonDelta,
  stampTrigger,
  type PoisoningAttack,
  type Trigger,
} from "./poisoning.js";
export { tamperingAggregator, type AggregatorTampering } from "./aggregator.js";
