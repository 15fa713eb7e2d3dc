import { SealError, type UpdateContext } from "./types.js";

/** Byte helpers shared by both envelope versions: one definition of the context every key binds to. */
export const KEY_BYTES = 32;

export function checkKey(key: Uint8Array, what: string): void {
  if (!(key instanceof Uint8Array) || key.length !== KEY_BYTES) {
    throw new SealError("invalid-input", `${what} must be ${KEY_BYTES} bytes`);
  }
}

export function addressBytes(address: string, what: string): Uint8Array {
  if (typeof address !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(address)) {
    throw new SealError(
      "invalid-input",
      `${what} must be a 0x-prefixed 20-byte address, got "${String(address)}"`,
    );
  }
  return Uint8Array.from(Buffer.from(address.slice(2), "hex"));
}

export function contextBytes(context: UpdateContext): Uint8Array {
  const { task, round, member } = context;
  for (const [name, v] of [
    ["task", task],
    ["round", round],
  ] as const) {
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) {
      throw new SealError("invalid-input", `context.${name} must be a uint32, got ${v}`);
    }
  }
  const out = new Uint8Array(28);
  const view = new DataView(out.buffer);
  view.setUint32(0, task);
  view.setUint32(4, round);
  out.set(addressBytes(member, "context.member"), 8);
  return out;
}

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a).equals(Buffer.from(b));
}
