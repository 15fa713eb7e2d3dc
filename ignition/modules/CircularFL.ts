import { buildModule } from "@nomicfoundation/hardhat-ignition/modules";

/**
 * The consortium's contracts: governance and membership (which creates its verifying-key registry), then
 * the rounds that read them. Parameters: `governors` (addresses), `quorum` (approvals per proposal) and
 * `development` (whether task policies may pin development-only verifying keys; false unless a deployment
 * is for development). The deployer keeps no privilege; it only names the first governors.
 */
export default buildModule("CircularFL", (m) => {
  const governors = m.getParameter<string[]>("governors");
  const quorum = m.getParameter<number>("quorum");
  const development = m.getParameter<boolean>("development", false);
  const consortium = m.contract("Consortium", [governors, quorum, development]);
  const rounds = m.contract("FederatedRounds", [consortium]);
  return { consortium, rounds };
});
