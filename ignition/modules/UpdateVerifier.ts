import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * One module per generated Groth16 verifier (contracts/verifiers/), so a consortium deploys only the
 * circuit instances its task policies name.
 */
function verifierModule<const Name extends string>(contractName: Name) {
  return buildModule(`${contractName}Module`, (m) => ({ verifier: m.contract(contractName) }));
}

export const TestUpdateVerifierModule = verifierModule("TestUpdateVerifier");
export const DemoUpdateVerifierModule = verifierModule("DemoUpdateVerifier");
