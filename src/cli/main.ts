/**
 * The `cfl` command. Every failure becomes one readable line `error: ...` on stderr and a non-zero exit
 * code; the stack trace is printed only with `--verbose`, because operators read these lines in logs.
 * A contract revert is printed decoded (`error: Consortium__NotGovernor(account 0x…)`), and no line ever
 * carries a secret (URL credentials, keys, passwords are masked as `***`).
 */
import { Command, CommanderError } from "commander";
import { describeRevert } from "../chain/revert.js";
import { redactSecrets } from "../config/redact.js";
import { quietSetupLog } from "../zk/setup/log.js";
import { registerCommands } from "./commands/index.js";

/** Exit code for bad input (malformed files, invalid options) and for failed operations alike. */
export const EXIT_FAILURE = 2;

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("cfl")
    .description("circular-fl: zero-trust federated learning for circular manufacturing supply chains")
    .option("--verbose", "print stack traces on errors")
    .showHelpAfterError(false)
    .exitOverride()
    // A first use compiles a circuit and prints its steps: `--quiet` means none of them either.
    .hook("preAction", (_program, action) => {
      if (action.opts().quiet === true) quietSetupLog();
    })
    .configureOutput({
      writeErr: (text) => {
        // commander's own usage errors already start with "error:"; keep them to one line.
        process.stderr.write(redactSecrets(text.split("\n")[0] ?? "") + "\n");
      },
    });
  registerCommands(program);
  return program;
}

/** The error's one line: a contract revert decoded by name and arguments, else the message's first line. */
export function describeError(error: unknown): string {
  return redactSecrets(describeRevert(error));
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: "user" });
    // A command that ran but reports a negative finding (`cfl audit`: a mismatch) sets its own exit code.
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (error) {
    if (error instanceof CommanderError) {
      // help and version exit with code 0; usage errors were printed by commander already.
      return error.exitCode === 0 ? 0 : EXIT_FAILURE;
    }
    const verbose = argv.includes("--verbose");
    process.stderr.write(`error: ${describeError(error)}\n`);
    if (verbose && error instanceof Error && error.stack) {
      process.stderr.write(redactSecrets(error.stack) + "\n");
    }
    return EXIT_FAILURE;
  }
}
