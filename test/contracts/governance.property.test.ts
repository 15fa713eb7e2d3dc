import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { keccak256, toUtf8Bytes } from "ethers";
import {
  encodeProposal,
  EntityKind,
  MemberStatus,
  Role,
  type ProposalAction,
} from "../../src/governance/index.js";
import { deployConsortium, encryptionKeyFor, VOTING_PERIOD, type Connection } from "./fixtures.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const fixture = () => deployConsortium(connection);

/** One step a random governance session can take. */
type Step =
  | { op: "propose"; by: number; action: number; target: number; value: number }
  | { op: "approve"; by: number; proposal: number }
  | { op: "rally"; proposal: number }
  | { op: "execute"; by: number; proposal: number }
  | { op: "wait"; seconds: number };

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({
    op: fc.constant("propose" as const),
    by: fc.nat(5),
    action: fc.nat(5),
    target: fc.nat(10),
    value: fc.integer({ min: 0, max: 6 }),
  }),
  fc.record({ op: fc.constant("approve" as const), by: fc.nat(5), proposal: fc.nat(8) }),
  fc.record({ op: fc.constant("rally" as const), proposal: fc.integer({ min: 1, max: 6 }) }),
  fc.record({
    op: fc.constant("execute" as const),
    by: fc.nat(10),
    proposal: fc.integer({ min: 1, max: 6 }),
  }),
  fc.record({ op: fc.constant("wait" as const), seconds: fc.integer({ min: 1, max: 2000 }) }),
);

describe("Consortium governance invariants (property-based)", function () {
  it("never acts without quorum, keeps the quorum in range, and its views agree with its events", async function () {
    let executions = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(stepArb, { minLength: 10, maxLength: 30 }), async (steps) => {
        const { consortium } = await networkHelpers.loadFixture(fixture);
        const signers = await connection.ethers.getSigners();
        const actionFor = (s: Extract<Step, { op: "propose" }>): ProposalAction => {
          const target = signers[s.target]!.address;
          switch (s.action) {
            case 0:
              return { kind: "SetQuorum", quorum: s.value };
            case 1:
              return { kind: "AddGovernor", governor: target };
            case 2:
              return { kind: "RemoveGovernor", governor: target };
            case 3:
              return {
                kind: "AdmitMember",
                account: target,
                profile: {
                  roles: (s.value % 7) + 1,
                  kind: EntityKind.Recycler,
                  encryptionKey: encryptionKeyFor(target),
                  metadataHash: keccak256(toUtf8Bytes(target)),
                },
              };
            case 4:
              return { kind: "SuspendMember", account: target };
            default:
              return { kind: "RemoveMember", account: target };
          }
        };
        for (const step of steps) {
          try {
            if (step.op === "propose") {
              const { kind, payload } = encodeProposal(actionFor(step));
              await consortium.connect(signers[step.by]).propose(kind, payload, VOTING_PERIOD);
            } else if (step.op === "approve") {
              await consortium.connect(signers[step.by]).approve(BigInt(step.proposal));
            } else if (step.op === "rally") {
              // Every current governor approves (each call may revert on its own: already approved, expired).
              for (const governor of await consortium.governors()) {
                const signer = signers.find((x) => x.address === governor)!;
                await consortium
                  .connect(signer)
                  .approve(BigInt(step.proposal))
                  .catch((error: unknown) => {
                    if (!/reverted|custom error/i.test((error as Error).message)) throw error;
                  });
              }
            } else if (step.op === "execute") {
              const id = BigInt(step.proposal);
              const approvals = await consortium.approvalCount(id);
              const quorum = await consortium.quorum();
              const tx = await consortium.connect(signers[step.by]).execute(id);
              await tx.wait();
              executions++;
              // Invariant: an execution only ever happens with the quorum of current governors.
              expect(approvals >= quorum, `executed proposal ${id} with ${approvals} < ${quorum}`).to.equal(
                true,
              );
            } else {
              await networkHelpers.time.increase(step.seconds);
            }
          } catch (error) {
            // Reverts are expected in random sequences; anything else is a bug in the test or the stack.
            const message = (error as Error).message;
            if (!/reverted|custom error/i.test(message)) throw error;
          }
          const governors = await consortium.governors();
          const quorum = await consortium.quorum();
          expect(quorum >= 1n && quorum <= BigInt(governors.length), "quorum in 1..governors").to.equal(true);
          expect(new Set(governors).size).to.equal(governors.length);
        }
        // Rebuild membership from events alone and compare with the contract's views.
        const status = new Map<string, number>();
        for (const e of await consortium.queryFilter(consortium.filters.MemberAdmitted()))
          status.set(e.args.account, MemberStatus.Active);
        for (const e of await consortium.queryFilter(consortium.filters.MemberStatusChanged()))
          status.set(e.args.account, Number(e.args.status));
        for (const signer of signers.slice(0, 11)) {
          const m = await consortium.member(signer.address);
          expect(Number(m.status)).to.equal(status.get(signer.address) ?? MemberStatus.None);
          if (Number(m.status) !== MemberStatus.None)
            expect(Number(m.profile.roles) & ~(Role.Member | Role.Aggregator | Role.Auditor)).to.equal(0);
        }
        // Governors from events alone.
        const seats = new Set<string>();
        const seatEvents = [
          ...(await consortium.queryFilter(consortium.filters.GovernorAdded())).map((e) => ({
            e,
            add: true,
          })),
          ...(await consortium.queryFilter(consortium.filters.GovernorRemoved())).map((e) => ({
            e,
            add: false,
          })),
        ].sort((a, b) => a.e.blockNumber - b.e.blockNumber || a.e.index - b.e.index);
        for (const { e, add } of seatEvents) {
          if (add) seats.add(e.args.governor);
          else seats.delete(e.args.governor);
        }
        expect([...seats].sort()).to.deep.equal([...(await consortium.governors())].sort());
      }),
      { numRuns: 12, seed: 20261127 },
    );
    // The sequences must actually reach executions, or the invariants were never exercised.
    expect(executions).to.be.greaterThan(0);
  });
});
