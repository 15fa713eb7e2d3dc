import { randomBytes } from "node:crypto";
import { BN254_SCALAR_FIELD } from "./field.js";

/** A uniformly random field element (rejection sampling over 254-bit candidates, so no modulo bias). */
export function randomSalt(): bigint {
  const mask = (1n << 254n) - 1n;
  for (;;) {
    const candidate = BigInt(`0x${randomBytes(32).toString("hex")}`) & mask;
    if (candidate < BN254_SCALAR_FIELD) return candidate;
  }
}
