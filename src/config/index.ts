export * from "./types.js";
export { configFileSchema, type ConfigFile, type ConfigFileInput } from "./schema.js";
export { loadConfig, parseConfig, requireFields, CONFIG_ENV, DEFAULT_CONFIG_FILE } from "./load.js";
export {
  connectProvider,
  loadSigner,
  loadReaderKey,
  writeReaderKey,
  openContentStore,
  peerDirectory,
  connectRole,
} from "./connect.js";
export { loadReaderGroup, openReaderGroupKey, writeReaderGroup } from "./reader-group.js";
export {
  redactSecrets,
  registerSecret,
  registerUrlSecrets,
  registeredSecrets,
  clearRegisteredSecrets,
} from "./redact.js";
