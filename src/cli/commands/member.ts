import type { Command } from "commander";
import { writeFile } from "node:fs/promises";
import { hexlify, Wallet } from "ethers";
import {
  CONFIG_ENV,
  ConfigError,
  loadSigner,
  requireFields,
  writeReaderKey,
  type CflConfig,
} from "../../config/index.js";
import { generateReaderKeyPair } from "../../seal/index.js";
import { createLogger } from "../log.js";
import { readSchemaFile } from "../../data/index.js";
import { checkDataFile } from "./data.js";
import {
  announcePeers,
  configFrom,
  currentTaskPolicy,
  positiveInt,
  stopSignal,
  withConfigOption,
  withRole,
  type ConfigOption,
} from "./roles-shared.js";

/**
 * What a member trains on: its rows, and the task model they fit once the circuit's size and the task's
 * modelId are known (`member.modelFile` beside a built-in data set, or `member.data.modelFile`; without
 * one, the data set's built-in model the task pins, forest or MLP).
 */
export async function memberTrainingData(member: NonNullable<CflConfig["member"]>) {
  const learning = await import("../../learning/index.js");
  if (member.data) {
    const files = member.data;
    const schema = await readSchemaFile(files.schemaFile);
    const { scanRecords } = await import("../../data/index.js");
    const { data } = await scanRecords({
      source: { path: files.path, format: files.format, delimiter: files.delimiter },
      schema,
      keep: true,
    });
    return {
      data: data!,
      source: "member.data (schemaFile, modelFile)",
      model: ({ maxParams }: { maxParams: number; modelId: string }) =>
        learning.resolveTaskModel({
          ...(files.modelFile !== undefined ? { modelFile: files.modelFile } : {}),
          schema,
          maxParams,
        }),
    };
  }
  const name = member.dataset!;
  const index = member.partitionIndex ?? 0;
  const data = learning.loadDataset({ name, members: member.partitions, seed: member.seed }).members[index];
  if (!data) throw new ConfigError("invalid-field", `member.partitionIndex ${index} has no data`);
  return {
    data,
    source: `member.dataset ${name}`,
    model: ({ maxParams, modelId }: { maxParams: number; modelId: string }) =>
      learning.resolveTaskModel({
        dataset: name,
        maxParams,
        modelId,
        ...(member.modelFile !== undefined ? { modelFile: member.modelFile } : {}),
      }),
  };
}

/** Local training per round: one epoch, as in the demo (members send often rather than much). */
const TRAINING = { epochs: 1, batchSize: 64, learningRate: 0.01 } as const;

export function registerMemberCommands(program: Command): void {
  const member = program
    .command("member")
    .description("a consortium member: join, then train and commit every round");

  withConfigOption(
    member
      .command("join")
      .description(
        "create this member's reader (encryption) key pair and print the address and public key for the governors' " +
          "AdmitMember proposal",
      ),
  )
    .option("--key-out <file>", "where to write the reader key (default: readerKeyFile from the config)")
    .option(
      "--new-account <keystore-file>",
      `also create a new account, saved as an encrypted keystore (password from ${CONFIG_ENV.keystorePassword})`,
    )
    .action(async (opts: ConfigOption & { keyOut?: string; newAccount?: string }) => {
      const config = configFrom(opts);
      let address: string;
      if (opts.newAccount) {
        const password = process.env[CONFIG_ENV.keystorePassword];
        if (!password)
          throw new ConfigError("missing-key", `--new-account needs ${CONFIG_ENV.keystorePassword}`);
        const wallet = Wallet.createRandom();
        await writeFile(opts.newAccount, await wallet.encrypt(password), { mode: 0o600, flag: "wx" });
        address = wallet.address;
      } else {
        address = (await loadSigner({ config })).address;
      }
      const keyPath = opts.keyOut ?? config.readerKeyFile;
      if (!keyPath) {
        throw new ConfigError(
          "missing-field",
          "readerKeyFile is required in the config (or pass --key-out <file>)",
        );
      }
      const pair = generateReaderKeyPair();
      await writeReaderKey({ path: keyPath, key: { id: address, ...pair } });
      process.stdout.write(
        JSON.stringify({ address, encryptionKey: hexlify(pair.publicKey), readerKeyFile: keyPath }, null, 2) +
          "\n",
      );
    });

  withConfigOption(
    member
      .command("check-data")
      .description(
        "check this member's own records (member.data in the config) against the task's data schema and print rows, " +
          "class balance and feature ranges; touches neither the chain nor IPFS",
      ),
  ).action(async (opts: ConfigOption) => {
    const data = configFrom(opts).member?.data;
    if (!data)
      throw new ConfigError("missing-field", "member.data { path, schemaFile } is required in the config");
    await checkDataFile({
      source: { path: data.path, format: data.format, delimiter: data.delimiter },
      schema: await readSchemaFile(data.schemaFile),
    });
  });

  withConfigOption(
    member
      .command("run")
      .description(
        "follow the task on chain: for every open round not yet committed to, train on the round's (finalized) base " +
          "model fetched from IPFS, then sparsify, seal to the task's reader group, prove and commit (the sealed update " +
          "travels in the commit transaction, so the member may go offline right after); never trains on a disputed model",
      ),
  )
    .option("--rounds <n>", "stop after committing to this many rounds", positiveInt("--rounds"))
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { rounds?: number; quiet: boolean }) => {
      const config = requireFields({
        config: configFrom(opts),
        fields: ["member"],
        command: "cfl member run",
      });
      const log = createLogger({ quiet: opts.quiet });
      const { seed, residualDir } = config.member;
      const { initBackend, modelName, taskLearner } = await import("../../learning/index.js");
      const { checkProvingKey, circuitOfKey, runMember } = await import("../../roles/index.js");
      const { ResidualStore } = await import("../../sparse/index.js");
      const { loadCircuitArtifacts, releaseZkWorkers } = await import("../../zk/index.js");
      log("backend", { backend: await initBackend() });
      // Every row is read and checked before anything touches the chain: bad data commits nothing.
      const local = await memberTrainingData(config.member);
      const partitionIndex = config.member.partitionIndex ?? 0;
      log("circuit", { instance: config.circuit });
      const artifacts = await loadCircuitArtifacts({
        instance: config.circuit,
        ...(config.provingKeyFile ? { zkeyPath: config.provingKeyFile } : {}),
      });
      const stop = stopSignal();
      try {
        await withRole({ config, command: "cfl member run" }, async (connection) => {
          // Refused at start rather than after the member trained and proved for nothing.
          const { policy } = await currentTaskPolicy({ connection });
          const circuit = await circuitOfKey({ env: connection.env, keyHash: policy.verifyingKeyHash });
          checkProvingKey({ artifacts, policy, circuit });
          const model = await local.model({ maxParams: 2 ** circuit.IDX_BITS, modelId: policy.modelId });
          if (model.modelId !== policy.modelId)
            throw new ConfigError(
              "invalid-field",
              `this member's model and data are not the task's: the policy pins modelId ${policy.modelId}, ` +
                `${local.source} gives ${model.modelId} (model "${modelName(model)}", topology ${model.topologyHash}, data ${model.dataHash})`,
            );
          const learner = taskLearner({ model, training: TRAINING });
          const beforeStep = await announcePeers({ connection, log });
          log("member-ready", {
            address: connection.env.address,
            task: config.taskId?.toString(),
            rows: local.data.rows,
          });
          await runMember({
            env: connection.env,
            log,
            signal: stop.signal,
            pollIntervalMs: config.pollIntervalMs,
            beforeStep,
            artifacts,
            // A forest's counts belong to the level they were counted at: nothing is carried over.
            ...(learner.errorFeedback ? { residuals: new ResidualStore({ directory: residualDir }) } : {}),
            ...(opts.rounds !== undefined ? { maxRounds: opts.rounds } : {}),
            train: ({ round, params }) =>
              learner.localDelta({
                globalParams: params,
                data: local.data,
                seed: seed * 10_000 + Number(round) * 100 + partitionIndex,
              }),
          });
        });
      } finally {
        stop.dispose();
        await releaseZkWorkers();
      }
    });
}
