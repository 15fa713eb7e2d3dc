/**
 * Most chunk proofs one update may carry: FederatedRounds refuses more (MAX_CHUNKS_PER_UPDATE in
 * contracts/interfaces/IFederatedRounds.sol) and the consortium refuses a policy whose k needs more. A leaf
 * module (no imports), so that governance code the web console bundles can read it without pulling in the
 * prover.
 */
export const MAX_CHUNKS_PER_UPDATE = 128;
