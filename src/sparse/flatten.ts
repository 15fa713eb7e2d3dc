import { SparseInputError } from "./errors.js";

/** One named parameter tensor of a model, values in row-major order. */
export interface NamedTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly values: Float32Array;
}

/** Where one tensor lives inside the flattened vector. */
export interface LayoutEntry {
  readonly name: string;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly size: number;
}

export interface FlattenedParams {
  readonly vector: Float32Array;
  readonly layout: readonly LayoutEntry[];
}

const utf8 = new TextEncoder();

/** Byte-wise order of UTF-8 names: independent of locale and of JavaScript's UTF-16 code units. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(utf8.encode(a), utf8.encode(b));
}

function shapeSize(name: string, shape: readonly number[]): number {
  let size = 1;
  for (const extent of shape) {
    if (!Number.isSafeInteger(extent) || extent < 0) {
      throw new SparseInputError(
        "invalid-tensor",
        `tensor "${name}" has shape [${shape.join(", ")}]: extents must be non-negative integers`,
      );
    }
    size *= extent;
  }
  if (!Number.isSafeInteger(size) || size > 0xffffffff) {
    throw new SparseInputError("invalid-tensor", `tensor "${name}" has too many elements (${size})`);
  }
  return size;
}

/**
 * Flattens a model's parameters into one vector in a canonical order (tensor names sorted byte-wise),
 * so that every member and the aggregator agree on what coordinate `i` of dimension `d` means,
 * whatever order their training framework lists the layers in.
 */
export function flattenParams({ tensors }: { tensors: readonly NamedTensor[] }): FlattenedParams {
  const seen = new Set<string>();
  for (const tensor of tensors) {
    if (seen.has(tensor.name)) {
      throw new SparseInputError("invalid-tensor", `tensor name "${tensor.name}" appears more than once`);
    }
    seen.add(tensor.name);
    const size = shapeSize(tensor.name, tensor.shape);
    if (!(tensor.values instanceof Float32Array) || tensor.values.length !== size) {
      throw new SparseInputError(
        "invalid-tensor",
        `tensor "${tensor.name}" has shape [${tensor.shape.join(", ")}] (${size} elements) but ${
          tensor.values instanceof Float32Array ? tensor.values.length : "no Float32Array of"
        } values`,
      );
    }
  }
  const ordered = [...tensors].sort((a, b) => compareNames(a.name, b.name));
  const total = ordered.reduce((sum, t) => sum + t.values.length, 0);
  if (total > 0xffffffff) {
    throw new SparseInputError("invalid-tensor", `model has ${total} parameters, more than 2^32 - 1`);
  }
  const vector = new Float32Array(total);
  const layout: LayoutEntry[] = [];
  let offset = 0;
  for (const tensor of ordered) {
    vector.set(tensor.values, offset);
    layout.push({ name: tensor.name, shape: [...tensor.shape], offset, size: tensor.values.length });
    offset += tensor.values.length;
  }
  return { vector, layout };
}

/** Inverse of {@link flattenParams}: cuts the vector back into tensors, in layout order. */
export function unflattenParams({
  vector,
  layout,
}: {
  vector: Float32Array;
  layout: readonly LayoutEntry[];
}): NamedTensor[] {
  let expectedOffset = 0;
  const tensors: NamedTensor[] = [];
  for (const entry of layout) {
    const size = shapeSize(entry.name, entry.shape);
    if (entry.size !== size || entry.offset !== expectedOffset) {
      throw new SparseInputError(
        "invalid-layout",
        `layout entry "${entry.name}" at offset ${entry.offset} size ${entry.size} does not follow the previous ` +
          `entry (expected offset ${expectedOffset}, size ${size} from its shape)`,
      );
    }
    tensors.push({
      name: entry.name,
      shape: [...entry.shape],
      values: vector.slice(entry.offset, entry.offset + size),
    });
    expectedOffset += size;
  }
  if (expectedOffset !== vector.length) {
    throw new SparseInputError(
      "invalid-layout",
      `layout covers ${expectedOffset} coordinates but the vector has ${vector.length}`,
    );
  }
  return tensors;
}
