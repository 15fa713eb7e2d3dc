/**
 * The layer rule (`cfl/layers`, scripts/lint/layers.js) fails the lint on a deliberately wrong import:
 * upward, sideways, from an unplaced folder, and Hardhat from production code. Run through ESLint's own
 * API on source text placed at paths inside src/, exactly as `npm run lint` sees files.
 */
import { expect } from "chai";
import { ESLint } from "eslint";
import { join } from "node:path";
import tseslint from "typescript-eslint";
import cflLayers from "../../scripts/lint/layers.js";

const ROOT = join(import.meta.dirname, "..", "..");

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: [
    {
      files: ["**/*.ts"],
      languageOptions: { parser: tseslint.parser },
      plugins: { cfl: cflLayers },
      rules: { "cfl/layers": "error" },
    },
  ],
});

async function layerErrors(file: string, source: string): Promise<string[]> {
  const [result] = await eslint.lintText(source, { filePath: join(ROOT, file) });
  return (result?.messages ?? []).filter((m) => m.ruleId === "cfl/layers").map((m) => m.message);
}

describe("the layer rule (cfl/layers)", function () {
  it("accepts an import from a lower layer", async function () {
    expect(
      await layerErrors("src/roles/x.ts", 'import { aggregate } from "../aggregation/index.js";'),
    ).to.deep.equal([]);
  });

  it("fails an upward import", async function () {
    const errors = await layerErrors("src/sparse/x.ts", 'import { runMember } from "../roles/index.js";');
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/sparse \(layer 0\) must not import roles \(layer \d\): only lower layers/);
  });

  it("fails a sideways import, and so a cycle, within one layer", async function () {
    const errors = await layerErrors("src/learning/x.ts", 'export * from "../aggregation/index.js";');
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(/learning and aggregation are in the same layer/);
  });

  it("fails a dynamic import and a type import too", async function () {
    expect(await layerErrors("src/zk/x.ts", 'const m = await import("../cli/main.js");')).to.have.length(1);
    expect(
      await layerErrors("src/chain/x.ts", 'type T = import("../roles/index.js").RoleEnvironment;'),
    ).to.have.length(1);
  });

  it("fails a folder that has no place in the layer map", async function () {
    const errors = await layerErrors(
      "src/plugins/x.ts",
      'import { aggregate } from "../aggregation/index.js";',
    );
    expect(errors[0]).to.match(/src\/plugins has no layer/);
  });

  it("keeps Hardhat out of production code, and allows it in the harness", async function () {
    const errors = await layerErrors("src/roles/x.ts", 'import { network } from "hardhat";');
    expect(errors[0]).to.match(/roles is production code and must not import hardhat/);
    expect(await layerErrors("src/harness/x.ts", 'import { network } from "hardhat";')).to.deep.equal([]);
  });

  it("keeps every devDependency out of production code's static imports; a lazy import is the way in", async function () {
    const errors = await layerErrors("src/zk/x.ts", 'import { format } from "prettier";');
    expect(errors[0]).to.match(/zk is production code and must not import prettier/);
    expect(await layerErrors("src/zk/x.ts", 'const { format } = await import("prettier");')).to.deep.equal(
      [],
    );
    expect(await layerErrors("src/zk/x.ts", 'import { groth16 } from "snarkjs";')).to.deep.equal([]);
  });
});
