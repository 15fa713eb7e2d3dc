/**
 * The test run prints no Node warnings: a mocha root hook (hardhat.config.ts, test.mocha.rootHooks) records
 * every warning the test process emits and fails the run at its end, naming each warning and the test that
 * was running when it arrived.
 *
 * A file handle left open ("Closing file descriptor N on garbage collection", DEP0137) is only reported when
 * the garbage collector finds it, which may be long after the test that leaked it, or never in a short run.
 * So the last hook forces a full collection before it looks: a leaked handle fails every run that leaks it.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

interface Recorded {
  readonly warning: Error;
  readonly during: string;
}

const recorded: Recorded[] = [];
let during = "before the first test";

function onWarning(warning: Error): void {
  recorded.push({ warning, during });
}

/** A full garbage collection, whether or not node runs with --expose-gc. */
function collectGarbage(): void {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (typeof exposed === "function") return exposed();
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function describeWarning({ warning, during }: Recorded): string {
  const code = (warning as Error & { code?: string }).code;
  return `${warning.name}${code ? ` [${code}]` : ""}: ${warning.message} (while running: ${during})`;
}

export const nodeWarningHooks: Mocha.RootHookObject = {
  beforeAll(): void {
    process.on("warning", onWarning);
  },
  beforeEach(this: Mocha.Context): void {
    during = this.currentTest?.fullTitle() ?? "a test";
  },
  afterEach(): void {
    during = "between tests";
  },
  afterAll: async function noNodeWarnings(): Promise<void> {
    during = "the final garbage collection (a handle leaked by an earlier test)";
    collectGarbage();
    // Warnings are emitted on a later tick than the collection that causes them.
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setImmediate(resolve));
    process.off("warning", onWarning);
    if (recorded.length > 0) {
      throw new Error(
        `the test run emitted ${recorded.length} Node warning(s); fix their cause:\n` +
          recorded.map((r) => `  ${describeWarning(r)}`).join("\n"),
      );
    }
  },
};
