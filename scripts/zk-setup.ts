/**
 * Development-only trusted setup for the update-bounds circuits.
 *
 *   npm run zk:setup [instance...]   compile, phase 1 + phase 2 with public beacons, write verifiers,
 *                                    registry key files (circuits/keys/<instance>.vk.json) + lock
 *   npm run zk:check [instance...]   regenerate in a temp dir; exit 1 with one line if anything drifted
 *   npm run zk:setup -- --ptau FILE --out DIR [--development] [instance...]
 *                                    the same on an existing phase-1 file (e.g. Perpetual Powers of Tau),
 *                                    verified first; output in DIR only (keys still development-only: phase 2
 *                                    ends with the public beacon; production keys come from cfl zk ceremony)
 *
 * Artifacts are cached in ${CFL_CACHE_DIR:-~/.cache/circular-fl}/zk. Progress goes to stderr.
 */
import { resolve } from "node:path";
import { checkSetup, runSetup, runSetupWithPhase1 } from "../src/zk/setup/index.js";
import { ZkError, ZkSetupError } from "../src/zk/errors.js";

/** The value after `flag`, removed from `args` with it (undefined when the flag is absent). */
function takeValue(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag);
  if (at < 0) return undefined;
  const value = args[at + 1];
  if (value === undefined || value.startsWith("--")) throw new ZkSetupError(`${flag} needs a value`);
  args.splice(at, 2);
  return value;
}

async function main(argv: readonly string[]): Promise<number> {
  const args = [...argv];
  const ptau = takeValue(args, "--ptau");
  const out = takeValue(args, "--out");
  const check = args.includes("--check");
  const development = args.includes("--development");
  const unknown = args.filter((a) => a.startsWith("--") && a !== "--check" && a !== "--development");
  if (unknown.length > 0) throw new ZkSetupError(`unknown option ${unknown[0]}`);
  const instances = args.filter((a) => !a.startsWith("--"));
  if (ptau !== undefined || out !== undefined) {
    if (ptau === undefined || out === undefined || check) {
      throw new ZkSetupError("--ptau FILE and --out DIR go together, without --check");
    }
    const result = await runSetupWithPhase1({
      instances,
      ptau: resolve(ptau),
      out: resolve(out),
      development,
    });
    process.stdout.write(`phase 1 ${result.phase1.path} blake2b-512 ${result.phase1.blake2b512}\n`);
    for (const { build, verifier, keyFile, zkey } of result.builds) {
      process.stdout.write(
        `${build.instance.name} ${build.constraints} constraints keyHash ${build.keyHash} verifier ${verifier} key ${keyFile} zkey ${zkey} (DEVELOPMENT-ONLY)\n`,
      );
    }
    return 0;
  }
  if (check) {
    await checkSetup({ instances });
    process.stdout.write("zk: committed verifiers, key files and lock match a regeneration\n");
    return 0;
  }
  const builds = await runSetup({ instances });
  for (const b of builds) {
    process.stdout.write(
      `${b.instance.name} ${b.constraints} constraints vkeyHash ${b.vkeyHash} keyHash ${b.keyHash}\n`,
    );
  }
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    const message =
      err instanceof ZkError
        ? `${err.code}: ${err.message}`
        : err instanceof Error
          ? err.message
          : String(err);
    process.stderr.write(`zk: ${message.split("\n")[0]}\n`);
    process.exit(1);
  },
);
