export {
  ensureInstanceBuilt,
  circuitHash,
  compileCircuit,
  compileInstance,
  SETUP_PROCEDURE_VERSION,
  committedZkeyPath,
} from "./build.js";
export type { InstanceBuild } from "./build.js";
export { zkCacheRoot, ptauPath } from "./cache.js";
export {
  readInstanceRegistry,
  findInstance,
  pascalCase,
  verifierContractName,
  REPO_ROOT,
  LOCK_PATH,
  VERIFIERS_DIR,
  KEYS_DIR,
} from "./instances.js";
export { keyFileFor, keyFilePath, readKeyFile, renderKeyFile, writeKeyFile } from "./keyfile.js";
export type { VerifyingKeyFile, VerifyingKeyRecord } from "./keyfile.js";
export { readLock, renderLock, writeLockEntry, lockEntryFor, verifierPath } from "./lock.js";
export type { LockEntry, LockFile } from "./lock.js";
export { ensurePreparedPtau, sha256File, DEV_BEACON_HASH, DEV_BEACON_ITERATIONS_EXP } from "./ptau.js";
export { renderVerifier } from "./verifier.js";
export { runSetup, runSetupWithPhase1, checkSetup, type Phase1SetupResult } from "./run.js";
