/**
 * Commands that run on Hardhat (a development dependency) load it only when they run, so that every other
 * command works after `npm ci --omit=dev`. Where the development dependencies are not installed, such a
 * command fails with one line that says what it needs and how to install it.
 */
import { readFileSync } from "node:fs";

const INSTALL_HINT = "install with npm ci (without --omit=dev)";

/** The package of a failed module resolution: `hardhat` for `hardhat/hre`, `@scope/name` for a scoped path. */
function missingPackage(error: unknown): string | undefined {
  if ((error as NodeJS.ErrnoException | undefined)?.code !== "ERR_MODULE_NOT_FOUND") return undefined;
  const message = error instanceof Error ? error.message : "";
  const specifier = /Cannot find (?:package|module) '([^']+)'/.exec(message)?.[1];
  if (specifier === undefined) return undefined;
  const bare = specifier.includes("/node_modules/")
    ? specifier.slice(specifier.lastIndexOf("/node_modules/") + "/node_modules/".length)
    : specifier;
  if (bare.startsWith(".") || bare.startsWith("/")) return undefined;
  const parts = bare.split("/");
  return bare.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

function isDevDependency(name: string): boolean {
  const manifest = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
    devDependencies?: Record<string, string>;
  };
  return Object.hasOwn(manifest.devDependencies ?? {}, name);
}

/**
 * Loads a module that needs the development dependency `needs`. `what` starts the one-line error, e.g.
 * "cfl demo runs on Hardhat's in-process chain"; `instead` may name an alternative that needs no
 * development dependency. The package is looked up before `load` runs, so the command fails before it
 * touches anything; a development dependency missing deeper in `load`'s imports fails the same way.
 */
export async function loadDevOnly<T>({
  needs,
  what,
  instead,
  load,
}: {
  needs: string;
  what: string;
  instead?: string;
  load: () => Promise<T>;
}): Promise<T> {
  const refuse = (cause: unknown): Error =>
    new Error(`${what}, a development dependency: ${INSTALL_HINT}${instead ? `, or ${instead}` : ""}`, {
      cause,
    });
  try {
    import.meta.resolve(needs);
  } catch (error) {
    throw refuse(error);
  }
  try {
    return await load();
  } catch (error) {
    const missing = missingPackage(error);
    if (missing !== undefined && isDevDependency(missing)) throw refuse(error);
    throw error;
  }
}
