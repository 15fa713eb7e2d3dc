/**
 * `cfl demo`: the whole federation in one process on embedded defaults. Hardhat's simulated chain,
 * an embedded Helia node and the cached circuit stand in for nothing: the contracts, proofs, sealing,
 * storage, aggregation and audits are the same code a multi-host deployment runs.
 */
import { mkdir, writeFile, rm } from "node:fs/promises";
import { join } from "node:path";
import { readRound, roundOutcome } from "../chain/index.js";

import {
  commitLocalRound,
  concludeLocalRound,
  createLocalTask,
  deployLocalConsortium,
  localTaskPolicy,
  startInProcessChain,
  type ConsortiumAccount,
  type LocalRoundStep,
} from "../harness/index.js";
import type { TaskPolicy } from "../governance/index.js";
import { initBackend, modelName, taskLearner } from "../learning/index.js";
import { ruleDefinitionById, SCREEN_REASONS } from "../aggregation/index.js";
import { backdoorSuccessRate } from "../evaluation/index.js";
import { loadDemoData, planDemoModel } from "./data.js";
import { encodeGlobalModel, globalModelHash, initialGlobalModel, toFloatParams } from "../model/index.js";
import {
  closeRoundIfReady,
  fetchVerifiedModel,
  lastFinalizedModel,
  loadTrainingBase,
  settleRound,
  type AggregationResult,
  type ReaderGroupKey,
  type RoleEnvironment,
} from "../roles/index.js";
import {
  AI4I_TRIGGER,
  lyingVerdict,
  poisonData,
  poisonDelta,
  sealToOtherKey,
  tamperingAggregator,
} from "../adversary/index.js";
import { MemberStatus } from "../governance/index.js";
import { createHeliaStore } from "../storage/index.js";
import { loadCircuitArtifacts, onSetupProgress, releaseZkWorkers } from "../zk/index.js";
import { renderReportHtml } from "./report.js";
import type { DemoOptions, DemoReport, RoundReport } from "./types.js";

export type { DemoOptions, DemoReport, RoundReport };
export { renderReportHtml };

const SCALE = 4096;
/** The chain's steps of a round as a bar: what is done after each step, and what runs next. */
const CHAIN_PROGRESS: Partial<Record<LocalRoundStep, readonly [number, string]>> = {
  close: [1, "aggregator publishes"],
  aggregate: [2, "auditors replay and attest"],
  audit: [3, "done"],
};

const TRAINING = { epochs: 1, batchSize: 64, learningRate: 0.01 } as const;

const median = (xs: number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** Runs the demo and writes `report.json` and `report.html` into `options.out`. */
export async function runDemo(requested: DemoOptions): Promise<DemoReport> {
  const { log } = requested;
  if (!Number.isInteger(requested.members) || requested.members < 2 || requested.members > 64)
    throw new Error("--members must be an integer from 2 to 64");
  const asked = requested.rounds;
  if (asked !== undefined && (!Number.isInteger(asked) || asked < 1 || asked > 50))
    throw new Error("--rounds must be an integer from 1 to 50");
  if (
    !Number.isInteger(requested.malicious) ||
    requested.malicious < 0 ||
    requested.malicious >= requested.members
  )
    throw new Error("--malicious must be at least 0 and fewer than --members");
  if (requested.attack !== "none" && requested.malicious === 0)
    throw new Error(`--attack ${requested.attack} needs --malicious 1 or more`);
  // The defaults applied (model, circuit, rounds, defense): what the rest of the run and the report use.
  const { modelNote, ...plan } = await planDemoModel(requested);
  const options = { ...requested, ...plan };
  const { circuit } = plan;
  const silentRound = options.silentAggregator;
  if (
    silentRound !== undefined &&
    (!Number.isInteger(silentRound) || silentRound < 1 || silentRound > options.rounds)
  )
    throw new Error("--silent-aggregator must name a round from 1 to --rounds");
  const started = performance.now();
  await mkdir(options.out, { recursive: true });

  log("backend", { backend: await initBackend() });
  log("circuit", { instance: circuit, note: "setting up on first use (cached afterwards)" });
  // A first run builds the circuit (seconds with the committed development key): a bar on a terminal.
  onSetupProgress((update) => log("progress", { ...update }));
  const artifacts = await loadCircuitArtifacts({ instance: circuit }).finally(() =>
    onSetupProgress(undefined),
  );
  log("circuit-ready", { constraints: artifacts.constraints, maxEntries: artifacts.params.K });

  log("chain", { network: "hardhat in-process" });
  const connection = await startInProcessChain();
  const { networkHelpers } = connection;
  log("governance", { step: "deploying and admitting members through the 2-of-3 quorum" });
  // Two aggregators, so that a silent or suspended one is replaced without a new task; a third auditor
  // when one lies, so that suspending it keeps the attestation quorum (2) within the auditors.
  const consortium = await deployLocalConsortium({
    connection,
    members: options.members,
    circuit,
    seed: options.seed,
    aggregators: 2,
    auditors: options.lyingAuditor ? 3 : 2,
  });
  const { contracts } = consortium;
  const addresses = {
    consortium: await contracts.consortium.getAddress(),
    rounds: await contracts.rounds.getAddress(),
  };
  const registry = await contracts.consortium.verifyingKeys();
  log("deployed", { ...addresses, verifyingKeys: registry, keyHash: consortium.verifyingKey.keyHash });

  const storePath = join(options.out, "ipfs");
  await rm(storePath, { recursive: true, force: true });
  const store = await createHeliaStore({ path: storePath });
  try {
    const dataset = await loadDemoData({ options, maxParams: 2 ** artifacts.params.IDX_BITS, log });
    if (modelNote !== undefined) log("model", { preset: modelName(dataset.model), why: modelNote });
    const learner = taskLearner({ model: dataset.model, training: dataset.training ?? TRAINING });
    // A family that fixes the policy (a forest: counts at scale 1 under rule sum) sets it; else the demo's.
    const family = learner.policy;
    const scale = family?.scale ?? SCALE;
    log("data", {
      name: dataset.name,
      model: learner.name,
      family: learner.family,
      d: learner.dimension,
      split: dataset.split,
      rows: dataset.members.map((m) => m.rows),
    });
    const taskNumber = Number(await contracts.consortium.taskCount()) + 1;
    const params0 = dataset.initialParams;
    const model0 = initialGlobalModel({
      task: taskNumber,
      dimension: params0.length,
      scale,
      params: params0,
    });
    const model0Bytes = encodeGlobalModel(model0);
    const model0Cid = await store.put(model0Bytes);
    await store.pin(model0Cid);
    const policy: TaskPolicy = localTaskPolicy({
      consortium,
      now: BigInt(await networkHelpers.time.latest()),
      model: {
        name: learner.name,
        id: dataset.modelId,
        dimension: params0.length,
        hash: globalModelHash(model0Bytes),
        cid: model0Cid,
      },
      ...(options.rule !== undefined ? { rule: options.rule } : {}),
      ...(family ? { family } : {}),
      ...(options.supportMembers !== undefined ? { supportMembers: options.supportMembers } : {}),
      settings: {
        ...(family
          ? {}
          : {
              lInfBound: BigInt(2 ** (artifacts.params.VAL_BITS - 1) - 1),
              l2Bound: 4n * BigInt(SCALE),
              scale: SCALE,
            }),
        // Members whose updates an attack gets excluded must not abandon every round.
        minParticipants: Math.max(1, options.members - options.malicious),
        sensitivity: 2,
        publishWindow: 120,
        attestationWindow: 120,
        ...(options.maxNonZeros !== undefined ? { maxNonZeros: options.maxNonZeros } : {}),
      },
    });
    const k = policy.maxNonZeros;
    const rule = ruleDefinitionById(policy.aggregationRule)!.kind;
    log("governance", {
      step: "creating the task",
      d: policy.dimension,
      k,
      rule,
      ...(options.supportMembers !== undefined ? { supportMembers: options.supportMembers } : {}),
    });
    const { taskId } = await createLocalTask({ consortium, policy });
    await options.onChain?.({ provider: connection.provider, addresses, taskId });

    const envFor = (account: ConsortiumAccount): RoleEnvironment => ({
      signer: account.signer,
      address: account.address,
      contracts,
      store,
      taskId,
      fetchTimeoutMs: 5_000,
    });
    const aggregatorEnvs = consortium.aggregators.map(envFor);
    let aggregatorEnv = aggregatorEnvs[0]!;
    const auditorEnvs = consortium.auditors.map(envFor);
    const liar = options.lyingAuditor ? consortium.auditors[0]!.address : undefined;
    const outsiderEnv: RoleEnvironment = {
      ...aggregatorEnv,
      signer: consortium.outsider,
      address: await consortium.outsider.getAddress(),
    };
    const isActive = async (address: string): Promise<boolean> =>
      Number((await contracts.consortium.member(address)).status) === MemberStatus.Active;
    const memberEnvs = consortium.members.map(envFor);
    const malicious = new Set(
      consortium.members.slice(options.members - options.malicious).map((m) => m.address),
    );
    const memberData = dataset.members.map((data, i) =>
      malicious.has(consortium.members[i]!.address)
        ? poisonData({ data, attack: options.attack, trigger: AI4I_TRIGGER })
        : data,
    );
    const residuals = new Map<string, Float32Array>();
    const initialMetrics = await learner.evaluate({ params: params0, data: dataset.test });
    log("baseline", { macroF1: initialMetrics.macroF1, balancedAccuracy: initialMetrics.balancedAccuracy });

    const roundReports: RoundReport[] = [];
    const roundsStarted = performance.now();
    // The last finalized model's parameters, kept from each round's evaluation for the report's end.
    let finalParams = params0;
    for (let r = 1; r <= options.rounds; r++) {
      // A suspended aggregator cannot open rounds, and one that went silent is barred from the next one:
      // the consortium's other aggregator takes over, under the same task.
      if (!(await isActive(aggregatorEnv.address)) || (silentRound !== undefined && r === silentRound + 1))
        aggregatorEnv = aggregatorEnvs.find((e) => e !== aggregatorEnv) ?? aggregatorEnv;
      const aggregatorReader = {
        env: aggregatorEnv,
        reader: consortium.readerKeyOf(
          consortium.aggregators.find((a) => a.address === aggregatorEnv.address)!,
        ),
      };
      const trainMs: number[] = [];
      // Member i trains (unit 2i), then proves and commits (unit 2i + 1): the round's first bar.
      const members = memberEnvs.length;
      let commits = 0;
      const memberProgress = (step: string, done: number): void =>
        log("progress", { phase: `round ${r}/${options.rounds}`, step, done, total: 2 * members });
      const { round, committed } = await commitLocalRound({
        aggregator: aggregatorReader,
        artifacts,
        durationSeconds: 3600,
        onStep: (step) => {
          if (step === "open") log("round-open", { round: r, aggregator: aggregatorEnv.address });
          if (step === "commit" && ++commits === members) memberProgress("members committed", 2 * members);
        },
        members: memberEnvs.map((env, i) => ({
          env,
          ...(learner.errorFeedback ? { residual: residuals.get(env.address) } : {}),
          ...(options.attack === "seal-split" && malicious.has(env.address) ? { seal: sealToOtherKey } : {}),
          delta: async (round: bigint) => {
            memberProgress(`member ${i + 1} of ${members} trains`, 2 * i);
            const base = await loadTrainingBase({ env, round });
            const t0 = performance.now();
            const delta = await learner.localDelta({
              globalParams: base.params,
              data: memberData[i]!,
              seed: options.seed * 10_000 + r * 100 + i,
            });
            trainMs.push(performance.now() - t0);
            memberProgress(`member ${i + 1} of ${members} proves and commits`, 2 * i + 1);
            return malicious.has(env.address)
              ? poisonDelta({ delta, attack: options.attack, seed: options.seed + r * 31 + i })
              : delta;
          },
        })),
      });
      const proveMs = committed.map((c) => c.result.proveMs);
      const sealedBytes = committed.map((c) => c.result.sealedBytes);
      const commitGas = committed.map((c) => Number(c.result.gasUsed));
      for (const c of committed) {
        if (learner.errorFeedback) residuals.set(c.env.address, c.residual);
        log("member-committed", {
          round: Number(round),
          member: c.env.address,
          entries: c.result.count,
          bytes: c.result.sealedBytes,
          proveMs: Math.round(c.result.proveMs),
          chunks: c.result.chunks,
        });
      }
      const audit: RoundReport["audit"] = [];
      let attestGas = 0;
      let aggregated: AggregationResult | undefined;
      if (silentRound === r) {
        await closeRoundIfReady({ env: aggregatorEnv, round });
        // The aggregator stops after closing: nobody may publish for it, and the round must still end.
        log("aggregator-silent", { round: Number(round), aggregator: aggregatorEnv.address });
        await networkHelpers.time.increase(policy.publishWindow + 1);
        const settled = await settleRound({ env: outsiderEnv, round });
        log("round-settled", { round: Number(round), outcome: settled.outcome });
      } else {
        const tamper = options.tamperAggregator && r === 2 ? "wrong-hash" : "none";
        const activeAuditors: { env: RoleEnvironment; reader: ReaderGroupKey }[] = [];
        for (const [i, env] of auditorEnvs.entries())
          if (await isActive(env.address))
            activeAuditors.push({ env, reader: consortium.readerKeyOf(consortium.auditors[i]!) });
        const chainProgress = ([done, step]: readonly [number, string]): void =>
          log("progress", { phase: `round ${r}/${options.rounds}`, step, done, total: 3 });
        chainProgress([0, "closing on chain"]);
        const concluded = await concludeLocalRound({
          round,
          aggregator: aggregatorReader,
          auditors: activeAuditors,
          seams: tamperingAggregator({ tamper, groupSecretKey: aggregatorReader.reader.secretKey }),
          advanceTime: (seconds) => networkHelpers.time.increase(seconds),
          onStep: (step) => {
            const after = CHAIN_PROGRESS[step];
            if (after) chainProgress(after);
            if (step === "aggregate")
              log("aggregate-published", { round: Number(round), modelHash: aggregated?.modelHash, tamper });
          },
          aroundAggregation: async (run) => (aggregated = await run()),
          transformVerdict: (honest, auditor) =>
            auditor.env.address === liar ? lyingVerdict(honest) : honest,
        });
        concluded.verdicts.forEach((verdict, i) => {
          const auditor = activeAuditors[i]!.env.address;
          attestGas = Math.max(attestGas, Number(concluded.attestGas[i]));
          audit.push({ auditor, matches: verdict.matches, findings: verdict.findings });
          log("audit", {
            round: Number(round),
            auditor,
            matches: verdict.matches,
            findings: verdict.findings,
          });
        });
        const afterAudit = await readRound({ rounds: contracts.rounds, taskId, round });
        if (afterAudit.disputed) {
          const resolution = await resolveByEvidence({ consortium, taskId, round, record: afterAudit });
          log("dispute-resolved", { round: Number(round), ...resolution });
        }
      }
      const record = await readRound({ rounds: contracts.rounds, taskId, round });
      const status = roundOutcome(record);
      // Members train on the last finalized model only; that is the model whose quality counts.
      const current = await lastFinalizedModel({ env: aggregatorEnv });
      const { model } = await fetchVerifiedModel({
        env: aggregatorEnv,
        cid: current.cid,
        expectedHash: current.hash,
      });
      finalParams = toFloatParams(model);
      const metrics = await learner.evaluate({ params: finalParams, data: dataset.test });
      const backdoor =
        options.attack === "backdoor"
          ? await backdoorSuccessRate({
              probabilities: (data) => learner.probabilities({ params: finalParams, data }),
              test: dataset.test,
              trigger: AI4I_TRIGGER,
            })
          : undefined;
      const flagged = (aggregated?.excluded ?? [])
        .filter((e) => (SCREEN_REASONS as readonly string[]).includes(e.reason))
        .map((e) => ({ member: e.member, reason: e.reason, detail: e.detail }));
      for (const f of flagged) log("member-flagged", { round: r, ...f });
      // A first suspicion is kept (it must repeat to exclude): the report shows it next to the exclusions.
      const flaggedMembers = new Set(flagged.map((f) => f.member));
      const suspectedKept = (aggregated?.suspected ?? []).filter((m) => !flaggedMembers.has(m));
      for (const member of suspectedKept) log("member-suspected", { round: r, member });
      roundReports.push({
        round: r,
        committed: record.commits.length,
        rejected: (aggregated?.excluded ?? []).map((e) => ({ member: e.member, reason: e.reason })),
        globalModelCid: record.published?.modelCid ?? "",
        globalModelHash: record.published?.modelHash ?? "",
        baseModelHash: record.baseModelHash,
        status,
        finalized: status === "finalized",
        disputed: record.disputed,
        ...(record.resolved
          ? { resolution: record.resolved.modelUpheld ? "model-upheld" : "dispute-confirmed" }
          : {}),
        ...(record.abandoned ? { abandonReason: record.abandoned } : {}),
        metrics: {
          macroF1: metrics.macroF1,
          balancedAccuracy: metrics.balancedAccuracy,
          loss: metrics.loss,
          rocAuc: metrics.rocAuc,
          ...(backdoor ? { backdoorSuccess: backdoor.backdoorSuccess } : {}),
        },
        flagged,
        suspectedKept,
        bytes: { sparseMedian: median(sealedBytes), dense: policy.dimension * 4 },
        proveMsMedian: median(proveMs),
        chunksMedian: median(committed.map((c) => c.result.chunks)),
        trainMsMedian: median(trainMs),
        gas: {
          commitUpdateMedian: median(commitGas),
          publishAggregate: Number(aggregated?.gasUsed ?? 0n),
          attest: attestGas,
        },
        audit,
      });
      options.onRound?.({ taskId, report: roundReports[roundReports.length - 1]! });
      // Time left from the rounds so far (training, proving, the chain and the audits together).
      const perRound = (performance.now() - roundsStarted) / r;
      log("round-done", {
        round: r,
        of: options.rounds,
        status,
        macroF1: Number(metrics.macroF1.toFixed(4)),
        secondsLeft: Math.round((perRound * (options.rounds - r)) / 1000),
      });
    }
    // The final model on each member's own held-out rows, and as TF.js files.
    const perMember: DemoReport["perMember"] = [];
    for (const [i, holdout] of dataset.holdouts.entries()) {
      const macroF1 =
        holdout.rows > 0 ? (await learner.evaluate({ params: finalParams, data: holdout })).macroF1 : null;
      perMember.push({
        member: consortium.members[i]!.address,
        rows: dataset.members[i]!.rows,
        heldOut: holdout.rows,
        macroF1,
      });
    }
    const modelFiles = learner.modelFiles({ params: finalParams });
    for (const file of modelFiles) await writeFile(join(options.out, file.name), file.bytes);
    const modelJson = join(options.out, modelFiles[0]!.name);
    const report: DemoReport = {
      product: "circular-fl",
      version: 1,
      generatedAt: new Date().toISOString(),
      members: options.members,
      malicious: options.malicious,
      dataset: dataset.name,
      rule,
      ...(options.supportMembers !== undefined ? { supportMembers: options.supportMembers } : {}),
      attack: options.attack,
      tamperAggregator: options.tamperAggregator,
      ...(silentRound !== undefined ? { silentAggregator: silentRound } : {}),
      lyingAuditor: options.lyingAuditor,
      seed: options.seed,
      circuit: {
        instance: circuit,
        constraints: artifacts.constraints,
        maxEntries: artifacts.params.K,
        keyHash: consortium.verifyingKey.keyHash,
      },
      policy: {
        dimension: policy.dimension,
        maxNonZeros: policy.maxNonZeros,
        lInfBound: policy.lInfBound.toString(),
        l2Bound: policy.l2Bound.toString(),
        scale: policy.scale,
        ruleParameter: policy.ruleParameter.toString(),
      },
      backend: await initBackend(),
      contracts: { ...addresses, verifyingKeys: registry },
      task: {
        model: learner.name,
        family: learner.family,
        modelId: dataset.modelId,
        topologyHash: dataset.topologyHash,
        dataHash: dataset.dataHash,
        parameters: params0.length,
        initialWeights: dataset.initialWeights,
        split: dataset.split,
        ...(dataset.schemaFile ? { schemaFile: dataset.schemaFile } : {}),
        modelJson,
      },
      perMember,
      initialMetrics: {
        macroF1: initialMetrics.macroF1,
        balancedAccuracy: initialMetrics.balancedAccuracy,
        loss: initialMetrics.loss,
      },
      rounds: roundReports,
      durationMs: Math.round(performance.now() - started),
    };
    await writeFile(join(options.out, "report.json"), JSON.stringify(report, null, 2) + "\n");
    await writeFile(join(options.out, "report.html"), renderReportHtml(report));
    log("report", { json: join(options.out, "report.json"), html: join(options.out, "report.html") });
    // The chain is still up here: `--web` keeps serving the console on it until the operator stops it.
    await options.afterRounds?.(report);
    return report;
  } finally {
    await store.stop();
    await releaseZkWorkers();
    await connection.close();
  }
}

/**
 * Governance's answer to a disputed round in the demo, from the evidence on chain: when more auditors
 * matched the published model than disputed it, the model is upheld and the disputing auditors suspended;
 * otherwise the dispute is confirmed and the aggregator (with any auditor that vouched for its model)
 * suspended. A real consortium's governors replay the round themselves (`cfl audit`) before voting.
 */
async function resolveByEvidence({
  consortium,
  taskId,
  round,
  record,
}: {
  consortium: Awaited<ReturnType<typeof deployLocalConsortium>>;
  taskId: bigint;
  round: bigint;
  record: Awaited<ReturnType<typeof readRound>>;
}): Promise<{ upholdModel: boolean; suspended: string[] }> {
  const matches = record.attestations.filter((a) => a.matches).map((a) => a.auditor);
  const mismatches = record.attestations.filter((a) => !a.matches).map((a) => a.auditor);
  const upholdModel = matches.length > mismatches.length;
  const suspend = upholdModel ? mismatches : [record.aggregator, ...matches];
  await consortium.govern({ kind: "ResolveDispute", taskId, round, upholdModel, suspend });
  const rounds = consortium.contracts.rounds.connect(consortium.outsider);
  await (await rounds.resolveDispute(taskId, round)).wait();
  return { upholdModel, suspended: suspend };
}
