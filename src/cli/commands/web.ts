import { InvalidArgumentError, type Command } from "commander";
import { requireFields } from "../../config/index.js";
import { createLogger } from "../log.js";
import { configFrom, withConfigOption, type ConfigOption } from "./roles-shared.js";

/** Where the console listens unless told otherwise (`cfl web --port`, `cfl demo --web`). */
export const DEFAULT_WEB_PORT = 8600;

/** Commander's parser of a console port (`--port`, `--web [port]`): refused as a usage error, one line. */
export function parsePort(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value) || n > 65535)
    throw new InvalidArgumentError("a port is 0..65535 (0: any free port)");
  return n;
}

/** Resolves on Ctrl-C or a termination signal: the console serves until the operator stops it. */
export function untilStopped(): Promise<void> {
  return new Promise((resolve) => {
    process.once("SIGINT", () => resolve());
    process.once("SIGTERM", () => resolve());
  });
}

export function registerWebCommand(program: Command): void {
  withConfigOption(
    program
      .command("web")
      .description(
        "serve the web console for governors, members and auditors on loopback: it reads the chain of the config's " +
          "rpcUrl and addresses, and signs only through the visitor's browser wallet (no key reaches it)",
      ),
  )
    .option("--port <n>", "port to listen on (0: any free port)", parsePort, DEFAULT_WEB_PORT)
    .option("--host <address>", "interface to listen on", "127.0.0.1")
    .option("--quiet", "print only the URL", false)
    .action(async (opts: ConfigOption & { port: number; host: string; quiet: boolean }) => {
      const config = configFrom(opts);
      const { addresses } = requireFields({ config, fields: ["addresses"], command: "cfl web" });
      const log = createLogger({ quiet: opts.quiet });
      const { startWebConsole, LOOPBACK_HOSTS } = await import("../../web/index.js");
      if (!LOOPBACK_HOSTS.has(opts.host))
        log("warning", {
          message: `--host ${opts.host}: the console is reachable from the network, not only this machine`,
        });
      const web = await startWebConsole({
        chain: { url: config.rpcUrl },
        addresses,
        ...(config.taskId !== undefined ? { taskId: config.taskId } : {}),
        host: opts.host,
        port: opts.port,
      });
      log("web", { url: web.url, chain: config.rpcUrl, stop: "Ctrl-C" });
      process.stdout.write(`${web.url}\n`);
      await untilStopped();
      await web.close();
    });
}
