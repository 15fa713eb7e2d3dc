import { readKeyFile } from "./setup/keyfile.js";
import { verifyingKeyHash, verifyingKeyWords } from "./verifying-key.js";

/**
 * A verifying key as governance registers it (IVerifyingKeyRegistry.register): the key words, the circuit
 * shape they belong to, whether the key is development-only, and the hash a task policy pins.
 */
export interface RegistrableKey {
  readonly words: readonly bigint[];
  readonly shape: { maxEntries: number; indexBits: number; valueBits: number };
  readonly developmentOnly: boolean;
  readonly keyHash: string;
}

/**
 * The committed development key of a circuit instance (circuits/keys/<instance>.vk.json, generated and
 * drift-checked by `npm run zk:setup`); the file's hash is checked against its words when it is read.
 */
export async function committedDevelopmentKey({ instance }: { instance: string }): Promise<RegistrableKey> {
  const { words, shape, developmentOnly, keyHash } = await readKeyFile({ instance });
  return { words, shape, developmentOnly, keyHash };
}

/** A key from a snarkjs verifying-key JSON (for example a ceremony's final key) and its circuit shape. */
export function registrableKey({
  vkey,
  shape,
  developmentOnly,
}: {
  vkey: Record<string, unknown>;
  shape: RegistrableKey["shape"];
  developmentOnly: boolean;
}): RegistrableKey {
  const words = verifyingKeyWords(vkey);
  return { words, shape, developmentOnly, keyHash: verifyingKeyHash(words) };
}
