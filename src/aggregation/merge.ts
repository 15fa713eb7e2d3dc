/**
 * Walks the union of coordinates of many sparse updates in increasing order, without ever touching a
 * coordinate that nobody sent: a k-way merge over the sorted index lists with a binary min-heap, so the
 * cost is O(N log n) for N non-zeros over n updates, independent of the dimension.
 */
import type { SparseUpdate } from "../sparse/types.js";

/**
 * Called once per coordinate that at least one update sent. `values[0..count)` are the explicit values at
 * `index` and `ordinals[0..count)` the positions (in the `updates` array) of the updates that sent them,
 * in increasing ordinal order. The buffers are reused between calls.
 */
export type CoordinateVisitor = (
  index: number,
  count: number,
  values: Int32Array,
  ordinals: Uint32Array,
) => void;

export function forEachSentCoordinate(updates: readonly SparseUpdate[], visit: CoordinateVisitor): void {
  const n = updates.length;
  const cursors = new Uint32Array(n);
  // Heap of update ordinals ordered by (current index, ordinal); ties by ordinal keep visits deterministic.
  const heap = new Uint32Array(n);
  const heads = new Float64Array(n);
  let size = 0;

  const less = (a: number, b: number): boolean => {
    const ha = heads[a]!;
    const hb = heads[b]!;
    return ha < hb || (ha === hb && a < b);
  };
  const siftUp = (start: number): void => {
    let i = start;
    const item = heap[i]!;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent]!;
      if (!less(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  };
  const siftDown = (start: number): void => {
    let i = start;
    const item = heap[i]!;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= size) break;
      const right = left + 1;
      let child = left;
      if (right < size && less(heap[right]!, heap[left]!)) child = right;
      const c = heap[child]!;
      if (!less(c, item)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = item;
  };

  for (let ordinal = 0; ordinal < n; ordinal++) {
    const update = updates[ordinal]!;
    if (update.indices.length === 0) continue;
    heads[ordinal] = update.indices[0]!;
    heap[size] = ordinal;
    size++;
    siftUp(size - 1);
  }

  const values = new Int32Array(n);
  const ordinals = new Uint32Array(n);
  while (size > 0) {
    const index = heads[heap[0]!]!;
    let count = 0;
    while (size > 0 && heads[heap[0]!] === index) {
      const ordinal = heap[0]!;
      const update = updates[ordinal]!;
      const cursor = cursors[ordinal]!;
      values[count] = update.values[cursor]!;
      ordinals[count] = ordinal;
      count++;
      const next = cursor + 1;
      cursors[ordinal] = next;
      if (next < update.indices.length) {
        heads[ordinal] = update.indices[next]!;
      } else {
        size--;
        heap[0] = heap[size]!;
      }
      if (size > 0) siftDown(0);
    }
    visit(index, count, values, ordinals);
  }
}
