/**
 * Renders the generated blocks of docs/benchmarks.md from bench/results.json, so the document's tables
 * always hold the figures of the last run (a helper, not a section: scripts/bench.ts skips files whose
 * name starts with "_"). A block is the text between `<!-- bench:NAME -->` and `<!-- /bench:NAME -->`.
 */
import { renderBackdoorTable, renderMacroF1Table, type CellResult } from "../../src/evaluation/index.js";

type Json = Record<string, unknown>;

/** The value at a dotted path (`a.b.0.c`), or undefined. */
export function at(root: unknown, path: string): unknown {
  let node: unknown = root;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<string, unknown>)[key];
  }
  return node;
}

const num = (v: unknown, digits = 0): string =>
  typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits }) : "–";

const result = (results: Json, section: string): Json | undefined =>
  at(results, `sections.${section}.result`) as Json | undefined;

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
}

function machineBlock(results: Json): string {
  const m = (results.machine ?? {}) as Json;
  const sections = Object.entries((results.sections ?? {}) as Record<string, Json>)
    .map(([name, s]) => `${name} ${num(s.seconds, 0)} s${s.error ? " (failed)" : ""}`)
    .join(", ");
  return [
    `Generated ${String(results.generatedAt)} on ${String(m.cpuModel)} × ${String(m.cores)} cores, ${String(m.totalMemoryGiB)} GiB,`,
    `${String(m.platform)}, Node ${String(m.node)}, commit \`${String(m.commit).slice(0, 10)}\`.`,
    `Section wall times: ${sections}.`,
  ].join("\n");
}

function headlineBlock(results: Json): string {
  const rows: string[][] = [];
  const push = (figure: string, value: string, baseline: string): void => {
    if (value !== "–") rows.push([figure, value, baseline]);
  };
  const sparse = result(results, "sparse");
  const densities = (sparse?.densities ?? []) as Json[];
  const one = densities.find((d) => d.density === 0.01) ?? densities[0];
  if (one) {
    push(
      `Bytes per update, d = ${num(sparse?.dimension)}, k = ${num(one.k)} (wire format)`,
      num(at(one, "bytes.wireFormat")),
      `dense float32 ${num(at(one, "bytes.denseFloat32"))}; naive COO ${num(at(one, "bytes.naiveCoo"))}`,
    );
  }
  const zk = result(results, "zk");
  push(
    "Constraints per entry (demo circuit, K = 128)",
    num(at(zk, "constraints.demo.perEntry"), 1),
    `marginal ${num(at(zk, "constraints.marginalPerEntry"), 1)}; hashing of 128 entries ${num(at(zk, "constraints.hashing128Entries.lanePacked"))} constraints vs ${num(at(zk, "constraints.hashing128Entries.baselineOneEntryPerPoseidonInput"))} unpacked`,
  );
  push(
    "Median proving time, demo circuit (K = 128)",
    `${num(at(zk, "provingMs.demoMedian"))} ms`,
    `witness only ${num(at(zk, "provingMs.demoWitnessOnlyMedian"))} ms; test circuit (K = 16) ${num(at(zk, "provingMs.testMedian"))} ms`,
  );
  push(
    "Median proving time per update, test circuit (K = 16), in the 64-member round",
    `${num(at(result(results, "rounds"), "provingVsTraining.provingMedianMs"))} ms`,
    `a member's local training (AI4I, 2 epochs) ${num(at(result(results, "rounds"), "provingVsTraining.localTrainingMedianMs"))} ms`,
  );
  const gas = result(results, "gas");
  const envelopeBytes = at(gas, "rounds.envelope.bytes") ?? at(gas, "rounds.commitUpdate.envelopeBytesMedian");
  push(
    `commitUpdate gas (real proof, test circuit, ${num(envelopeBytes)}-byte sealed envelope in calldata)`,
    num(at(gas, "rounds.commitUpdate.median")),
    `verifyUpdateProof alone ${num(at(gas, "rounds.commitUpdate.baselineVerifyUpdateProofTx"))} (estimateGas); the envelope ${num(at(gas, "rounds.envelope.gas"))}; IPFS-CID commit before issue 11 ${num(at(gas, "rounds.commitUpdate.baselineCidCommit.gas"))}`,
  );
  push(
    "publishAggregate gas, 16 members",
    num(at(gas, "rounds.publishAggregate.members16")),
    `3 members ${num(at(gas, "rounds.publishAggregate.members3"))}`,
  );
  const zt = zeroTrustRows(gas);
  const largest = zt[zt.length - 1];
  if (largest) {
    const cap = at(gas, "zeroTrust.txGasCap") as number;
    push(
      `Zero trust: publishAggregate gas, ${num(largest.committers)} committers (real proofs), one transaction`,
      `${num(largest.publishAggregate)} (${num((largest.publishAggregate as number) / cap * 100, 1)}% of the 2^24 cap)`,
      `cap ${num(cap)}; ${num(zt[0]?.committers)} committer ${num(zt[0]?.publishAggregate)}; ${num(at(gas, "zeroTrust.perCommitter"))} per committer, cap reached at ~${num(at(gas, "zeroTrust.committersAtCap"))} (policies allow ${num(at(gas, "zeroTrust.maxCommitsPerRound"))})`,
    );
  }
  const rounds = result(results, "rounds");
  const r64 = ((rounds?.rounds ?? []) as Json[]).find((r) => r.members === 64);
  if (r64) {
    push(
      "Round latency, 64 members (sequential proving)",
      `${num((r64.wallMs as number) / 1000, 1)} s`,
      `without proving ${num((r64.wallWithoutProvingMs as number) / 1000, 1)} s`,
    );
  }
  const large = rounds?.large as Json | undefined;
  if (large) {
    push(
      "100-member round: total gas / wall time",
      `${num((large.gas as number) / 1e6, 1)} M gas / ${num((large.wallMs as number) / 1000, 0)} s`,
      `aggregator heap growth ${num(at(large, "aggregatorMemory.heapGrowthMiB"), 1)} MiB over ${num(at(large, "aggregatorMemory.heapUsedBeforeMiB"), 0)} MiB`,
    );
  }
  const million = ((result(results, "large")?.proving ?? []) as Json[]).find((p) => (p.k as number) === 10_000);
  if (million) {
    const all = ((million.gas ?? []) as Json[]).at(-1);
    push(
      `Update of k = 10,000 at d = ${num(million.dimension)}: proving (${num(million.chunks)} chunks, ${num(million.threads)} threads) / commit gas`,
      `${num((million.proveMs as number) / 1000, 1)} s / ${num(all?.commitTx)}`,
      `local training ${num((million.trainMs as number) / 1000, 1)} s (${num(million.proveOverTrain, 1)}×); one-by-one verification ${num(all?.verifyOneByOne)} gas`,
    );
  }
  const f1 = (defense: string, attack: string, m: string): unknown =>
    at(result(results, "attacks"), `matrix.table.${defense}.${attack}.${m}.macroF1`);
  push(
    "Macro-F1 under 30% scaling attackers, proof bounds + mean",
    num(f1("mean-bounded", "scaling", "3"), 3),
    `no bounds ${num(f1("mean-unbounded", "scaling", "3"), 3)}; no attack ${num(f1("mean-bounded", "none", "0"), 3)}`,
  );
  const bd = (defense: string, m: string, field: string): unknown =>
    at(result(results, "attacks"), `matrix.table.${defense}.${m === "0" ? "none" : "backdoor"}.${m}.${field}`);
  const pct = (v: unknown): string => (typeof v === "number" ? `${Math.round(v * 100)}%` : "–");
  push(
    "Backdoor success, 30% attackers, proof bounds + mean",
    pct(bd("mean-bounded", "3", "backdoorSuccess")),
    `same failures without trigger ${pct(bd("mean-bounded", "3", "failureMissRate"))}; no attacker ${pct(bd("mean-bounded", "0", "backdoorSuccess"))}`,
  );
  const first = ai4iRuns(result(results, "learning"))[0];
  if (first) {
    const [, centralised] = first.runs[0]!;
    const [, sparseRun] = first.runs[2]!;
    push(
      `AI4I macro-F1, federated sparse, 4 members ${first.label} (mean of last 5 rounds)`,
      num(sparseRun?.macroF1MeanLast5Rounds, 3),
      `centralised ${num(centralised?.macroF1MeanLast5Rounds, 3)}`,
    );
  }
  const forest = result(results, "forest");
  const forestRound10 = at(forest, "federated.macroF1PerRound.9") as Json | undefined;
  if (forestRound10)
    push(
      "AI4I macro-F1 at round 10, 4 members by product type: histogram forest federated with rule `sum`",
      `${num(forestRound10.mean, 3)} ± ${num(forestRound10.std, 3)}`,
      "centralised random forest 0.93 (anchor, docs/learning.md); the neural path federated 0.73–0.79",
    );
  const attacked = at(forest, "backdoor.support.attacked.backdoorSuccess") as Json | undefined;
  if (attacked)
    push(
      `Forest backdoor success, 3 of 10 members poisoning, rule \`sum\` with support q = ${num(at(forest, "backdoor.support.q"), 0)}`,
      `${num(attacked.mean, 3)} ± ${num(attacked.std, 3)}`,
      `plain sum ${num(at(forest, "backdoor.attacked.backdoorSuccess.mean"), 3)}; no attackers ${num(at(forest, "backdoor.none.backdoorSuccess.mean"), 3)}`,
    );
  const riders = at(forest, "freeRiders.byBehaviour") as Record<string, Json> | undefined;
  if (riders) {
    const cells = Object.values(riders);
    const flagged = Math.min(...cells.map((c) => at(c, "flaggedByRound5.mean") as number));
    const honest = Math.max(...cells.map((c) => at(c, "honestFlaggedRate.mean") as number));
    push(
      `Forest free riders flagged by round 5, 3 of 10 (empty, random counts, stale), rule \`sum\` with support q = ${num(at(forest, "freeRiders.q"), 0)}`,
      `${num(flagged, 2)} of each kind; honest member-rounds flagged ${num(honest, 3)}`,
      "issue 15's targets: ≥ 0.90 flagged, ≤ 0.05 honest",
    );
  }
  return table(["figure", "value", "baseline, same run"], rows);
}

/** The zero-trust scaling rounds of the gas section (publishAggregate per committer count). */
function zeroTrustRows(gas: Json | undefined): Json[] {
  return ((at(gas, "zeroTrust.rows") ?? []) as Json[]).filter((r) => typeof r.publishAggregate === "number");
}

/** A scaling round's proving wall time: measured now, or in the run that proved the cached proofs. */
function provingCell(r: Json): string {
  const earlier = r.provingEarlierRun as Json | undefined;
  if (r.proofsProvedNow === 0)
    return earlier ? `${num(earlier.seconds, 0)} (run of ${String(earlier.provedAt).slice(0, 16).replace("T", " ")})` : "cached";
  if (typeof r.proofsProvedNow === "number" && r.proofsProvedNow < (r.committers as number))
    return `${num(r.provingSeconds, 0)} (${num(r.proofsProvedNow)} proved, the rest cached)`;
  return num(r.provingSeconds, 0);
}

function gasBlock(results: Json): string {
  const gas = result(results, "gas");
  if (!gas) return "(gas not measured in this run)";
  const kinds = (at(gas, "governance.perKind") ?? {}) as Record<string, Json>;
  const governance = table(
    ["proposal kind", "propose", "approve (1st)", "approve (2nd)", "execute"],
    Object.entries(kinds).map(([kind, g]) => [kind, num(g.propose), num(g.approveFirst), num(g.approveSecond), num(g.execute)]),
  );
  const c = (at(gas, "rounds.commitUpdate") ?? {}) as Json;
  const e = (at(gas, "rounds.envelope") ?? {}) as Json;
  const rounds = table(
    ["function", "gas", "baseline / note"],
    [
      ["markExpired", num(at(gas, "governance.markExpired")), "proposal past its voting window"],
      ["openRound (first round)", num(at(gas, "rounds.openRoundFirst")), `later round ${num(at(gas, "rounds.openRoundAfterFinalized"))}`],
      [
        "commitUpdate (real proof, envelope in calldata)",
        `${num(c.median)} (min ${num(c.min)}, max ${num(c.max)}, ${num(c.samples)} commits)`,
        `registry's verifyUpdateProof alone: ${num(c.baselineVerifyUpdateProofTx)} by estimateGas, ${num(c.baselineVerifyUpdateProofExecutionOnly)} execution only; commitUpdate adds ${num(c.overVerifier)}. Before issue 11 (CID in calldata, envelope on IPFS, generated verifier): ${num(at(c, "baselineCidCommit.gas"))}`,
      ],
      [
        "the envelope's part of it",
        `${num(e.gas)} for ${num(e.bytes)} bytes (${num(e.gasPerByte, 1)} per byte)`,
        `the same commit with a 1-byte envelope ${num(e.commitOneByteEnvelope)}; whole call ${num(c.calldataBytes)} calldata bytes, ${num(c.calldataGas)} calldata gas; contract limit ${num(e.maxBytes)} bytes at k = ${num(at(gas, "policy.k"))}`,
      ],
      ["closeRound", num(at(gas, "rounds.closeRound")), "early close by the aggregator"],
      [
        "publishAggregate",
        `3 members ${num(at(gas, "rounds.publishAggregate.members3"))}; 16 members ${num(at(gas, "rounds.publishAggregate.members16"))}`,
        `${num(at(gas, "rounds.publishAggregate.perExtraMember"))} per extra included member (1,000 committers: next table)`,
      ],
      ["attest", num(at(gas, "rounds.attestFirst")), `second auditor ${num(at(gas, "rounds.attestSecond"))}; a mismatch (disputes the round) ${num(at(gas, "rounds.attestMismatch"))}`],
      ["finalizeRound", num(at(gas, "rounds.finalizeRound")), "quorum of 2 matching attestations, every auditor attested"],
      [
        "abandonRound",
        `publish window passed ${num(at(gas, "rounds.abandonRound.publishWindowPassed"))}; attestation window passed ${num(at(gas, "rounds.abandonRound.attestationWindowPassed"))}`,
        "anyone may call once the window passed",
      ],
      [
        "resolveDispute",
        num(at(gas, "rounds.resolveDispute")),
        `applies governance's ResolveDispute (model upheld; the proposal's execute, which also suspends the lying auditor: ${num(at(kinds, "ResolveDispute.execute"))})`,
      ],
      [
        "whole round",
        `3 members ${num(at(gas, "rounds.roundTotal.members3"))}; 16 members ${num(at(gas, "rounds.roundTotal.members16"))}`,
        "open + commits + close + publish + 2 attests + finalize",
      ],
    ],
  );
  const zt = zeroTrustRows(gas);
  if (zt.length === 0) return `${governance}\n\n${rounds}`;
  const cap = at(gas, "zeroTrust.txGasCap") as number;
  const scaling = table(
    ["committers", "publishAggregate gas", "share of the 2^24 cap", "commitUpdate median", "whole round gas", "proving wall s (2 at a time)"],
    zt.map((r) => [
      num(r.committers),
      num(r.publishAggregate),
      `${num(((r.publishAggregate as number) / cap) * 100, 2)}%`,
      num(r.commitUpdateMedian),
      num(r.roundTotal),
      provingCell(r),
    ]),
  );
  const note = `Per extra committer ${num(at(gas, "zeroTrust.perCommitter"))} gas over a fixed ${num(at(gas, "zeroTrust.fixed"))}: the ${num(cap)}-gas cap would be reached at about ${num(at(gas, "zeroTrust.committersAtCap"))} committers; a policy allows at most ${num(at(gas, "zeroTrust.maxCommitsPerRound"))} (MAX_COMMITS_PER_ROUND).`;
  return `${governance}\n\n${rounds}\n\n${scaling}\n\n${note}`;
}

function roundsBlock(results: Json): string {
  const rounds = result(results, "rounds");
  if (!rounds) return "(rounds not measured in this run)";
  const all = [...((rounds.rounds ?? []) as Json[]), ...(rounds.large ? [rounds.large as Json] : [])];
  const s = (v: unknown): string => (typeof v === "number" ? (v / 1000).toFixed(1) : "–");
  const latency = table(
    ["members", "wall s", "without proving s", "proving s (median per proof ms)", "member commit rest s", "open+close s", "aggregation s", "audit (2 auditors) s", "gas", "txs"],
    all.map((r) => [
      num(r.members),
      s(r.wallMs),
      s(r.wallWithoutProvingMs),
      `${s(r.provingMs)} (${num(r.provingMedianMs)})`,
      s(r.memberCommitOtherMs),
      s(r.chainRoundStepsMs),
      s(r.aggregationMs),
      s(r.auditMs),
      num(r.gas),
      num(r.transactions),
    ]),
  );
  const memory = table(
    ["members", "heap before MiB", "heap peak MiB", "heap growth MiB", "RSS before MiB", "RSS peak MiB"],
    all
      .filter((r) => r.aggregatorMemory)
      .map((r) => {
        const m = r.aggregatorMemory as Json;
        return [num(r.members), num(m.heapUsedBeforeMiB, 1), num(m.heapUsedPeakMiB, 1), num(m.heapGrowthMiB, 1), num(m.rssBeforeMiB, 1), num(m.rssPeakMiB, 1)];
      }),
  );
  return `${latency}\n\nAggregator memory during \`aggregateRound\` (sampled every 10 ms; the process also hosts the chain, Helia and the other roles, hence the "before" figures):\n\n${memory}`;
}

function attacksBlock(results: Json, which: "f1" | "backdoor" | "oob"): string {
  const attacks = result(results, "attacks");
  if (!attacks) return "(attacks not measured in this run)";
  if (which === "oob") {
    const oob = (attacks.outOfBounds ?? {}) as Json;
    const text = (v: unknown): string => (typeof v === "string" ? v : "–");
    const yes = (v: unknown): string => (v === true ? "yes" : v === false ? "no" : "–");
    const rows = (["l2", "linf"] as const).map((v) => {
      const o = (oob[v] ?? {}) as Json;
      return [
        v === "l2" ? "L2 (norm 2× the bound)" : "L∞ (one value bound + 1)",
        `${yes(o.honestProverRefused)}: ${text(o.honestProverError)}`,
        `${yes(o.forgedWitnessRefused)}: ${text(o.forgedWitnessError)}`,
        `${yes(o.looserBoundsProofVerifiesUnderOwnBounds)} / ${yes(o.looserBoundsProofVerifiesUnderPolicyBounds)}`,
        text(o.commitUpdateWithLooserProof),
      ];
    });
    return table(
      ["violation", "product prover refuses", "circuit refuses a hand-built witness", "looser-bounds proof verifies: own bounds / policy bounds", "commitUpdate with it"],
      rows,
    );
  }
  const cells = (at(attacks, "matrix.cells") ?? []) as CellResult[];
  return which === "f1" ? renderMacroF1Table(cells) : renderBackdoorTable(cells);
}

function sparseBlock(results: Json): string {
  const sparse = result(results, "sparse");
  if (!sparse) return "(sparse not measured in this run)";
  return table(
    ["density", "k", "wire bytes", "dense float32", "naive COO", "wire / dense", "wire / COO", "sealed to the reader group", "sealed per reader (v1), 3 readers", "encode /s", "decode /s"],
    ((sparse.densities ?? []) as Json[]).map((d) => [
      String(d.density),
      num(d.k),
      num(at(d, "bytes.wireFormat")),
      num(at(d, "bytes.denseFloat32")),
      num(at(d, "bytes.naiveCoo")),
      num(at(d, "bytes.wireVsDense"), 4),
      num(at(d, "bytes.wireVsNaiveCoo"), 3),
      num(at(d, "bytes.sealedReaderGroup")),
      num(at(d, "bytes.sealedThreeReaders")),
      num(at(d, "throughput.encodeUpdatesPerSecond")),
      num(at(d, "throughput.decodeUpdatesPerSecond")),
    ]),
  );
}

function largeBlock(results: Json): string {
  const large = result(results, "large");
  if (!large) return "(large not measured in this run)";
  const bytes = table(
    ["d", "k", "dense float32", "wire bytes", "of which header", "sealed (reader group, any number of readers)", "dense / sealed", "sealed per reader (v1), 3 readers", "dense / sealed v1"],
    ((large.results ?? []) as Json[]).map((r) => [
      num(r.dimension),
      num(r.k),
      num(at(r, "bytes.denseFloat32")),
      num(at(r, "bytes.wire")),
      num(at(r, "bytes.wireHeader")),
      num(at(r, "bytes.sealedReaderGroup")),
      `${num(at(r, "bytes.denseOverSealed"), 1)}×`,
      num(at(r, "bytes.sealedThreeReadersPerReaderWraps")),
      `${num(at(r, "bytes.denseOverSealedPerReaderWraps"), 1)}×`,
    ]),
  );
  const provingCases = (large.proving ?? []) as Json[];
  const proving = table(
    ["model", "d", "k", "chunks (K entries each)", "threads", "local training (baseline, median of runs), ms", "proving, ms", "per chunk, ms", "proving / training"],
    provingCases.map((p) => [
      String(p.model),
      num(p.dimension),
      num(p.k),
      `${num(p.chunks)} (K = ${num(p.entriesPerChunk)})`,
      num(p.threads),
      `${num(p.trainMs)} (${num(p.trainRuns)} runs)`,
      num(p.proveMs),
      num(p.proveMsPerChunk),
      `${num(p.proveOverTrain, 1)}×`,
    ]),
  );
  const gasRows = provingCases.flatMap((p) =>
    ((p.gas ?? []) as Json[]).map((g) => [
      num(p.dimension),
      num(g.chunks),
      num(g.entries),
      num(g.envelopeBytes),
      num(g.commitTx),
      num(g.commitTxPerChunk),
      num(g.verifyBatched),
      num(g.verifyOneByOne),
      `${num(g.verifyBatchedPerChunk)} / ${num(g.verifyOneByOnePerChunk)}`,
    ]),
  );
  const gas = table(
    ["d", "chunks", "entries", "envelope bytes", "commit tx gas (batched)", "per chunk", "verification, batched", "verification, one by one (baseline)", "verification per chunk, batched / one by one"],
    gasRows,
  );
  const aggregation = table(
    ["d", "k", "members", "recompute commitments, ms (per member)", "sparse mean, ms", "its memory, MiB", "dense mean (baseline), ms", "its memory, MiB"],
    ((large.aggregation ?? []) as Json[]).map((a) => [
      num(a.dimension),
      num(a.k),
      num(a.members),
      `${num(a.recomputeCommitmentsMs)} (${num(a.recomputeCommitmentMsPerMember, 1)})`,
      num(a.sparseMeanMs),
      num(a.sparseMeanHeapMiB, 1),
      num(a.denseMeanMs),
      num(a.denseMeanHeapMiB, 1),
    ]),
  );
  return [bytes, "", "Proving a member's update in chunks, next to its local training:", "", proving, "", "Gas per member per round:", "", gas, "", "Aggregator and auditors, per round:", "", aggregation].join("\n");
}

function aggregationBlock(results: Json): string {
  const agg = result(results, "aggregation");
  if (!agg) return "(aggregation not measured in this run)";
  const rows: string[][] = [];
  for (const [workload, rules] of Object.entries((agg.byWorkloadAndRule ?? {}) as Record<string, Record<string, Json[]>>)) {
    for (const [rule, runs] of Object.entries(rules)) {
      for (const r of runs) {
        rows.push([
          workload,
          rule,
          num(r.updates),
          num(r.sparseMs, 2),
          num(r.denseMs, 1),
          `${num(r.speedupVsDense, 1)}×`,
          r.sameResultAsDense === true ? "yes" : "NO",
        ]);
      }
    }
  }
  return table(["workload", "rule", "updates", "sparse ms", "dense ms (baseline)", "speed-up", "same result"], rows);
}

function zkBlock(results: Json): string {
  const zk = result(results, "zk");
  if (!zk) return "(zk not measured in this run)";
  return table(
    ["figure", "value", "baseline, same run"],
    [
      ["constraints, test (K = 16)", `${num(at(zk, "constraints.test.total"))} (${num(at(zk, "constraints.test.perEntry"), 1)} per entry)`, ""],
      [
        "constraints, demo (K = 128)",
        `${num(at(zk, "constraints.demo.total"))} (${num(at(zk, "constraints.demo.perEntry"), 1)} per entry)`,
        `marginal ${num(at(zk, "constraints.marginalPerEntry"), 1)} per entry; target ${num(at(zk, "constraints.targetPerEntry"))}`,
      ],
      [
        "hashing 128 entries (constraints)",
        `${num(at(zk, "constraints.hashing128Entries.lanePacked"))} lane-packed`,
        `${num(at(zk, "constraints.hashing128Entries.baselineOneEntryPerPoseidonInput"))} one entry per Poseidon input`,
      ],
      [
        "proving, median (demo)",
        `${num(at(zk, "provingMs.demoMedian"))} ms`,
        `witness only ${num(at(zk, "provingMs.demoWitnessOnlyMedian"))} ms; test instance ${num(at(zk, "provingMs.testMedian"))} ms`,
      ],
      ["verifying off-chain, median (demo)", `${num(at(zk, "verifyMs.demoMedian"), 1)} ms`, `test instance ${num(at(zk, "verifyMs.testMedian"), 1)} ms`],
      [
        "verifyUpdateProof gas (registry, demo key, estimateGas)",
        num(at(zk, "verifierGas.demoVerifyUpdateProofTx") ?? at(zk, "verifierGas.demoVerifyProofTx")),
        `execution only ${num(at(zk, "verifierGas.executionOnly"))}; calldata ${num(at(zk, "verifierGas.calldata"))}`,
      ],
      ["proof size", `${num(at(zk, "proofSize.calldataBytes"))} B calldata`, `snarkjs JSON ${num(at(zk, "proofSize.baselineSnarkjsJsonBytes"))} B`],
    ],
  );
}

/**
 * AI4I runs of the learning section, as (label, centralised, federated dense, federated sparse) per split.
 * Two layouts are read: per optimiser (`ai4i.<optimiser>.{centralised, <split>Partition}`) and the earlier
 * flat one (`ai4i.<split>.{centralised, federatedDense, federatedSparse}`).
 */
function ai4iRuns(learning: Json | undefined): { label: string; runs: [string, Json | undefined][] }[] {
  const ai4i = (at(learning, "ai4i") ?? {}) as Record<string, unknown>;
  const out: { label: string; runs: [string, Json | undefined][] }[] = [];
  for (const [key, value] of Object.entries(ai4i)) {
    if (value === null || typeof value !== "object") continue;
    const v = value as Json;
    if (v.qualityTypePartition !== undefined || v.dirichletPartition !== undefined) {
      const named = at(v, "policy.optimizer");
      const optimiser = typeof named === "string" ? named : key;
      for (const [split, label] of [
        ["qualityTypePartition", "by product quality type"],
        ["dirichletPartition", "Dirichlet(0.5) labels"],
      ] as const) {
        if (v[split] === undefined) continue;
        out.push({
          label: `${label}, ${optimiser}`,
          runs: [
            ["centralised (baseline)", v.centralised as Json | undefined],
            ["federated dense (k = d, integer mean)", at(v, `${split}.federatedDense`) as Json | undefined],
            ["federated sparse (top-k, fixed point)", at(v, `${split}.federatedSparse`) as Json | undefined],
          ],
        });
      }
    } else if (v.centralised !== undefined) {
      out.push({
        label: key === "qualityType" ? "by product quality type" : key,
        runs: [
          ["centralised (baseline)", v.centralised as Json | undefined],
          ["federated dense (k = d, integer mean)", v.federatedDense as Json | undefined],
          ["federated sparse (top-k, fixed point)", v.federatedSparse as Json | undefined],
        ],
      });
    }
  }
  return out;
}

function learningBlock(results: Json): string {
  const learning = result(results, "learning");
  if (!learning) return "(learning not measured in this run)";
  const rows: string[][] = [];
  for (const { label, runs } of ai4iRuns(learning)) {
    for (const [name, r] of runs) {
      if (!r) continue;
      rows.push([
        label,
        name,
        num(r.macroF1, 3),
        num(r.macroF1MeanLast5Rounds, 3),
        num(r.rocAuc, 3),
        name.startsWith("centralised") ? "–" : num(r.wireBytesPerMemberPerRound ?? r.bytesPerMemberPerRound, 0),
      ]);
    }
  }
  return table(
    ["AI4I split (4 members), optimiser", "training", "macro-F1", "mean last 5 rounds", "ROC AUC", "bytes per member per round"],
    rows,
  );
}

function ownDataBlock(results: Json): string {
  const own = result(results, "own-data");
  if (!own) return "(own-data not measured in this run)";
  const cell = (r: unknown): string => {
    const x = r as Json | undefined;
    return x ? `${num(x.mean, 3)} ± ${num(x.std, 3)}` : "–";
  };
  const rows: string[][] = [];
  for (const [name, label] of [
    ["builtin", "built-in loader + preset (10 engineered features)"],
    ["schema", "CSV + reviewed schema + proposed model (6 raw columns)"],
    ["schemaDerived", "CSV with power and temperature gap added + schema + proposed model (10 inputs)"],
  ] as const) {
    const p = at(own, `ai4i.${name}`) as Json | undefined;
    if (!p) continue;
    rows.push([label, num(p.d, 0), cell(p.federatedMacroF1Round10), cell(p.federatedMacroF1Round20), cell(p.centralisedMacroF1)]);
  }
  const s = at(own, "streaming") as Json | undefined;
  return [
    table(["AI4I path (4 members by product type)", "d", "federated sparse, round 10", "federated sparse, round 20", "centralised, 20 epochs"], rows),
    "",
    `Macro-F1 on the shared test set, mean ± std over seeds ${JSON.stringify(at(own, "seeds"))}; settings: the learning section's validation choice (${JSON.stringify(at(own, "settings"))}).`,
    "",
    s
      ? `Streaming check of a ${num(s.fileMiB, 1)} MiB CSV (${num(s.rows, 0)} rows): peak RSS growth ${num(at(s, "streamedCheck.peakRssGrowthMiB"), 1)} MiB in ${num(at(s, "streamedCheck.ms"), 0)} ms; baseline, reading the file whole: ${num(at(s, "baselineReadWhole.peakRssGrowthMiB"), 1)} MiB in ${num(at(s, "baselineReadWhole.ms"), 0)} ms.`
      : "",
  ].join("\n");
}

function forestBlock(results: Json): string {
  const f = result(results, "forest");
  if (!f) return "(forest not measured in this run)";
  const cell = (x: unknown): string => {
    const s = x as Json | undefined;
    return s ? `${num(s.mean, 3)} ± ${num(s.std, 3)}` : "–";
  };
  const chosen = at(f, "selection.chosen") as Json;
  const perRound = (at(f, "federated.macroF1PerRound") ?? []) as Json[];
  const rows: string[][] = [
    [
      "histogram forest, federated (rule `sum`), 4 members by type",
      `${cell(perRound[4])}`,
      `${cell(perRound[9])}`,
      `${num(at(f, "federated.meanEntriesPerMemberRound"), 0)} (max ${num(at(f, "federated.maxEntriesPerMemberRound"), 0)})`,
      num(at(f, "federated.meanWireBytesPerMemberRound"), 0),
    ],
  ];
  for (const a of (f.alone ?? []) as Json[])
    rows.push([`member ${String(a.member)} alone (${num(a.rows, 0)} rows), same forest`, "–", cell(a.macroF1), "–", "–"]);
  const split = (f.splitIndependence ?? {}) as Json;
  return [
    table(["model", "macro-F1, round 5", "macro-F1, round 10", "entries per member-round", "wire bytes per member-round"], rows),
    "",
    `Macro-F1 on the shared test set (argmax), mean ± std over feature-draw seeds ${JSON.stringify(at(f, "settings.seeds"))}; ` +
      `${num(at(f, "settings.trees"), 0)} trees, ${num(at(f, "settings.featuresPerNode"), 0)} features per node, chosen on validation ` +
      `(seeds ${JSON.stringify(at(f, "settings.selectionSeeds"))}): depth ${String(chosen?.depth)}, ${String(chosen?.bins)} bins, failure weight ${String(chosen?.failureWeight)} ` +
      `(validation ${num(chosen?.validationMacroF1, 3)}); d = ${num(at(f, "federated.dimension"), 0)}; ` +
      `\`preset:ai4i-forest\` is this setting (its ranges, seed 1): ${at(f, "selection.presetMatches") === true ? "yes" : "no"}. ` +
      `Same model hash by type, IID and pooled: ${split.byTypeHash === split.iidHash && split.iidHash === split.pooledHash ? "yes" : "no"}.`,
    "",
    at(f, "backdoor.attacked")
      ? `Backdoor (the attack matrix's: ${num(at(f, "backdoor.members"), 0)} members by type, the last ${num(at(f, "backdoor.attackers"), 0)} poison their data), same settings, seeds as above: ` +
        `triggered failures called "no failure" ${cell(at(f, "backdoor.attacked.backdoorSuccess"))} with the attackers vs ${cell(at(f, "backdoor.none.backdoorSuccess"))} without ` +
        `(plain failures missed ${cell(at(f, "backdoor.attacked.failureMissRate"))} vs ${cell(at(f, "backdoor.none.failureMissRate"))}); clean macro-F1 ${cell(at(f, "backdoor.attacked.macroF1"))} vs ${cell(at(f, "backdoor.none.macroF1"))}.`
      : "",
    "",
    at(f, "backdoor.support.attacked")
      ? table(
          ["rule", "attackers", "macro-F1", "backdoor success", "plain failures missed"],
          [
            ["sum", "none", cell(at(f, "backdoor.none.macroF1")), cell(at(f, "backdoor.none.backdoorSuccess")), cell(at(f, "backdoor.none.failureMissRate"))],
            ["sum", `${num(at(f, "backdoor.attackers"), 0)} of ${num(at(f, "backdoor.members"), 0)}`, cell(at(f, "backdoor.attacked.macroF1")), cell(at(f, "backdoor.attacked.backdoorSuccess")), cell(at(f, "backdoor.attacked.failureMissRate"))],
            [`sum, support q = ${num(at(f, "backdoor.support.q"), 0)}`, "none", cell(at(f, "backdoor.support.none.macroF1")), cell(at(f, "backdoor.support.none.backdoorSuccess")), cell(at(f, "backdoor.support.none.failureMissRate"))],
            [`sum, support q = ${num(at(f, "backdoor.support.q"), 0)}`, `${num(at(f, "backdoor.attackers"), 0)} of ${num(at(f, "backdoor.members"), 0)}`, cell(at(f, "backdoor.support.attacked.macroF1")), cell(at(f, "backdoor.support.attacked.backdoorSuccess")), cell(at(f, "backdoor.support.attacked.failureMissRate"))],
          ],
        ) +
          `\n\nq chosen on validation rows (selection seeds ${JSON.stringify(at(f, "settings.selectionSeeds"))}): ` +
          ((at(f, "backdoor.support.selection.trials") ?? []) as Json[])
            .map((t) => `q = ${num(t.q, 0)}: clean ${num(t.cleanMacroF1, 3)}, backdoor under attack ${num(t.attackedBackdoorSuccess, 3)}`)
            .join("; ") +
          ` (undefended rate without attackers ${num(at(f, "backdoor.support.selection.baseRate"), 3)}).`
      : "",
    "",
    at(f, "freeRiders.byBehaviour")
      ? table(
          ["free riders (3 of 10), support q = " + num(at(f, "freeRiders.q"), 0), "macro-F1", "free riders flagged by round 5", "honest member-rounds flagged"],
          Object.entries(at(f, "freeRiders.byBehaviour") as Record<string, Json>).map(([behaviour, c]) => [
            behaviour,
            cell(c.macroF1),
            cell(c.flaggedByRound5),
            cell(c.honestFlaggedRate),
          ]),
        )
      : "",
    "",
    at(f, "proving.provingMs") !== undefined
      ? `Proving the largest update of seed ${JSON.stringify(at(f, "settings.seeds.0"))}'s run (round ${num(at(f, "proving.round"), 0)}, member ${num(at(f, "proving.member"), 0)}: ${num(at(f, "proving.entries"), 0)} entries, ${num(at(f, "proving.chunks"), 0)} chunk proofs of the \`large\` instance on ${num(at(f, "proving.threads"), 0)} threads): ` +
        `${num(at(f, "proving.provingMs"), 0)} ms, next to the member's counting for it ${num(at(f, "proving.countingMs"), 0)} ms (${num(at(f, "proving.provingOverCounting"), 0)}×).`
      : "",
  ].join("\n");
}

function defensesBlock(results: Json): string {
  const d = result(results, "defenses");
  if (!d) return "(defenses not measured in this run)";
  const table_ = (d.table ?? {}) as Record<string, Record<string, Json>>;
  const cell = (x: unknown, digits = 3): string => {
    const s = x as Json | undefined;
    return s ? `${num(s.mean, digits)} ± ${num(s.std, digits)}` : "–";
  };
  const rows: string[][] = [];
  for (const [defense, byAttack] of Object.entries(table_)) {
    for (const [attack, c] of Object.entries(byAttack)) {
      rows.push([
        defense,
        attack,
        cell(c.macroF1),
        cell(c.backdoorSuccess, 2),
        attack === "none" ? "–" : cell(c.maliciousFlaggedByRound5, 2),
        cell(c.honestFlaggedRate, 3),
      ]);
    }
  }
  return table(
    ["defense", "attack (30%)", "macro-F1", "backdoor success", "attackers flagged by round 5", "honest member-rounds flagged"],
    rows,
  );
}

/** Every generated block of docs/benchmarks.md, by name. */
export function renderDocBlocks(results: Json): Record<string, string> {
  return {
    machine: machineBlock(results),
    headline: headlineBlock(results),
    sparse: sparseBlock(results),
    large: largeBlock(results),
    aggregation: aggregationBlock(results),
    zk: zkBlock(results),
    learning: learningBlock(results),
    "own-data": ownDataBlock(results),
    defenses: defensesBlock(results),
    forest: forestBlock(results),
    gas: gasBlock(results),
    rounds: roundsBlock(results),
    "attacks-f1": attacksBlock(results, "f1"),
    "attacks-backdoor": attacksBlock(results, "backdoor"),
    "attacks-oob": attacksBlock(results, "oob"),
  };
}

/** `doc` with each `<!-- bench:NAME -->…<!-- /bench:NAME -->` block's body replaced. */
export function fillDocBlocks(doc: string, blocks: Record<string, string>): string {
  return doc.replace(/<!-- bench:([\w-]+) -->[\s\S]*?<!-- \/bench:\1 -->/g, (whole, name: string) =>
    blocks[name] === undefined ? whole : `<!-- bench:${name} -->\n${blocks[name]}\n<!-- /bench:${name} -->`,
  );
}

/**
 * The README's benchmark block (between `<!-- BENCHMARKS:START -->` and `<!-- BENCHMARKS:END -->`): the
 * machine line and the headline table, unformatted (the caller runs prettier over it).
 */
export function renderReadmeBlock(results: Json): string {
  return [
    "### Latest benchmark (from `bench/results.json`; details and every baseline in `docs/benchmarks.md`)",
    machineBlock(results).split("\n").join(" "),
    headlineBlock(results),
  ].join("\n\n");
}

/** `readme` with the body between the BENCHMARKS markers replaced by `block` (unchanged without markers). */
export function fillReadmeBlock(readme: string, block: string): string {
  return readme.replace(
    /<!-- BENCHMARKS:START -->[\s\S]*?<!-- BENCHMARKS:END -->/,
    () => `<!-- BENCHMARKS:START -->\n\n${block.trim()}\n\n<!-- BENCHMARKS:END -->`,
  );
}
