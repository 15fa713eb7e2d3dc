import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The consortium's contracts: governance and membership, then the rounds that read them.
 * Parameters: `governors` (addresses) and `quorum` (approvals per proposal). The deployer keeps no
 * privilege; it only names the first governors.
 */
export default buildModule("CircularFL", (m) => {
  const governors = m.getParameter<string[]>("governors");
  const quorum = m.getParameter<number>("quorum");
  const consortium = m.contract("Consortium", [governors, quorum]);
  const rounds = m.contract("FederatedRounds", [consortium]);
  return { consortium, rounds };
});
