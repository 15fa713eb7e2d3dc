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
export {
  GROUP_SEAL_OVERHEAD_BYTES,
  GROUP_SEAL_VERSION,
  createReaderGroup,
  groupPublicKeyHex,
  inspectGroupEnvelope,
  openFromGroup,
  openReaderGroup,
  sealToGroup,
  type GroupEnvelopeInfo,
  type ReaderGroupBundle,
} from "./group.js";
