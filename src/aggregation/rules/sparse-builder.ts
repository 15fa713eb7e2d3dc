/** Output collection shared by the rules: sparse, canonical (no zero entries), in index order. */
import type { SparseUpdate } from "../../sparse/types.js";

/** Collects the output coordinates; zero results are dropped so the output stays canonical. */
export class SparseBuilder {
  private readonly indices: Uint32Array;
  private readonly values: Int32Array;
  private count = 0;

  /** A builder for at most min(sent entries, d) coordinates: the output never has more. */
  constructor(
    private readonly dimension: number,
    updates: readonly SparseUpdate[],
  ) {
    let total = 0;
    for (const update of updates) total += update.indices.length;
    const capacity = Math.min(total, dimension);
    this.indices = new Uint32Array(capacity);
    this.values = new Int32Array(capacity);
  }

  push(index: number, value: number): void {
    if (value === 0) return;
    this.indices[this.count] = index;
    this.values[this.count] = value;
    this.count++;
  }

  build(): SparseUpdate {
    return {
      dimension: this.dimension,
      indices: this.indices.slice(0, this.count),
      values: this.values.slice(0, this.count),
    };
  }
}

/** Whether a value is a safe, non-negative integer (a count or a trim). */
export function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
