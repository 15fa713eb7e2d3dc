import { getAddress } from "ethers";
import { policyFromChain } from "../governance/index.js";
import { openPayload } from "../seal/index.js";
import { decodeUpdate } from "../sparse/index.js";
import { computeCommitment, packContext, type CircuitParams } from "../zk/index.js";
import { decodeGlobalModel, globalModelHash, type GlobalModel } from "../model/index.js";
import type { CommittedUpdate } from "../chain/index.js";
import type { ExclusionReasonName, ReaderKey, RoleEnvironment, RoundPolicy, UpdateCheck } from "./types.js";

/** A role could not do its step; `code` says which rule stopped it. */
export class RoleError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = "RoleError";
    this.code = code;
  }
}

export const DEFAULT_FETCH_TIMEOUT_MS = 15_000;
/** Largest sealed update or model a role will download: far above any policy's d and k. */
export const MAX_CONTENT_BYTES = 64 * 1024 * 1024;

/** The policy version a round was opened under (rounds never change rules midway). */
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
  return { version, policy: policyFromChain(raw) };
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
 * Checks one committed update the way both the aggregator and every auditor must: fetch it, open it with
 * the reader's own key, decode it under the round's policy, and recompute the commitment the proof was
 * about. Only an update that passes every step may be aggregated.
 */
export async function checkCommittedUpdate({
  env,
  commit,
  round,
  roundPolicy,
  reader,
  circuit,
}: {
  env: RoleEnvironment;
  commit: CommittedUpdate;
  round: bigint;
  roundPolicy: RoundPolicy;
  reader: ReaderKey;
  circuit: CircuitParams;
}): Promise<UpdateCheck> {
  const member = getAddress(commit.member);
  const exclude = (reason: ExclusionReasonName, detail: string): UpdateCheck => ({
    member,
    status: "excluded",
    reason,
    detail,
  });
  const context = { task: Number(env.taskId), round: Number(round), member };
  let envelope: Uint8Array;
  try {
    envelope = await env.store.get(commit.cid, {
      maxBytes: MAX_CONTENT_BYTES,
      timeoutMs: env.fetchTimeoutMs ?? DEFAULT_FETCH_TIMEOUT_MS,
    });
  } catch (error) {
    return exclude("Unavailable", describe(error));
  }
  let payload: Uint8Array;
  try {
    payload = openPayload({ envelope, reader: { id: reader.id, secretKey: reader.secretKey }, context });
  } catch (error) {
    const code = (error as { code?: string }).code;
    return exclude(code === "not-a-reader" ? "NotSealedToAggregator" : "Undecodable", describe(error));
  }
  const { policy } = roundPolicy;
  let decoded: ReturnType<typeof decodeUpdate>;
  try {
    decoded = decodeUpdate({
      bytes: payload,
      limits: { maxCount: policy.maxNonZeros, maxDimension: policy.dimension },
    });
  } catch (error) {
    return exclude("Undecodable", describe(error));
  }
  const { header, update } = decoded;
  if (
    header.task !== context.task ||
    header.round !== context.round ||
    header.member.toLowerCase() !== member.toLowerCase() ||
    header.scale !== policy.scale ||
    update.dimension !== policy.dimension
  ) {
    return exclude(
      "CommitmentMismatch",
      "the payload's header names another task, round, member, scale or dimension",
    );
  }
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
