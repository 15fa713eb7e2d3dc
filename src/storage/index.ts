export {
  DEFAULT_MAX_BYTES,
  DEFAULT_TIMEOUT_MS,
  StorageError,
  type ContentStore,
  type GetOptions,
  type StorageErrorCode,
} from "./types.js";
export { parseRawBlockCid, rawBlockCid, verifyRawBlock } from "./cid.js";
export {
  createHeliaStore,
  generateSwarmKey,
  type HeliaContentStore,
  type HeliaNetworkOptions,
  type HeliaStoreOptions,
} from "./helia.js";
export { createKuboStore, type KuboContentStore, type KuboStoreOptions } from "./kubo.js";
