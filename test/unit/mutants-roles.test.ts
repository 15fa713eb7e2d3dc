/**
 * Tests written for mutants of the roles' checks that survived the other tests (`npm run mutation --
 * --area roles`): checkCommittedUpdate's verdict on a commitment made for another slot in one field only (the
 * payload carries no slot: the commit and the policy give it), on one more entry than the policy's k, and on
 * entries the commitment cannot be computed for;
 * checkProvingKey's comparison of each circuit parameter and of the key hash whatever its case.
 */
import { expect } from "chai";
import { getAddress, hexlify, keccak256, toUtf8Bytes } from "ethers";
import type { CommittedUpdate } from "../../src/chain/index.js";
import type { TaskPolicy } from "../../src/governance/index.js";
import {
  checkCommittedUpdate,
  checkProvingKey,
  RoleError,
  type ReaderGroupKey,
  type RoundPolicy,
} from "../../src/roles/index.js";
import {
  createReaderGroup,
  generateReaderKeyPair,
  openReaderGroup,
  sealToGroup,
} from "../../src/seal/index.js";
import { encodeUpdate, type SparseUpdate, type UpdateHeader } from "../../src/sparse/index.js";
import {
  computeCommitment,
  loadCircuitArtifacts,
  packContext,
  randomSalt,
  verifyingKeyHash,
  verifyingKeyWords,
  type CircuitParams,
} from "../../src/zk/index.js";

const TASK = 7n;
const ROUND = 3n;
const CIRCUIT: CircuitParams = { K: 16, IDX_BITS: 12, VAL_BITS: 16 };
const MEMBER = getAddress("0x" + "1001".padStart(40, "0"));
const readerId = getAddress("0x" + "a1".padStart(40, "0"));
const personal = generateReaderKeyPair();
const group = createReaderGroup({
  readers: [{ id: readerId, publicKey: personal.publicKey }],
  dealer: readerId,
});
const reader: ReaderGroupKey = {
  reader: readerId,
  secretKey: openReaderGroup({
    bundle: group.bundle,
    reader: { id: readerId, secretKey: personal.secretKey },
    expectedPublicKey: group.bundle.publicKey,
  }),
};
const policy = {
  dimension: 64,
  maxNonZeros: 8,
  lInfBound: 8192n,
  l2Bound: 16384n,
  scale: 4096,
  readerKey: group.bundle.publicKey,
  verifyingKeyHash: keccak256(toUtf8Bytes("key")),
} as const satisfies Partial<TaskPolicy>;
const roundPolicy: RoundPolicy = { version: 1, policy: policy as unknown as TaskPolicy, circuit: CIRCUIT };
const context = { task: Number(TASK), round: Number(ROUND), member: MEMBER };

const entries = (dimension: number, count: number, value = 100): SparseUpdate => ({
  dimension,
  indices: Uint32Array.from({ length: count }, (_, i) => i * 2),
  values: Int32Array.from({ length: count }, () => value),
});

/**
 * The verdict on a commit whose sealed payload carries `header` and `update`, sealed for the round's own
 * context, with the commitment an honest member would have computed for that update.
 */
function verdict(
  update: SparseUpdate,
  header: Partial<UpdateHeader> = {},
  committedFor: typeof context = context,
) {
  const salt = randomSalt();
  const payload = encodeUpdate({ header: { ...context, scale: policy.scale, salt, ...header }, update });
  let commitment = 1n;
  try {
    commitment = computeCommitment({
      context: packContext(committedFor),
      salt,
      update,
      lInf: policy.lInfBound,
      params: CIRCUIT,
    });
  } catch {
    // Entries the circuit cannot take: any commitment will do, the check must refuse them first.
  }
  const commit: CommittedUpdate = {
    member: MEMBER.toLowerCase(),
    envelope: sealToGroup({ payload, groupPublicKey: group.publicKey, context }),
    commitment,
    blockNumber: 1,
    transactionHash: hexlify(new Uint8Array(32)),
  };
  return checkCommittedUpdate({ taskId: TASK, commit, round: ROUND, roundPolicy, reader });
}

describe("roles' checks at their boundaries (mutation testing)", function () {
  describe("checkCommittedUpdate", function () {
    it("accepts exactly k entries in dimension d, and names the member in checksum form", function () {
      const check = verdict(entries(64, 8));
      expect(check.status).to.equal("valid");
      expect(check.member).to.equal(MEMBER);
    });

    it("takes the slot, d and scale from the commit and the policy: a member encoding another sends the same bytes", function () {
      for (const header of [
        { task: 8 },
        { round: 4 },
        { member: getAddress("0x" + "1002".padStart(40, "0")) },
        { scale: 2048 },
      ]) {
        const check = verdict(entries(64, 2), header);
        expect(check.status, JSON.stringify(header)).to.equal("valid");
      }
      expect(verdict(entries(32, 2)).status).to.equal("valid");
    });

    it("excludes a commitment made for another slot in any one field", function () {
      for (const other of [
        { ...context, task: 8 },
        { ...context, round: 4 },
        { ...context, member: getAddress("0x" + "1002".padStart(40, "0")) },
      ]) {
        const check = verdict(entries(64, 2), {}, other);
        expect(check.status, JSON.stringify(other)).to.equal("excluded");
        if (check.status === "excluded")
          expect(check.reason, JSON.stringify(other)).to.equal("CommitmentMismatch");
      }
    });

    it("excludes one entry more than k, and an index at d or above, as undecodable", function () {
      const atD = { dimension: 65, indices: Uint32Array.from([0, 64]), values: Int32Array.from([100, 100]) };
      for (const update of [entries(64, 9), atD]) {
        const check = verdict(update);
        expect(check.status === "excluded" && check.reason).to.equal("Undecodable");
      }
    });

    it("excludes entries beyond the L-infinity bound as a commitment mismatch instead of throwing", function () {
      const check = verdict(entries(64, 2, 8193));
      expect(check.status === "excluded" && check.reason).to.equal("CommitmentMismatch");
      if (check.status === "excluded") expect(check.detail).to.match(/8193|lInf|bound/i);
    });
  });

  describe("checkProvingKey", function () {
    it("compares each circuit parameter, and the key hash whatever its case", async function () {
      const artifacts = await loadCircuitArtifacts({ instance: "test" });
      const pinned = verifyingKeyHash(verifyingKeyWords(artifacts.vkey));
      const circuit = { ...artifacts.params };
      checkProvingKey({
        artifacts,
        policy: { verifyingKeyHash: pinned.toUpperCase().replace("0X", "0x") },
        circuit,
      });
      for (const other of [
        { IDX_BITS: circuit.IDX_BITS + 1 },
        { VAL_BITS: circuit.VAL_BITS + 1 },
        { K: circuit.K - 1 },
      ]) {
        try {
          checkProvingKey({
            artifacts,
            policy: { verifyingKeyHash: pinned },
            circuit: { ...circuit, ...other },
          });
          expect.fail(`accepted ${JSON.stringify(other)}`);
        } catch (error) {
          expect(error, JSON.stringify(other)).to.be.instanceOf(RoleError);
          expect((error as RoleError).code).to.equal("wrong-proving-key");
        }
      }
    });
  });
});
