import { readFile, writeFile } from "node:fs/promises";
import { getAddress } from "ethers";
import { z } from "zod";
import { openReaderGroup, SealError, type ReaderGroupBundle } from "../seal/index.js";
import type { ReaderGroupKey, ReaderKey } from "../roles/index.js";
import { registerSecret } from "./redact.js";
import { ConfigError } from "./types.js";

const bundleSchema = z.strictObject({
  format: z.literal("circular-fl/reader-group/v1"),
  publicKey: z.string().regex(/^0x[0-9a-fA-F]{64}$/, "must be a 0x-prefixed 32-byte key"),
  sealedSecret: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, "must be base64"),
  dealer: z.string().regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed address"),
});

/** A reader-group bundle from its JSON file, checked for shape (its secret is checked when opened). */
export async function loadReaderGroup({ path }: { path: string }): Promise<ReaderGroupBundle> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (error) {
    throw new ConfigError("bad-reader-group", `readerGroupFile: cannot read ${path} as JSON`, {
      cause: error,
    });
  }
  const parsed = bundleSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map(
      (i) => `${i.path.map(String).join(".") || "(file)"}: ${i.message}`,
    );
    throw new ConfigError(
      "bad-reader-group",
      `readerGroupFile ${path} is not a reader-group bundle: ${problems.join("; ")}`,
    );
  }
  return { ...parsed.data, dealer: getAddress(parsed.data.dealer) };
}

/** Writes a bundle as JSON; refuses to replace an existing file (readers may be using it). */
export async function writeReaderGroup({
  path,
  bundle,
}: {
  path: string;
  bundle: ReaderGroupBundle;
}): Promise<void> {
  try {
    await writeFile(path, JSON.stringify(bundle, null, 2) + "\n", { flag: "wx" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") {
      throw new ConfigError("bad-reader-group", `${path} exists already; refusing to replace a reader group`);
    }
    throw error;
  }
}

/**
 * Opens the bundle with this reader's own key and checks the group secret against the reader key the
 * chain pins (`expectedPublicKey`, the task policy's `readerKey`): a reader never reads with a group key
 * the consortium did not agree to. Every failure is one ConfigError naming the file.
 */
export function openReaderGroupKey({
  bundle,
  path,
  reader,
  expectedPublicKey,
  pinnedBy,
}: {
  bundle: ReaderGroupBundle;
  path: string;
  reader: ReaderKey;
  expectedPublicKey: string;
  /** Who pins `expectedPublicKey`, for the message (e.g. "task 1's policy v2"). */
  pinnedBy: string;
}): ReaderGroupKey {
  if (bundle.publicKey.toLowerCase() !== expectedPublicKey.toLowerCase()) {
    throw new ConfigError(
      "bad-reader-group",
      `readerGroupFile ${path} is the reader group ${bundle.publicKey}, but ${pinnedBy} pins readerKey ${expectedPublicKey}`,
    );
  }
  let secretKey: Uint8Array;
  try {
    secretKey = openReaderGroup({
      bundle,
      reader: { id: reader.id, secretKey: reader.secretKey },
      expectedPublicKey,
    });
  } catch (error) {
    // The secret inside does not belong to the public key the bundle names: a dealer's mistake or worse.
    if (error instanceof SealError && / pins /.test(error.message)) {
      throw new ConfigError("bad-reader-group", `readerGroupFile ${path}: ${error.message}`);
    }
    if (error instanceof SealError) {
      throw new ConfigError(
        "bad-reader-group",
        `readerGroupFile ${path} cannot be opened with the key of ${reader.id}: it is not one of the group's readers (${error.message})`,
      );
    }
    throw error;
  }
  registerSecret(Buffer.from(secretKey).toString("hex"));
  return { reader: reader.id, secretKey };
}
