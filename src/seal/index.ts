export {
  SealError,
  type ReaderKeyPair,
  type SealErrorCode,
  type SealOpener,
  type SealRecipient,
} from "./types.js";
export {
  MAX_READERS,
  SEAL_VERSION,
  generateReaderKeyPair,
  inspectEnvelope,
  openPayload,
  readerPublicKey,
  sealPayload,
  type EnvelopeInfo,
} from "./envelope.js";
