import type { Command } from "commander";
import { loadReaderKey, requireFields } from "../../config/index.js";
import { createLogger } from "../log.js";
import {
  announcePeers,
  checkReaderKey,
  circuitParams,
  configFrom,
  positiveInt,
  stopSignal,
  withConfigOption,
  withRole,
  type ConfigOption,
} from "./roles-shared.js";

export function registerAuditorCommands(program: Command): void {
  const auditor = program.command("auditor").description("an independent auditor of the task's aggregates");
  withConfigOption(
    auditor
      .command("run")
      .description(
        "follow the task on chain: replay every published round not yet attested from chain and IPFS alone, attest " +
          "match or mismatch, and finalize rounds whose attestation quorum agrees",
      ),
  )
    .option("--rounds <n>", "exit once the task has this many settled rounds", positiveInt("--rounds"))
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { rounds?: number; quiet: boolean }) => {
      const config = requireFields({
        config: configFrom(opts),
        fields: ["readerKeyFile"],
        command: "cfl auditor run",
      });
      const log = createLogger({ quiet: opts.quiet });
      const reader = await loadReaderKey({ path: config.readerKeyFile });
      const circuit = await circuitParams(config.circuit);
      const { runAuditor } = await import("../../roles/index.js");
      const { releaseZkWorkers } = await import("../../zk/index.js");
      const stop = stopSignal();
      try {
        await withRole({ config, command: "cfl auditor run" }, async (connection) => {
          await checkReaderKey({ connection, reader, requireOwnAccount: true });
          const beforeStep = await announcePeers({ connection, log });
          log("auditor-ready", { address: connection.env.address, task: config.taskId?.toString() });
          await runAuditor({
            env: connection.env,
            log,
            signal: stop.signal,
            pollIntervalMs: config.pollIntervalMs,
            beforeStep,
            reader,
            circuit,
            ...(opts.rounds !== undefined ? { stopAfterRounds: opts.rounds } : {}),
          });
        });
      } finally {
        stop.dispose();
        await releaseZkWorkers();
      }
    });
}
