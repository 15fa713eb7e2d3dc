import { readFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";
import * as snarkjs from "snarkjs";
import { ZkSetupError } from "../errors.js";

const require = createRequire(import.meta.url);

/**
 * Solidity Groth16 verifier for a zkey, from snarkjs's template, renamed, pinned to the project's compiler
 * and headed with where it came from. The function signature is snarkjs's:
 * verifyProof(uint[2] _pA, uint[2][2] _pB, uint[2] _pC, uint[3] _pubSignals) returns (bool).
 */
export async function renderVerifier({
  zkeyPath,
  contractName,
  headerLines,
}: {
  zkeyPath: string;
  contractName: string;
  headerLines: readonly string[];
}): Promise<string> {
  if (!/^[A-Z][A-Za-z0-9]*$/.test(contractName)) {
    throw new ZkSetupError(
      `verifier contract name must be a Solidity identifier in PascalCase, got "${contractName}"`,
    );
  }
  // snarkjs does not export its templates; they sit next to build/ in the package.
  const templatePath = join(
    dirname(require.resolve("snarkjs")),
    "..",
    "templates",
    "verifier_groth16.sol.ejs",
  );
  const template = await readFile(templatePath, "utf8");
  const generated = await snarkjs.zKey.exportSolidityVerifier(zkeyPath, { groth16: template });
  const pragma = "pragma solidity >=0.7.0 <0.9.0;";
  const declaration = "contract Groth16Verifier {";
  if (!generated.includes(pragma) || !generated.includes(declaration)) {
    throw new ZkSetupError("snarkjs's Groth16 verifier template changed: pragma or contract name not found");
  }
  const header = headerLines.map((l) => `// ${l}`.trimEnd()).join("\n");
  const body = generated
    .replace(pragma, `${header}\npragma solidity 0.8.28;`)
    .replace(declaration, `contract ${contractName} {`);
  return body.endsWith("\n") ? body : `${body}\n`;
}
