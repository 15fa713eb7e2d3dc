import { getAddress, type JsonRpcApiProvider } from "ethers";
import { policyFromChain } from "../governance/index.js";
import { groupPublicKeyHex, openFromGroup } from "../seal/index.js";
import { VerifyingKeyRegistry__factory } from "../../types/ethers-contracts/index.js";
import { decodeUpdate } from "../sparse/index.js";
import { computeCommitment, packContext, type CircuitParams } from "../zk/index.js";
import { decodeGlobalModel, globalModelHash, type GlobalModel } from "../model/index.js";
import type { CommittedUpdate } from "../chain/index.js";
import type {
  ExclusionReasonName,
  ReaderGroupKey,
  RoleEnvironment,
  RoundPolicy,
  UpdateCheck,
} from "./types.js";

export type RoleErrorCode =
  | "base-not-finalized"
  | "dimension"
  | "missing-event"
  | "model-hash-mismatch"
  | "no-provider"
  | "no-receipt"
  | "not-a-reader"
  | "round-open"
  | "unknown-round"
  | "wrong-proving-key";

/** A role could not do its step; `code` says which rule stopped it. */
export class RoleError extends Error {
  readonly code: RoleErrorCode;
  constructor(code: RoleErrorCode, message: string) {
    super(message);
    this.name = "RoleError";
    this.code = code;
  }
}

export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;
/** Largest sealed update or model a role will download: far above any policy's d and k. */
export const MAX_CONTENT_BYTES = 64 * 1024 * 1024;

/**
 * The policy version a round was opened under (rounds never change rules midway), with its circuit's shape
 * as the consortium's verifying-key registry records it: no role takes the circuit from its own
 * configuration, so all of them check commitments against the same parameters.
 */
export async function loadRoundPolicy({
  env,
  round,
}: {
  env: RoleEnvironment;
  round: bigint;
}): Promise<RoundPolicy> {
  const r = await env.contracts.rounds.getRound(env.taskId, round);
  if (r.status === 0n)
    throw new RoleError("unknown-round", `round ${round} of task ${env.taskId} does not exist`);
  const version = Number(r.policyVersion);
  const raw = await env.contracts.consortium.taskPolicy(env.taskId, version);
  const policy = policyFromChain(raw);
  return { version, policy, circuit: await circuitOfKey({ env, keyHash: policy.verifyingKeyHash }) };
}

/** The circuit shape of a registered verifying key, read from the consortium's registry. */
export async function circuitOfKey({
  env,
  keyHash,
}: {
  env: RoleEnvironment;
  keyHash: string;
}): Promise<CircuitParams> {
  const { consortium } = env.contracts;
  const registry = VerifyingKeyRegistry__factory.connect(await consortium.verifyingKeys(), consortium.runner);
  const info = await registry.keyInfo(keyHash);
  return {
    K: Number(info.shape.maxEntries),
    IDX_BITS: Number(info.shape.indexBits),
    VAL_BITS: Number(info.shape.valueBits),
  };
}

/** Whether a reader's group secret is the one the round's policy pins (else it cannot read the round). */
export function holdsRoundKey({ reader, roundPolicy }: { reader: ReaderGroupKey; roundPolicy: RoundPolicy }) {
  return groupPublicKeyHex(reader.secretKey).toLowerCase() === roundPolicy.policy.readerKey.toLowerCase();
}

/**
 * The time a role should act on: the later of the chain's latest block and the wall clock. A chain that
 * mines only when a transaction arrives keeps an old timestamp through an idle spell; the next transaction
 * is mined at (about) the wall clock, so that is what deadlines are measured against.
 */
export async function effectiveNow({ env }: { env: RoleEnvironment }): Promise<bigint> {
  const provider = env.contracts.rounds.runner?.provider;
  const block = await provider?.getBlock("latest");
  if (!provider || !block) throw new RoleError("no-provider", "cannot read the chain's time");
  let now = BigInt(Math.floor(Date.now() / 1000));
  if (BigInt(block.timestamp) > now) now = BigInt(block.timestamp);
  // A node that mined a burst of blocks ahead of the wall clock stays ahead: the pending block's timestamp
  // is when the next transaction will be mined. Not every node serves it (ethers' getBlock("pending")
  // fails on Hardhat's, whose number is null), so it is read raw and only raises the estimate.
  const rpc = provider as Partial<Pick<JsonRpcApiProvider, "send">>;
  if (typeof rpc.send === "function") {
    try {
      const pending = (await rpc.send("eth_getBlockByNumber", ["pending", false])) as {
        timestamp?: string;
      } | null;
      if (pending?.timestamp !== undefined && BigInt(pending.timestamp) > now)
        now = BigInt(pending.timestamp);
    } catch {
      // The node has no pending block to show: latest block and wall clock stand.
    }
  }
  return now;
}

/** The task readers' public encryption keys, as admitted on chain (never as claimed off chain). */
export async function readerPublicKeys({
  env,
  readers,
}: {
  env: RoleEnvironment;
  readers: readonly string[];
}): Promise<{ id: string; publicKey: Uint8Array }[]> {
  return Promise.all(
    readers.map(async (reader) => {
      const m = await env.contracts.consortium.member(reader);
      return { id: getAddress(reader), publicKey: hexToBytes(m.profile.encryptionKey) };
    }),
  );
}

/** Fetches a global model by CID and checks it against the hash the chain recorded. */
export async function fetchVerifiedModel({
  env,
  cid,
  expectedHash,
}: {
  env: RoleEnvironment;
  cid: string;
  expectedHash: string;
}): Promise<{ model: GlobalModel; bytes: Uint8Array }> {
  const bytes = await env.store.get(cid, {
    maxBytes: MAX_CONTENT_BYTES,
    timeoutMs: env.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
  });
  const hash = globalModelHash(bytes);
  if (hash.toLowerCase() !== expectedHash.toLowerCase()) {
    throw new RoleError(
      "model-hash-mismatch",
      `model ${cid} hashes to ${hash}, the chain recorded ${expectedHash}`,
    );
  }
  return { model: decodeGlobalModel(bytes), bytes };
}

/**
 * Checks one committed update the way both the aggregator and every auditor must: open the envelope the
 * commit carried with the reader-group key, decode it under the round's policy, and recompute the
 * commitment the proof was about. Only an update that passes every step may be aggregated. Every input is
 * on chain or the group key every reader holds, so every honest reader reaches the same verdict.
 */
export function checkCommittedUpdate({
  taskId,
  commit,
  round,
  roundPolicy,
  reader,
}: {
  taskId: bigint;
  commit: CommittedUpdate;
  round: bigint;
  roundPolicy: RoundPolicy;
  reader: ReaderGroupKey;
}): UpdateCheck {
  const member = getAddress(commit.member);
  const exclude = (reason: ExclusionReasonName, detail: string): UpdateCheck => ({
    member,
    status: "excluded",
    reason,
    detail,
  });
  const context = { task: Number(taskId), round: Number(round), member };
  let payload: Uint8Array;
  try {
    payload = openFromGroup({ envelope: commit.envelope, groupSecretKey: reader.secretKey, context });
  } catch (error) {
    return exclude("Unopenable", describe(error));
  }
  const { policy, circuit } = roundPolicy;
  let decoded: ReturnType<typeof decodeUpdate>;
  try {
    // The slot comes from the commit, d and the scale from the policy: the payload carries none of them.
    decoded = decodeUpdate({
      bytes: payload,
      limits: { maxCount: policy.maxNonZeros, maxDimension: policy.dimension },
      slot: { ...context, dimension: policy.dimension, scale: policy.scale },
    });
  } catch (error) {
    return exclude("Undecodable", describe(error));
  }
  const { header, update } = decoded;
  let commitment: bigint;
  try {
    commitment = computeCommitment({
      context: packContext(context),
      salt: header.salt,
      update,
      lInf: policy.lInfBound,
      params: circuit,
    });
  } catch (error) {
    return exclude("CommitmentMismatch", describe(error));
  }
  if (commitment !== commit.commitment) {
    return exclude("CommitmentMismatch", "the payload's entries do not hash to the committed value");
  }
  return { member, status: "valid", update };
}

export function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function hexToBytes(hex: string): Uint8Array {
  const clean = hex.startsWith("0x") ? hex.slice(2) : hex;
  return Uint8Array.from(Buffer.from(clean, "hex"));
}

/** Sorts addresses the way the contract requires for included/excluded lists: strictly increasing. */
export function byAddress(a: string, b: string): number {
  const x = BigInt(a);
  const y = BigInt(b);
  return x < y ? -1 : x > y ? 1 : 0;
}
