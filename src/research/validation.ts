/**
 * Validation splits for choosing settings without looking at the test set: every member holds out a
 * stratified part of its own training rows (so a split never moves rows between members), and the
 * held-out parts together are the validation rows.
 */
import { selectRows, stratifiedSplit, type LabelledData } from "../learning/index.js";
import { ResearchError } from "./errors.js";
import type { ValidationSplit } from "./types.js";

/** The rows of several data sets of the same shape, one after the other. */
function concatRows(parts: readonly LabelledData[]): LabelledData {
  const first = parts[0]!;
  const rows = parts.reduce((n, p) => n + p.rows, 0);
  const features = new Float32Array(parts.reduce((n, p) => n + p.features.length, 0));
  const labels = new Uint8Array(rows);
  let offset = 0;
  let row = 0;
  for (const part of parts) {
    features.set(part.features, offset);
    labels.set(part.labels, row);
    offset += part.features.length;
    row += part.rows;
  }
  return { ...first, rows, features, labels };
}

/**
 * Splits each member's rows: a stratified `fraction` (per member, per class, seeded) is held out, the rest
 * stays the member's training data. Deterministic for the seed.
 */
export function holdOutValidation({
  members,
  fraction,
  seed,
}: {
  members: readonly LabelledData[];
  fraction: number;
  seed: number;
}): ValidationSplit {
  if (members.length === 0)
    throw new ResearchError("no-members", "a validation split needs at least one member");
  if (!(fraction > 0 && fraction < 1))
    throw new ResearchError("bad-split", `fraction must be in (0, 1), got ${String(fraction)}`);
  if (!Number.isSafeInteger(seed))
    throw new ResearchError("bad-seed", `seed must be a safe integer, got ${String(seed)}`);
  const kept: LabelledData[] = [];
  const held: LabelledData[] = [];
  members.forEach((data, m) => {
    if (data.rows === 0) {
      kept.push(data);
      return;
    }
    const split = stratifiedSplit({ labels: data.labels, testFraction: fraction, seed: seed + m });
    kept.push(selectRows({ data, rows: split.train }));
    held.push(selectRows({ data, rows: split.test }));
  });
  return { members: kept, validation: concatRows(held) };
}
