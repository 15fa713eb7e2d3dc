/**
 * Seeded pseudo-random numbers for everything the learning code draws: initial weights, shuffles,
 * partitions, generated data. TF.js's own seeded initialisers depend on the backend; drawing in plain
 * JavaScript and uploading the result makes a run reproducible on every backend.
 */

/** A deterministic generator: same seed, same sequence, on every platform. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [0, n). */
  int(n: number): number;
  /** Standard normal (Box–Muller). */
  normal(): number;
  /** Gamma(shape, 1) (Marsaglia–Tsang), shape > 0. */
  gamma(shape: number): number;
  /** A fresh generator whose stream is independent of this one's (for sub-tasks). */
  fork(label: number): Rng;
}

export class InvalidSeedError extends Error {
  readonly code = "invalid-seed";
  constructor(seed: unknown) {
    super(`seed must be a safe integer, got ${String(seed)}`);
    this.name = "InvalidSeedError";
  }
}

/** splitmix32 mixing step: spreads nearby seeds (0, 1, 2, ...) over the whole state space. */
function mix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** sfc32 seeded through splitmix32; plenty for simulation and initialisation (not for keys). */
export function createRng(seed: number): Rng {
  if (!Number.isSafeInteger(seed)) throw new InvalidSeedError(seed);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 2 ** 32) >>> 0;
  let a = mix32(lo);
  let b = mix32(a ^ hi);
  let c = mix32(b + 1);
  let d = 1;
  const nextU32 = (): number => {
    const t = (((a + b) | 0) + d) | 0;
    d = (d + 1) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 12; i++) nextU32();
  let spareNormal: number | undefined;
  const rng: Rng = {
    next: () => nextU32() / 4294967296,
    int: (n) => Math.floor((nextU32() / 4294967296) * n),
    normal: () => {
      if (spareNormal !== undefined) {
        const value = spareNormal;
        spareNormal = undefined;
        return value;
      }
      let u = 0;
      while (u === 0) u = rng.next();
      const v = rng.next();
      const radius = Math.sqrt(-2 * Math.log(u));
      spareNormal = radius * Math.sin(2 * Math.PI * v);
      return radius * Math.cos(2 * Math.PI * v);
    },
    gamma: (shape) => {
      if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
      if (shape < 1) {
        // Boost to shape + 1 and scale back (Marsaglia–Tsang's trick for small shapes).
        const u = rng.next() || Number.MIN_VALUE;
        return rng.gamma(shape + 1) * Math.pow(u, 1 / shape);
      }
      const d3 = shape - 1 / 3;
      const c3 = 1 / Math.sqrt(9 * d3);
      for (;;) {
        let x: number;
        let v: number;
        do {
          x = rng.normal();
          v = 1 + c3 * x;
        } while (v <= 0);
        v = v * v * v;
        const u = rng.next();
        if (u < 1 - 0.0331 * x ** 4) return d3 * v;
        if (Math.log(u) < 0.5 * x * x + d3 * (1 - v + Math.log(v))) return d3 * v;
      }
    },
    fork: (label) => createRng(mix32(nextU32() ^ mix32(label))),
  };
  return rng;
}

/** Fisher–Yates shuffle of a copy. */
export function shuffled<T>({ items, rng }: { items: readonly T[]; rng: Rng }): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i] as T;
    out[i] = out[j] as T;
    out[j] = tmp;
  }
  return out;
}

/** A permutation of 0..n-1. */
export function permutation({ n, rng }: { n: number; rng: Rng }): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = i;
  for (let i = n - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = out[i] as number;
    out[i] = out[j] as number;
    out[j] = tmp;
  }
  return out;
}

/** A draw from a symmetric Dirichlet(alpha) over `size` categories. */
export function dirichlet({ alpha, size, rng }: { alpha: number; size: number; rng: Rng }): Float64Array {
  const out = new Float64Array(size);
  let total = 0;
  for (let i = 0; i < size; i++) {
    out[i] = rng.gamma(alpha);
    total += out[i] as number;
  }
  for (let i = 0; i < size; i++) out[i] = (out[i] as number) / total;
  return out;
}
