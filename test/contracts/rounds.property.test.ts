/**
 * Property: whatever one party does (an aggregator, an auditor or a member, acting honestly or not, at any
 * time), every round ends (finalized, disputed, abandoned or resolved) within maxRoundDuration +
 * publishWindow + attestationWindow of its opening as long as someone makes the permissionless calls
 * (closeRound, abandonRound, finalizeRound) when they become possible; no round finalizes with a mismatching
 * attestation or with fewer included updates than minParticipants; and with at most one faulty party, a
 * finalized model is the honest one.
 *
 * The expected outcome of every transaction and the expected final state of every round come from a model of
 * the actions taken (below), never from the contract's views; the views are only compared with the model.
 */
import { expect } from "chai";
import fc from "fast-check";
import { network } from "hardhat";
import { AbiCoder, keccak256, toUtf8Bytes } from "ethers";
import { EntityKind, Role } from "../../src/governance/index.js";
import { AbandonReason, ExclusionReason, RoundStatus } from "../../src/chain/index.js";
import { createTaskFor, deployConsortium, encryptionKeyFor, type Connection } from "./fixtures.js";
import { sortAddresses } from "./helpers.js";
import { cachedProofFor, envelopeBytes } from "./proofs.js";

const connection: Connection = await network.create();
const { networkHelpers } = connection;
const { time } = networkHelpers;

const MAX_ROUND = 3600n;
const PUBLISH_WINDOW = 600n;
const ATTESTATION_WINDOW = 600n;
const MIN_PARTICIPANTS = 2;
const MAX_COMMITS = 3;
/** Readers with the auditor role that are not the round's aggregator. */
const AUDITORS = 2;
/** Largest envelope under the policy (512 + 16 · maxNonZeros). */
const MAX_ENVELOPE = 512 + 16 * 16;
/** Rounds per run: proofs are made per (member, round) and reused across runs. */
const MAX_ROUNDS = 3;
/**
 * The windows' comparisons are strict (a commit in the deadline's second counts, a close needs the next
 * second, and so on), so the prompt permissionless calls end a round at most 2 s after the sum of windows.
 */
const BOUND = MAX_ROUND + PUBLISH_WINDOW + ATTESTATION_WINDOW + 2n;

async function propertyFixture(attestationQuorum: number) {
  const base = await deployConsortium(connection);
  const aggregator2 = (await connection.ethers.getSigners())[11]!;
  await base.govern({
    kind: "AdmitMember",
    account: aggregator2.address,
    profile: {
      roles: Role.Aggregator,
      kind: EntityKind.Recycler,
      encryptionKey: encryptionKeyFor(aggregator2.address),
      metadataHash: keccak256(toUtf8Bytes("aggregator-2")),
    },
  });
  const f = await createTaskFor(base, {
    attestationQuorum,
    maxCommits: MAX_COMMITS,
    minParticipants: MIN_PARTICIPANTS,
    maxRoundDuration: Number(MAX_ROUND),
    publishWindow: Number(PUBLISH_WINDOW),
    attestationWindow: Number(ATTESTATION_WINDOW),
    readers: [base.aggregator.address, aggregator2.address, ...base.auditors.map((a) => a.address)],
  });
  await f.govern({ kind: "GrantTaskAccess", taskId: f.taskId, account: aggregator2.address });
  return { ...f, aggregators: [f.aggregator, aggregator2] as const, attestationQuorum };
}
const quorumOneFixture = () => propertyFixture(1);
const quorumTwoFixture = () => propertyFixture(2);
type Fixture = Awaited<ReturnType<typeof propertyFixture>>;

// ---------------------------------------------------------------------------------------------------------
// Actions

type Faulty = "none" | "aggregator0" | "aggregator1" | "auditor0" | "auditor1" | "member0" | "member1";
type CommitKind = "honest" | "badEnvelope" | "badProof" | "oversize";
type PublishKind = "honest" | "wrongModel" | "censor";
type AttestKind = "honest" | "lieMismatch" | "lieMatch" | "wrongHashMatch";
/** Deadline offsets from the opening second: 0 and above MAX_ROUND are refused, as is 2^64 − 1. */
const DEADLINES = [0n, 1n, 600n, MAX_ROUND, MAX_ROUND + 1n, -1n] as const;

type OpenStep = { op: "open"; by: number; deadline: number; stale: boolean };
type Step =
  | OpenStep
  | { op: "commit"; member: number; kind: CommitKind }
  /** by: aggregator 0 or 1, 2 an outsider, 3 the round's aggregator. */
  | { op: "close"; by: number }
  /** by: aggregator 0 or 1, 2 the round's aggregator. */
  | { op: "publish"; by: number; kind: PublishKind }
  | { op: "attest"; auditor: number; kind: AttestKind }
  | { op: "finalize" }
  | { op: "abandon" }
  | { op: "resolve" }
  | { op: "wait"; seconds: number }
  /** Waits until the deadline passed and the keeper closed the round. */
  | { op: "waitForDeadline" };

interface Segment {
  opener: number;
  openDeadline: number;
  attempts: OpenStep[];
  steps: Step[];
}
interface Run {
  quorum: 1 | 2;
  faulty: Faulty;
  segments: Segment[];
}

const openArb: fc.Arbitrary<OpenStep> = fc.record({
  op: fc.constant("open" as const),
  by: fc.nat(1),
  deadline: fc.nat(DEADLINES.length - 1),
  stale: fc.boolean(),
});
const waitArb = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(1, 30, 299, 599, 600, 601) },
  { weight: 1, arbitrary: fc.constantFrom(1200, 3599, 3600, 3601) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 4000 }) },
);
const stepArb: fc.Arbitrary<Step> = fc.oneof(
  { weight: 1, arbitrary: openArb },
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("commit" as const),
      member: fc.nat(3),
      kind: fc.constantFrom<CommitKind>("honest", "badEnvelope", "badProof", "oversize"),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("close" as const), by: fc.nat(3) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("publish" as const),
      by: fc.nat(2),
      kind: fc.constantFrom<PublishKind>("honest", "wrongModel", "censor"),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      op: fc.constant("attest" as const),
      auditor: fc.nat(1),
      kind: fc.constantFrom<AttestKind>("honest", "lieMismatch", "lieMatch", "wrongHashMatch"),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "finalize" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "abandon" as const }) },
  { weight: 1, arbitrary: fc.constant({ op: "resolve" as const }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("wait" as const), seconds: waitArb }) },
);
/**
 * A round as the protocol runs it (commits, close, publish, attestations), with random timing, omissions and
 * faults; random steps of any kind are then mixed in, so that sequences both reach every outcome and wander.
 */
const scriptArb = fc.record({
  commits: fc.uniqueArray(
    fc.record({
      member: fc.nat(3),
      kind: fc.constantFrom<CommitKind>("honest", "honest", "honest", "badEnvelope", "badProof", "oversize"),
      wait: fc.constantFrom(0, 0, 0, 0, 30, 200),
    }),
    { minLength: 2, maxLength: 4, selector: (c) => c.member },
  ),
  closeEarly: fc.boolean(),
  publish: fc.option(
    fc.record({
      by: fc.constantFrom(2, 2, 2, 2, 2, 0, 1),
      kind: fc.constantFrom<PublishKind>("honest", "wrongModel", "censor"),
      wait: fc.constantFrom(0, 1, 300, 599, 600, 601),
    }),
    { freq: 5 },
  ),
  attests: fc.array(
    fc.record({
      auditor: fc.nat(1),
      kind: fc.constantFrom<AttestKind>("honest", "honest", "lieMismatch", "lieMatch", "wrongHashMatch"),
      wait: fc.constantFrom(0, 0, 1, 300, 599, 601),
    }),
    { maxLength: 3 },
  ),
  finalizeEarly: fc.boolean(),
  resolve: fc.boolean(),
});
type Script = typeof scriptArb extends fc.Arbitrary<infer T> ? T : never;

function scriptSteps(script: Script): Step[] {
  const steps: Step[] = [];
  const wait = (seconds: number) => {
    if (seconds > 0) steps.push({ op: "wait", seconds });
  };
  for (const c of script.commits) {
    wait(c.wait);
    steps.push({ op: "commit", member: c.member, kind: c.kind });
  }
  steps.push(script.closeEarly ? { op: "close", by: 3 } : { op: "waitForDeadline" });
  if (script.publish) {
    wait(script.publish.wait);
    steps.push({ op: "publish", by: script.publish.by, kind: script.publish.kind });
  }
  for (const a of script.attests) {
    wait(a.wait);
    steps.push({ op: "attest", auditor: a.auditor, kind: a.kind });
  }
  if (script.finalizeEarly) steps.push({ op: "finalize" });
  if (script.resolve) steps.push({ op: "resolve" });
  return steps;
}

const segmentArb: fc.Arbitrary<Segment> = fc
  .record({
    opener: fc.nat(1),
    openDeadline: fc.constantFrom(1, 2, 3, 3, 3, 3),
    attempts: fc.array(openArb, { maxLength: 1 }),
    script: scriptArb,
    noise: fc.array(fc.tuple(fc.nat(40), stepArb), { maxLength: 5 }),
  })
  .map(({ opener, openDeadline, attempts, script, noise }) => {
    const steps = scriptSteps(script);
    for (const [at, step] of noise) steps.splice(at % (steps.length + 1), 0, step);
    return { opener, openDeadline, attempts, steps };
  });
const runArb: fc.Arbitrary<Run> = fc.record({
  quorum: fc.constantFrom<1 | 2>(1, 2),
  faulty: fc.constantFrom<Faulty>(
    "none",
    "aggregator0",
    "aggregator1",
    "auditor0",
    "auditor1",
    "member0",
    "member1",
  ),
  segments: fc.array(segmentArb, { minLength: 1, maxLength: 2 }),
});

// ---------------------------------------------------------------------------------------------------------
// The model

type Status = keyof typeof RoundStatus;
const ENDED: readonly Status[] = ["Finalized", "Disputed", "Abandoned", "Resolved"];

interface Publication {
  modelHash: string;
  included: string[];
  excluded: { member: string; reason: number }[];
  correct: boolean;
  trueHash: string;
}

interface RoundModel {
  round: bigint;
  aggregator: number;
  openedAt: bigint;
  deadline: bigint;
  status: Status;
  abandonReason: keyof typeof AbandonReason;
  closedAt: bigint;
  publishedAt: bigint;
  endedAt: bigint;
  /** member index → whether its envelope is well formed (an honest aggregator includes exactly those). */
  commits: Map<number, "honest" | "badEnvelope">;
  publication?: Publication;
  matches: number;
  mismatches: number;
  attested: Set<number>;
}

const coder = AbiCoder.defaultAbiCoder();
/** The model a replay of (round, included) gives: any injective function will do for the contract. */
const modelHashOf = (round: bigint, included: string[]) =>
  keccak256(coder.encode(["string", "uint256", "address[]"], ["model", round, included]));

class RoundsModel {
  rounds: RoundModel[] = [];
  lastFinalized: { round: bigint; hash: string };

  constructor(
    readonly quorum: number,
    initialModelHash: string,
  ) {
    this.lastFinalized = { round: 0n, hash: initialModelHash };
  }

  get current(): RoundModel | undefined {
    return this.rounds[this.rounds.length - 1];
  }

  running(): RoundModel | undefined {
    const r = this.current;
    return r && !ENDED.includes(r.status) ? r : undefined;
  }

  /** The first second at which a permissionless call can move the running round on. */
  keeperMoment(): bigint | undefined {
    const r = this.running();
    if (!r) return undefined;
    if (r.status === "Open") return r.deadline + 1n;
    if (r.status === "Closed") return r.closedAt + PUBLISH_WINDOW + 1n;
    return r.publishedAt + ATTESTATION_WINDOW + 1n;
  }

  private end(r: RoundModel, status: Status, at: bigint, reason: keyof typeof AbandonReason = "None") {
    r.status = status;
    r.abandonReason = reason;
    r.endedAt = at;
  }

  open(by: number, deadline: bigint, base: string, at: bigint): boolean {
    if (deadline <= at || deadline > at + MAX_ROUND) return false;
    const previous = this.current;
    if (previous) {
      if (!ENDED.includes(previous.status)) return false;
      if (
        previous.abandonReason === "PublishWindowPassed" &&
        previous.aggregator === by &&
        at <= previous.endedAt + MAX_ROUND
      )
        return false;
    }
    if (base !== this.lastFinalized.hash) return false;
    this.rounds.push({
      round: BigInt(this.rounds.length + 1),
      aggregator: by,
      openedAt: at,
      deadline,
      status: "Open",
      abandonReason: "None",
      closedAt: 0n,
      publishedAt: 0n,
      endedAt: 0n,
      commits: new Map(),
      matches: 0,
      mismatches: 0,
      attested: new Set(),
    });
    return true;
  }

  commit(member: number, kind: CommitKind, at: bigint): boolean {
    const r = this.current;
    if (!r || r.status !== "Open" || at > r.deadline) return false;
    if (r.commits.has(member) || r.commits.size >= MAX_COMMITS) return false;
    if (kind === "badProof" || kind === "oversize") return false;
    r.commits.set(member, kind);
    return true;
  }

  close(by: number | "outsider", at: bigint): boolean {
    const r = this.current;
    if (!r || r.status !== "Open") return false;
    if (at <= r.deadline && (by !== r.aggregator || r.commits.size < MIN_PARTICIPANTS)) return false;
    r.status = "Closed";
    r.closedAt = at;
    if (r.commits.size < MIN_PARTICIPANTS) this.end(r, "Abandoned", at, "TooFewCommits");
    return true;
  }

  publish(by: number, publication: Publication, at: bigint): boolean {
    const r = this.current;
    if (!r || by !== r.aggregator || r.status !== "Closed" || at > r.closedAt + PUBLISH_WINDOW) return false;
    r.status = "Published";
    r.publishedAt = at;
    r.publication = publication;
    return true;
  }

  attest(auditor: number, matches: boolean, hash: string): boolean {
    const r = this.current;
    if (!r || (r.status !== "Published" && r.status !== "Disputed")) return false;
    if (r.attested.has(auditor)) return false;
    if (matches && hash !== r.publication!.modelHash) return false;
    r.attested.add(auditor);
    if (matches) r.matches++;
    else r.mismatches++;
    return true;
  }

  /** Applied after `attest` succeeded at `at`: a mismatch disputes a published round. */
  disputeIfMismatch(matches: boolean, at: bigint) {
    const r = this.current!;
    if (!matches && r.status === "Published") this.end(r, "Disputed", at);
  }

  finalize(at: bigint): boolean {
    const r = this.current;
    if (!r || r.status !== "Published" || r.matches < this.quorum) return false;
    if (at <= r.publishedAt + ATTESTATION_WINDOW && r.matches + r.mismatches < AUDITORS) return false;
    if (r.publication!.included.length < MIN_PARTICIPANTS) {
      this.end(r, "Abandoned", at, "TooFewIncluded");
    } else {
      this.end(r, "Finalized", at);
      this.lastFinalized = { round: r.round, hash: r.publication!.modelHash };
    }
    return true;
  }

  abandon(at: bigint): boolean {
    const r = this.current;
    if (r?.status === "Closed" && at > r.closedAt + PUBLISH_WINDOW) {
      this.end(r, "Abandoned", at, "PublishWindowPassed");
      return true;
    }
    if (r?.status === "Published" && at > r.publishedAt + ATTESTATION_WINDOW && r.matches < this.quorum) {
      this.end(r, "Abandoned", at, "AttestationWindowPassed");
      return true;
    }
    return false;
  }

  resolve(r: RoundModel) {
    const upheld = r.publication!.correct;
    r.status = "Resolved";
    if (upheld && r.round > this.lastFinalized.round)
      this.lastFinalized = { round: r.round, hash: r.publication!.modelHash };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Driving the chain

function isRevert(error: unknown): boolean {
  return /reverted|custom error/i.test((error as Error).message);
}

interface Stats {
  runs: number;
  rounds: number;
  outcomes: Map<string, number>;
  transactions: number;
  refused: number;
}

async function execute(run: Run, stats: Stats) {
  const f: Fixture = await networkHelpers.loadFixture(run.quorum === 1 ? quorumOneFixture : quorumTwoFixture);
  const { rounds, taskId, policy, members, auditors, aggregators, outsider } = f;
  const model = new RoundsModel(run.quorum, policy.initialModelHash);
  const isFaulty = (who: Faulty) => run.faulty === who;
  const memberAddress = (i: number) => members[i]!.address;
  /** Successful mismatch attestations per round, as the actions made them. */
  const mismatchesAttested = new Map<bigint, number>();

  const send = async (
    label: string,
    expected: boolean,
    tx: () => Promise<{ wait: () => Promise<unknown> }>,
  ) => {
    let ok = true;
    try {
      await (await tx()).wait();
    } catch (error) {
      if (!isRevert(error)) throw error;
      ok = false;
    }
    stats.transactions++;
    if (!ok) stats.refused++;
    expect(ok, `${label}: the model expected ${expected ? "success" : "a revert"}`).to.equal(expected);
  };
  /** Pins the next block to the next second and returns it: every prediction knows its block time. */
  const nextSecond = async (at?: bigint) => {
    const t = at ?? BigInt(await time.latest()) + 1n;
    await time.setNextBlockTimestamp(t);
    return t;
  };

  /** The prompt permissionless caller: moves the running round on at the first second it can. */
  const keeperActs = async () => {
    const r = model.running()!;
    const latest = BigInt(await time.latest());
    const moment = model.keeperMoment()!;
    const at = await nextSecond(moment > latest ? moment : latest + 1n);
    if (r.status === "Open") {
      const expected = model.close("outsider", at);
      await send(`keeper closes round ${r.round}`, expected, () =>
        rounds.connect(outsider).closeRound(taskId, r.round),
      );
    } else if (r.status === "Closed" || r.matches < model.quorum) {
      const expected = model.abandon(at);
      await send(`keeper abandons round ${r.round}`, expected, () =>
        rounds.connect(outsider).abandonRound(taskId, r.round),
      );
    } else {
      const expected = model.finalize(at);
      await send(`keeper finalizes round ${r.round}`, expected, () =>
        rounds.connect(outsider).finalizeRound(taskId, r.round),
      );
    }
  };
  /** Lets time pass up to `until`, with the keeper acting at each of its moments on the way. */
  const settle = async (until: bigint) => {
    for (
      let moment = model.keeperMoment();
      moment !== undefined && moment <= until;
      moment = model.keeperMoment()
    )
      await keeperActs();
    if (until > BigInt(await time.latest())) await time.increaseTo(until);
  };
  /** Before a transaction in the next second, the keeper acts if that second is its moment. */
  const beforeAction = async () => {
    for (;;) {
      const moment = model.keeperMoment();
      if (moment === undefined || moment > BigInt(await time.latest()) + 1n) return;
      await keeperActs();
    }
  };

  const open = async (step: OpenStep, label: string) => {
    if (model.rounds.length >= MAX_ROUNDS) return false;
    await beforeAction();
    const at = await nextSecond();
    const offset = DEADLINES[step.deadline]!;
    const deadline = offset < 0n ? 2n ** 64n - 1n : at + offset;
    const base = step.stale
      ? model.lastFinalized.round === 0n
        ? keccak256(toUtf8Bytes("not-the-initial-model"))
        : policy.initialModelHash
      : model.lastFinalized.hash;
    const expected = model.open(step.by, deadline, base, at);
    await send(
      `${label}: aggregator ${step.by} opens (deadline ${deadline}, stale ${step.stale})`,
      expected,
      () => rounds.connect(aggregators[step.by]).openRound(taskId, "bafkrei-base", base, deadline),
    );
    return expected;
  };

  const honestPublication = (r: RoundModel): Publication => {
    const honest = sortAddresses(
      [...r.commits].filter(([, k]) => k === "honest").map(([m]) => memberAddress(m)),
    );
    const bad = sortAddresses(
      [...r.commits].filter(([, k]) => k === "badEnvelope").map(([m]) => memberAddress(m)),
    );
    const trueHash = modelHashOf(r.round, honest);
    return {
      modelHash: trueHash,
      included: honest,
      excluded: bad.map((member) => ({ member, reason: ExclusionReason.Undecodable })),
      correct: true,
      trueHash,
    };
  };

  const doStep = async (step: Step, index: number) => {
    const label = `step ${index} ${JSON.stringify(step)}`;
    if (step.op === "wait") {
      await settle(BigInt(await time.latest()) + BigInt(step.seconds));
      return;
    }
    if (step.op === "open") {
      await open(step, label);
      return;
    }
    if (step.op === "waitForDeadline") {
      const running = model.running();
      if (running?.status === "Open") await settle(running.deadline + 1n);
      return;
    }
    const r = model.current;
    const round = r?.round ?? 1n;
    if (step.op === "commit") {
      if (round > BigInt(MAX_ROUNDS)) return;
      const kind: CommitKind = isFaulty(`member${step.member}` as Faulty) ? step.kind : "honest";
      const member = members[step.member]!;
      const c = await cachedProofFor({ task: taskId, round, member: member.address, policy });
      const proof = kind === "badProof" ? [...c.proof.slice(0, 7), c.proof[7]! ^ 1n] : c.proof;
      const envelope =
        kind === "oversize"
          ? envelopeBytes(member.address, round, MAX_ENVELOPE + 1)
          : kind === "badEnvelope"
            ? envelopeBytes(member.address, round ^ 0xbadn, 96)
            : c.envelope;
      await beforeAction();
      const at = await nextSecond();
      const expected = model.commit(step.member, kind, at);
      await send(label, expected, () =>
        rounds.connect(member).commitUpdate(taskId, round, envelope, c.commitment, proof),
      );
    } else if (step.op === "close") {
      const by = step.by === 3 ? (r?.aggregator ?? 0) : step.by;
      const signer = by === 2 ? outsider : aggregators[by]!;
      await beforeAction();
      const at = await nextSecond();
      const expected = model.close(by === 2 ? "outsider" : by, at);
      await send(label, expected, () => rounds.connect(signer).closeRound(taskId, round));
    } else if (step.op === "publish") {
      if (!r) return;
      const by = step.by === 2 ? r.aggregator : step.by;
      const kind: PublishKind = isFaulty(`aggregator${by}` as Faulty) ? step.kind : "honest";
      const honest = honestPublication(r);
      let publication = honest;
      if (kind === "wrongModel" || (kind === "censor" && honest.included.length === 0)) {
        publication = {
          ...honest,
          modelHash: keccak256(toUtf8Bytes(`wrong-${round}-${index}`)),
          correct: false,
        };
      } else if (kind === "censor") {
        const [censored, ...included] = honest.included as [string, ...string[]];
        const excluded = [...honest.excluded, { member: censored, reason: ExclusionReason.Unopenable }].sort(
          (a, b) => (BigInt(a.member) < BigInt(b.member) ? -1 : 1),
        );
        publication = {
          ...honest,
          modelHash: modelHashOf(round, included),
          included,
          excluded,
          correct: false,
        };
      }
      await beforeAction();
      const at = await nextSecond();
      const expected = model.publish(by, publication, at);
      await send(`${label} (${kind} by ${by})`, expected, () =>
        rounds
          .connect(aggregators[by])
          .publishAggregate(
            taskId,
            round,
            `bafkrei-model-${round}`,
            publication.modelHash,
            publication.included,
            publication.excluded,
          ),
      );
    } else if (step.op === "attest") {
      const kind: AttestKind = isFaulty(`auditor${step.auditor}` as Faulty) ? step.kind : "honest";
      const published = r?.publication;
      const lie = keccak256(toUtf8Bytes(`lie-${round}-${index}`));
      let matches: boolean;
      let hash: string;
      if (kind === "honest") {
        // An honest auditor replays the round: it matches exactly when the publication is the honest one.
        matches = published?.correct ?? true;
        hash = matches ? (published?.modelHash ?? lie) : published!.trueHash;
      } else if (kind === "lieMismatch") {
        [matches, hash] = [false, lie];
      } else if (kind === "lieMatch") {
        [matches, hash] = [true, published?.modelHash ?? lie];
      } else {
        [matches, hash] = [true, lie];
      }
      await beforeAction();
      const at = await nextSecond();
      const expected = model.attest(step.auditor, matches, hash);
      await send(`${label} (matches ${matches})`, expected, () =>
        rounds.connect(auditors[step.auditor]).attest(taskId, round, matches, hash),
      );
      if (expected) {
        model.disputeIfMismatch(matches, at);
        if (!matches) mismatchesAttested.set(round, (mismatchesAttested.get(round) ?? 0) + 1);
      }
    } else if (step.op === "finalize") {
      await beforeAction();
      const at = await nextSecond();
      const expected = model.finalize(at);
      await send(label, expected, () => rounds.connect(outsider).finalizeRound(taskId, round));
    } else if (step.op === "abandon") {
      await beforeAction();
      const at = await nextSecond();
      const expected = model.abandon(at);
      await send(label, expected, () => rounds.connect(outsider).abandonRound(taskId, round));
    } else if (step.op === "resolve") {
      // Governance is honest: it upholds exactly the honest publications, and anyone applies its decision.
      if (!r || r.status !== "Disputed") return;
      await f.govern({
        kind: "ResolveDispute",
        taskId,
        round,
        upholdModel: r.publication!.correct,
        suspend: [],
      });
      await send(label, true, () => rounds.connect(outsider).resolveDispute(taskId, round));
      model.resolve(r);
    }
  };

  for (const [s, segment] of run.segments.entries()) {
    if (model.rounds.length >= MAX_ROUNDS) break;
    for (const attempt of segment.attempts) await open(attempt, `segment ${s} attempt`);
    if (!model.running()) {
      // Someone opens the round: the chosen aggregator, or the other one if the chosen one went silent.
      let opened = false;
      for (const by of [segment.opener, 1 - segment.opener]) {
        if (opened) break;
        opened = await open(
          { op: "open", by, deadline: segment.openDeadline, stale: false },
          `segment ${s} opening`,
        );
      }
      expect(
        opened || model.rounds.length >= MAX_ROUNDS,
        "one of the two aggregators can always open",
      ).to.equal(true);
    }
    for (const [i, step] of segment.steps.entries()) await doStep(step, i);
    // Enough time for the permissionless calls to end the running round.
    await settle(BigInt(await time.latest()) + BOUND + 10n);
    expect(model.running(), "the keeper ended the round").to.equal(undefined);
  }

  // Compare the model with the chain, and check the properties on what the chain says.
  for (const r of model.rounds) {
    const onChain = await rounds.getRound(taskId, r.round);
    const label = `round ${r.round} (${run.faulty} faulty, quorum ${run.quorum})`;
    expect(Number(onChain.status), `${label} status`).to.equal(RoundStatus[r.status]);
    expect(Number(onChain.abandonReason), `${label} abandon reason`).to.equal(AbandonReason[r.abandonReason]);
    expect(onChain.endedAt, `${label} endedAt`).to.equal(r.endedAt);
    expect(onChain.commitCount, `${label} commits`).to.equal(BigInt(r.commits.size));
    expect(onChain.matchCount, `${label} matches`).to.equal(BigInt(r.matches));
    expect(onChain.mismatchCount, `${label} mismatches`).to.equal(BigInt(r.mismatches));
    // Every round ended, within the policy's windows of its opening.
    expect(ENDED.map((s) => RoundStatus[s])).to.include(Number(onChain.status));
    expect(onChain.endedAt - r.openedAt, `${label} lasted`).to.be.at.most(BOUND);
    if (Number(onChain.status) === RoundStatus.Finalized) {
      expect(mismatchesAttested.get(r.round) ?? 0, `${label} finalized despite a mismatch`).to.equal(0);
      expect(r.publication!.included.length, `${label} finalized with too few updates`).to.be.at.least(
        MIN_PARTICIPANTS,
      );
      // With one faulty party at most, what finalizes is the honest aggregate.
      expect(r.publication!.correct, `${label} finalized a wrong model`).to.equal(true);
    }
    stats.rounds++;
    const outcome = r.status === "Abandoned" ? `Abandoned(${r.abandonReason})` : r.status;
    stats.outcomes.set(outcome, (stats.outcomes.get(outcome) ?? 0) + 1);
  }
  expect(await rounds.lastFinalized(taskId)).to.deep.equal([
    model.lastFinalized.round,
    model.lastFinalized.hash,
  ]);
  stats.runs++;
}

describe("FederatedRounds liveness and safety (property-based)", function () {
  it("ends every round within its windows and never finalizes a disputed, short or (with one faulty party) wrong aggregate", async function () {
    const stats: Stats = { runs: 0, rounds: 0, outcomes: new Map(), transactions: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(runArb, (run) => execute(run, stats)),
      { numRuns: 36, seed: 11_2026, endOnFailure: true },
    );
    console.log(
      `      ${stats.runs} runs, ${stats.rounds} rounds (${[...stats.outcomes].map(([s, n]) => `${s} ${n}`).join(", ")}), ` +
        `${stats.transactions} transactions of which ${stats.refused} refused as predicted`,
    );
    // The sequences must reach every way a round ends, or the property was not exercised.
    for (const outcome of [
      "Finalized",
      "Disputed",
      "Resolved",
      "Abandoned(TooFewCommits)",
      "Abandoned(PublishWindowPassed)",
    ])
      expect(stats.outcomes.get(outcome) ?? 0, outcome).to.be.greaterThan(0);
  });
});
