export type {
  CircuitArtifacts,
  CircuitInstance,
  CircuitParams,
  Groth16Proof,
  PolicyBounds,
  PublicSignals,
  SolidityProof,
  UpdateProof,
  UpdatePublicInputs,
  UpdateWitnessInput,
  VerifierArguments,
  ChunkedUpdateProof,
} from "./types.js";
export {
  ZkError,
  type ZkErrorCode,
  ZkInputError,
  ZkSetupError,
  ZkDriftError,
  ZkWitnessError,
  ZkCeremonyError,
} from "./errors.js";
export { BN254_SCALAR_FIELD } from "./field.js";
export {
  packContext,
  unpackContext,
  packBounds,
  unpackBounds,
  packEntries,
  checkUpdateAgainstBounds,
} from "./pack.js";
export {
  computeCommitment,
  commitmentFromEntries,
  packLanes,
  entriesPerLane,
  startState,
  packTotals,
  stateCommitment,
  advanceState,
  updateChunks,
  chunkCount,
  type ChunkState,
  type UpdateChunk,
} from "./commitment.js";
export { MAX_CHUNKS_PER_UPDATE } from "./limits.js";
export { randomSalt } from "./salt.js";
export {
  buildWitnessInput,
  buildChunkWitnessInputs,
  chunkPublicInputs,
  publicInputsFor,
  toPublicSignals,
} from "./witness.js";
export {
  proveUpdate,
  proveUpdateChunks,
  proveWitnessInput,
  verifyUpdateProof,
  toSolidityProof,
  verifierArguments,
  releaseZkWorkers,
} from "./prove.js";
export { proveInWorkers, provingThreads } from "./prove-pool.js";
export { loadCircuitArtifacts } from "./artifacts.js";
export { onSetupProgress, type SetupProgress } from "./setup/log.js";
export { canonicalJson, vkeyHash } from "./canonical.js";
export {
  verifyingKeyWords,
  verifyingKeyHash,
  BN254_BASE_FIELD,
  VERIFYING_KEY_WORDS,
  VERIFYING_KEY_PUBLIC_SIGNALS,
} from "./verifying-key.js";
export { ceremonyInit, ceremonyContribute, ceremonyVerify, ceremonyFinalize } from "./ceremony.js";
export type { ContributionRecord, CeremonyVerification } from "./ceremony.js";
export { committedDevelopmentKey, registrableKey, type RegistrableKey } from "./registered-key.js";
