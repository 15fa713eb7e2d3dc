/** Member addresses as aggregation keys them. */
import { AggregationError } from "./errors.js";

const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/** Lower-cases a member address after checking its shape. */
export function normalizeMember(member: unknown): string {
  if (typeof member !== "string" || !ADDRESS.test(member)) {
    throw new AggregationError(
      "bad-member",
      `member must be a 0x-prefixed 20-byte hex address, got ${String(member)}`,
    );
  }
  return member.toLowerCase();
}
