/**
 * Benchmark: the attack × defense × malicious-fraction matrix on AI4I 2020 (src/evaluation), one seeded
 * run, and the out-of-bounds commit attempt against the real `test` circuit and contracts.
 *
 * The matrix runs on the federation simulation of src/research (the member role's training and update
 * building, the policy's fixed-point bounds, and `computeRoundModel`, the bit-exact aggregation the
 * aggregator publishes; the chain and proofs do not change the arithmetic). Every figure has
 * its baseline in the same run: each defense's clean federation (0 malicious), the `mean-unbounded`
 * defense (no proof bounds), and, for the backdoor, the model's miss rate on the same failures without the
 * trigger.
 * Run alone: `npx tsx scripts/bench/attacks.ts` prints the JSON (about 5 minutes on 2 cores).
 */
import { pathToFileURL } from "node:url";
import { getBytes, toBeHex } from "ethers";
import { startInProcessChain } from "../../src/harness/index.js";
import { AI4I_TRIGGER } from "../../src/adversary/index.js";
import {
  ATTACKS,
  attemptOutOfBoundsUpdate,
  DEFENSES,
  outOfBoundsUpdate,
  runAttackMatrix,
  type BoundViolation,
  type CellResult,
  type FederationSettings,
} from "../../src/evaluation/index.js";
import {
  localTaskPolicy,
  createLocalTask,
  deployLocalConsortium,
} from "../../src/harness/index.js";
import { initBackend, loadDataset } from "../../src/learning/index.js";
import { sealToGroup } from "../../src/seal/index.js";
import { encodeUpdate } from "../../src/sparse/index.js";
import { loadCircuitArtifacts, randomSalt, releaseZkWorkers, type PolicyBounds } from "../../src/zk/index.js";

const MEMBERS = 10;
const MALICIOUS = [1, 3]; // 10% and 30%
/** The demo's policy (k, scale and bounds); trim = the 30% the rules should withstand. */
export const MATRIX_SETTINGS: FederationSettings = {
  rounds: 6,
  training: { epochs: 2, batchSize: 64, learningRate: 0.01, classWeighting: "sqrt" },
  k: 128,
  scale: 4096,
  l2Bound: 4 * 4096,
  lInfBound: 2 ** 15 - 1,
  trim: 3,
  clipL2: 2 * 4096,
  seed: 3,
};

const r4 = (x: number): number => Math.round(x * 1e4) / 1e4;

export async function matrix(): Promise<Record<string, unknown>> {
  const dataset = loadDataset({ name: "ai4i", members: MEMBERS, seed: 1 });
  const started = performance.now();
  const cells: CellResult[] = await runAttackMatrix({
    dataset,
    settings: MATRIX_SETTINGS,
    maliciousCounts: MALICIOUS,
    onCell: (c) =>
      process.stderr.write(
        `  ${c.defense} ${c.attack} ${c.malicious}/${c.members}: macro-F1 ${c.macroF1.toFixed(3)}, backdoor ${c.backdoorSuccess.toFixed(2)}\n`,
      ),
  });
  // table[defense][attack][malicious] = { macroF1, backdoorSuccess, failureMissRate }
  const table: Record<string, Record<string, Record<string, Record<string, number>>>> = {};
  for (const c of cells) {
    const byAttack = (table[c.defense] ??= {});
    const byCount = (byAttack[c.attack] ??= {});
    byCount[String(c.malicious)] = {
      macroF1: r4(c.macroF1),
      backdoorSuccess: r4(c.backdoorSuccess),
      failureMissRate: r4(c.failureMissRate),
    };
  }
  return {
    dataset: "ai4i (natural partition by product quality type)",
    members: MEMBERS,
    maliciousCounts: [0, ...MALICIOUS],
    maliciousMembers: "the last M of the members",
    trigger: AI4I_TRIGGER,
    testFailures: dataset.test.labels.reduce((a, b) => a + b, 0),
    settings: MATRIX_SETTINGS,
    backend: await initBackend(),
    attacks: ATTACKS,
    defenses: DEFENSES,
    seconds: Math.round((performance.now() - started) / 1000),
    table,
    cells: cells.map((c) => ({
      ...c,
      macroF1: r4(c.macroF1),
      balancedAccuracy: r4(c.balancedAccuracy),
      loss: r4(c.loss),
      macroF1PerRound: c.macroF1PerRound.map(r4),
      backdoorSuccess: r4(c.backdoorSuccess),
      failureMissRate: r4(c.failureMissRate),
      honestNormMedian: r4(c.honestNormMedian),
      maliciousNormMedian: r4(c.maliciousNormMedian),
    })),
  };
}

/** Each bound broken in turn: the prover refuses, the circuit refuses, and the contract refuses a proof made under looser bounds. */
export async function outOfBounds(): Promise<Record<string, unknown>> {
  const artifacts = await loadCircuitArtifacts({ instance: "test" });
  const connection = await startInProcessChain();
  try {
    const bench = await deployLocalConsortium({ connection, members: 1, circuit: "test" });
    const now = BigInt(await connection.networkHelpers.time.latest());
    // 16 entries at the L∞ bound of 4096 have norm 16,384: an L2 bound of 8,192 makes that update twice too large.
    const policy = localTaskPolicy({
      consortium: bench,
      now,
      settings: { lInfBound: 4096n, l2Bound: 8192n },
    });
    const { taskId } = await createLocalTask({ consortium: bench, policy });
    const deadline = now + 3600n;
    await (
      await bench.contracts.rounds
        .connect(bench.aggregator.signer)
        .openRound(taskId, policy.initialModelCid, policy.initialModelHash, deadline)
    ).wait();
    const member = bench.members[0]!;
    const policyBounds: PolicyBounds = {
      d: policy.dimension,
      k: policy.maxNonZeros,
      lInf: policy.lInfBound,
      l2Sq: policy.l2Bound ** 2n,
    };
    const results: Record<string, unknown> = {};
    for (const violation of ["l2", "linf"] as BoundViolation[]) {
      const update = outOfBoundsUpdate({ bounds: policyBounds, violation });
      const looserBounds: PolicyBounds =
        violation === "l2" ? { ...policyBounds, l2Sq: 4n * BigInt(policyBounds.l2Sq) } : { ...policyBounds, lInf: 8191n };
      const context = { task: Number(taskId), round: 1, member: member.address };
      const salt = randomSalt();
      const outcome = await attemptOutOfBoundsUpdate({
        update,
        context,
        salt,
        policyBounds,
        looserBounds,
        violation,
        artifacts,
      });
      // The envelope a member would send with it: the encoded update sealed to the task's reader group.
      const envelope = sealToGroup({
        payload: encodeUpdate({ header: { ...context, scale: policy.scale, salt }, update }),
        groupPublicKey: getBytes(policy.readerKey),
        context,
      });
      let onChain = "accepted";
      try {
        await (
          await bench.contracts.rounds
            .connect(member.signer)
            .commitUpdate(
              taskId,
              1n,
              envelope,
              toBeHex(outcome.looserBounds.commitment, 32),
              outcome.looserBounds.calldata,
            )
        ).wait();
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        const name = (err as { revert?: { name?: string } }).revert?.name ?? /custom error '(\w+)/.exec(text)?.[1];
        onChain = `reverted: ${name ?? text.split("\n")[0]}`;
      }
      results[violation] = {
        update: { entries: update.indices.length, maxAbs: Math.max(...Array.from(update.values, Math.abs)) },
        honestProverRefused: outcome.honestProver.refused,
        honestProverError: outcome.honestProver.error,
        forgedWitnessRefused: outcome.forgedWitness.refused,
        forgedWitnessError: outcome.forgedWitness.error.replace(/\s*\n\s*/g, "; ").slice(0, 240),
        looserBoundsProofVerifiesUnderOwnBounds: outcome.looserBounds.verifiesUnderOwnBounds,
        looserBoundsProofVerifiesUnderPolicyBounds: outcome.looserBounds.verifiesUnderPolicyBounds,
        commitUpdateWithLooserProof: onChain,
      };
    }
    return {
      circuit: "test",
      policy: { d: policy.dimension, k: policy.maxNonZeros, lInf: 4096, l2: 8192 },
      ...results,
    };
  } finally {
    await releaseZkWorkers();
    await connection.close();
  }
}

export async function run(): Promise<Record<string, unknown>> {
  const oob = await outOfBounds();
  return { outOfBounds: oob, matrix: await matrix() };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  run().then(
    (result) => {
      process.stdout.write(
        `${JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? v.toString() : v), 2)}\n`,
      );
      process.exit(0);
    },
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(1);
    },
  );
}
