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

export function registerAggregatorCommands(program: Command): void {
  const aggregator = program.command("aggregator").description("the task's aggregator worker");
  withConfigOption(
    aggregator
      .command("run")
      .description(
        "follow the task on chain: open a round on the last finalized model when none is pending, close it when ready, " +
          "aggregate and publish; all state comes from the chain, so a restarted worker resumes and never publishes twice",
      ),
  )
    .option(
      "--rounds <n>",
      "exit once the task has this many published rounds, all settled",
      positiveInt("--rounds"),
    )
    .option(
      "--round-seconds <s>",
      "how long members may commit to a round",
      positiveInt("--round-seconds"),
      3600,
    )
    .option("--quiet", "no progress output", false)
    .action(async (opts: ConfigOption & { rounds?: number; roundSeconds: number; quiet: boolean }) => {
      const config = requireFields({
        config: configFrom(opts),
        fields: ["readerKeyFile"],
        command: "cfl aggregator run",
      });
      const log = createLogger({ quiet: opts.quiet });
      const reader = await loadReaderKey({ path: config.readerKeyFile });
      const circuit = await circuitParams(config.circuit);
      const { runAggregator } = await import("../../roles/index.js");
      const { releaseZkWorkers } = await import("../../zk/index.js");
      const stop = stopSignal();
      try {
        await withRole({ config, command: "cfl aggregator run" }, async (connection) => {
          await checkReaderKey({ connection, reader, requireOwnAccount: true });
          const beforeStep = await announcePeers({ connection, log });
          log("aggregator-ready", { address: connection.env.address, task: config.taskId?.toString() });
          await runAggregator({
            env: connection.env,
            log,
            signal: stop.signal,
            pollIntervalMs: config.pollIntervalMs,
            beforeStep,
            reader,
            circuit,
            roundSeconds: opts.roundSeconds,
            ...(opts.rounds !== undefined ? { stopAfterRounds: opts.rounds } : {}),
          });
        });
      } finally {
        stop.dispose();
        await releaseZkWorkers();
      }
    });
}
