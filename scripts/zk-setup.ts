/**
 * Development-only trusted setup for the update-bounds circuits.
 *
 *   npm run zk:setup [instance...]   compile, phase 1 + phase 2 with public beacons, write verifiers,
 *                                    registry key files (circuits/keys/<instance>.vk.json) + lock
 *   npm run zk:check [instance...]   regenerate in a temp dir; exit 1 with one line if anything drifted
 *
 * Artifacts are cached in ${CFL_CACHE_DIR:-~/.cache/circular-fl}/zk. Progress goes to stderr.
 */
import { checkSetup, runSetup } from "../src/zk/setup/index.js";
import { ZkError } from "../src/zk/errors.js";

async function main(argv: readonly string[]): Promise<number> {
  const check = argv.includes("--check");
  const instances = argv.filter((a) => !a.startsWith("--"));
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
