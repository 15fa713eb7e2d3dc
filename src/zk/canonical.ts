import { keccak256, toUtf8Bytes } from "ethers";

/** JSON with object keys sorted at every level and no whitespace: one byte string per value. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return Object.fromEntries(entries.map(([k, v]) => [k, sortKeys(v)]));
  }
  return value;
}

/** The verifying-key hash a task policy records: keccak256 of the canonical vkey JSON, 0x-prefixed. */
export function vkeyHash(vkey: Record<string, unknown>): string {
  return keccak256(toUtf8Bytes(canonicalJson(vkey)));
}
