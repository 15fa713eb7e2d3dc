/**
 * Federated dictionary learning over masked observations. The atoms are shared; each member's sparse
 * codes (FISTA with an L1 penalty, over the coordinates it observes) never leave it.
 *
 * The atom update is the method of optimal directions made federated: with codes fixed, the loss
 * Σ‖mask ⊙ (x − Dz)‖² splits into one least-squares problem per feature j over the rows that observe
 * j, whose normal equations need only A_j = Σ z zᵀ and b_j = Σ x_j z over those rows. Members send
 * those sums (K×K and K per observed feature, aggregates over all their rows) and the coordinator
 * adds them; so federated training computes what centralised training on the pooled rows would,
 * without pooling. Plain Float64 arithmetic: the problem is small and exactness matters more here.
 */
import { createRng, type Rng } from "../data/rng.js";
import { ResearchError } from "./errors.js";
import type {
  Dictionary,
  DictionaryLearningOptions,
  DictionaryRunResult,
  DictionaryStatistics,
  MaskedObservations,
} from "./types.js";

function featuresOf(member: MaskedObservations): number {
  if (member.rows === 0) return member.mask.length;
  const width = member.values.length / member.rows;
  if (!Number.isInteger(width))
    throw new ResearchError("bad-observations", "values length is not a multiple of rows");
  if (member.mask.length !== width && member.mask.length !== width * member.rows) {
    throw new ResearchError(
      "bad-observations",
      `mask must have ${width} or ${width * member.rows} entries, has ${member.mask.length}`,
    );
  }
  return width;
}

function rowMask(member: MaskedObservations, row: number, features: number): Uint8Array {
  return member.mask.length === features
    ? member.mask
    : member.mask.subarray(row * features, (row + 1) * features);
}

function normaliseAtoms(dictionary: Dictionary, rng: Rng, supports?: readonly Uint8Array[]): void {
  const { atoms, features, values } = dictionary;
  for (let k = 0; k < atoms; k++) {
    let norm = 0;
    for (let j = 0; j < features; j++) norm += (values[k * features + j] as number) ** 2;
    if (norm < 1e-12) {
      // An unused atom is re-drawn at random (inside its support) rather than left dead.
      const support =
        supports !== undefined && supports.length > 0 ? supports[k % supports.length] : undefined;
      for (let j = 0; j < features; j++)
        values[k * features + j] = support === undefined || support[j] === 1 ? rng.normal() : 0;
      norm = 0;
      for (let j = 0; j < features; j++) norm += (values[k * features + j] as number) ** 2;
    }
    const scale = 1 / Math.sqrt(norm);
    for (let j = 0; j < features; j++)
      values[k * features + j] = (values[k * features + j] as number) * scale;
  }
}

export function randomDictionary({
  atoms,
  features,
  seed,
}: {
  atoms: number;
  features: number;
  seed: number;
}): Dictionary {
  const rng = createRng(seed);
  const values = new Float64Array(atoms * features);
  for (let i = 0; i < values.length; i++) values[i] = rng.normal();
  const dictionary = { atoms, features, values };
  normaliseAtoms(dictionary, rng);
  return dictionary;
}

/**
 * Random atoms each supported on one of the given observation masks (atom k on mask k mod count).
 * Masks are the consortium's public schema (which entity measures which features), not data: starting
 * every atom inside one observer's view keeps atoms from mixing parts that no row ever sees together,
 * which the data cannot tell apart.
 */
export function maskedRandomDictionary({
  atoms,
  masks,
  seed,
}: {
  atoms: number;
  masks: readonly Uint8Array[];
  seed: number;
}): Dictionary {
  const first = masks[0];
  if (first === undefined) throw new ResearchError("bad-options", "need at least one mask");
  const features = first.length;
  const rng = createRng(seed);
  const values = new Float64Array(atoms * features);
  for (let k = 0; k < atoms; k++) {
    const mask = masks[k % masks.length] as Uint8Array;
    for (let j = 0; j < features; j++) if (mask[j] === 1) values[k * features + j] = rng.normal();
  }
  const dictionary = { atoms, features, values };
  normaliseAtoms(dictionary, rng);
  return dictionary;
}

/**
 * An upper bound on the largest eigenvalue of G = D_M D_Mᵀ (K×K): the smaller of the largest absolute
 * row sum (Gershgorin) and the trace. FISTA converges with any step up to 1/λmax; an estimate from
 * below (power iteration from an unlucky start) can make it diverge.
 */
function lipschitz(gram: Float64Array, k: number): number {
  let rowBound = 0;
  let trace = 0;
  for (let a = 0; a < k; a++) {
    let sum = 0;
    for (let b = 0; b < k; b++) sum += Math.abs(gram[a * k + b] as number);
    rowBound = Math.max(rowBound, sum);
    trace += gram[a * k + a] as number;
  }
  return Math.min(rowBound, trace);
}

interface MaskedCoder {
  readonly gram: Float64Array;
  readonly step: number;
}

function coderFor(dictionary: Dictionary, mask: Uint8Array): MaskedCoder {
  const { atoms: k, features, values } = dictionary;
  const gram = new Float64Array(k * k);
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      let s = 0;
      for (let j = 0; j < features; j++)
        if (mask[j] === 1) s += (values[a * features + j] as number) * (values[b * features + j] as number);
      gram[a * k + b] = s;
      gram[b * k + a] = s;
    }
  }
  return { gram, step: 1 / Math.max(lipschitz(gram, k), 1e-9) };
}

/**
 * FISTA for min_z ½‖mask ⊙ (x − Dᵀz)‖² + λ‖z‖₁ (optionally z ≥ 0). Works in code space: the gradient
 * is G z − D_M x, with G and D_M x computed once per row.
 */
export function sparseCode({
  dictionary,
  x,
  mask,
  lambda,
  iterations = 100,
  nonNegative = false,
  coder,
}: {
  dictionary: Dictionary;
  x: ArrayLike<number>;
  mask: Uint8Array;
  lambda: number;
  iterations?: number;
  nonNegative?: boolean;
  coder?: MaskedCoder;
}): Float64Array {
  const { atoms: k, features, values } = dictionary;
  const { gram, step } = coder ?? coderFor(dictionary, mask);
  const correlation = new Float64Array(k);
  for (let a = 0; a < k; a++) {
    let s = 0;
    for (let j = 0; j < features; j++)
      if (mask[j] === 1) s += (values[a * features + j] as number) * (x[j] as number);
    correlation[a] = s;
  }
  let z = new Float64Array(k);
  const y = new Float64Array(k);
  let t = 1;
  const threshold = lambda * step;
  for (let it = 0; it < iterations; it++) {
    const next = new Float64Array(k);
    for (let a = 0; a < k; a++) {
      let grad = -(correlation[a] as number);
      for (let b = 0; b < k; b++) grad += (gram[a * k + b] as number) * (y[b] as number);
      const u = (y[a] as number) - step * grad;
      next[a] = nonNegative
        ? Math.max(0, u - threshold)
        : Math.sign(u) * Math.max(0, Math.abs(u) - threshold);
    }
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    const momentum = (t - 1) / tNext;
    for (let a = 0; a < k; a++)
      y[a] = (next[a] as number) + momentum * ((next[a] as number) - (z[a] as number));
    z = next;
    t = tNext;
  }
  return z;
}

/** A member's local step: code every row against the shared dictionary, return the sums. */
export function localStatistics({
  dictionary,
  member,
  lambda,
  codingIterations = 100,
  nonNegative = false,
}: {
  dictionary: Dictionary;
  member: MaskedObservations;
  lambda: number;
  codingIterations?: number;
  nonNegative?: boolean;
}): DictionaryStatistics {
  const { atoms: k, features, values } = dictionary;
  if (featuresOf(member) !== features) {
    throw new ResearchError(
      "bad-observations",
      `member data has ${featuresOf(member)} features, the dictionary ${features}`,
    );
  }
  const gram = new Float64Array(features * k * k);
  const cross = new Float64Array(features * k);
  let residual = 0;
  let energy = 0;
  const coders = new Map<string, MaskedCoder>();
  for (let r = 0; r < member.rows; r++) {
    const mask = rowMask(member, r, features);
    const key = member.mask.length === features ? "" : mask.join("");
    let coder = coders.get(key);
    if (coder === undefined) {
      coder = coderFor(dictionary, mask);
      coders.set(key, coder);
    }
    const x = member.values.subarray(r * features, (r + 1) * features);
    const z = sparseCode({ dictionary, x, mask, lambda, iterations: codingIterations, nonNegative, coder });
    for (let j = 0; j < features; j++) {
      if (mask[j] !== 1) continue;
      let reconstruction = 0;
      for (let a = 0; a < k; a++) reconstruction += (values[a * features + j] as number) * (z[a] as number);
      const xj = x[j] as number;
      residual += (xj - reconstruction) ** 2;
      energy += xj * xj;
      for (let a = 0; a < k; a++) {
        const za = z[a] as number;
        if (za === 0) continue;
        cross[j * k + a] = (cross[j * k + a] as number) + xj * za;
        for (let b = 0; b < k; b++)
          gram[(j * k + a) * k + b] = (gram[(j * k + a) * k + b] as number) + za * (z[b] as number);
      }
    }
  }
  return { gram, cross, residual, energy };
}

/** Solves (A + εI) d = b by Gaussian elimination with partial pivoting (K is small). */
function solveRidge(a: Float64Array, b: Float64Array, k: number, ridge: number): Float64Array {
  const m = Float64Array.from(a);
  const rhs = Float64Array.from(b);
  for (let i = 0; i < k; i++) m[i * k + i] = (m[i * k + i] as number) + ridge;
  for (let col = 0; col < k; col++) {
    let pivot = col;
    for (let r = col + 1; r < k; r++)
      if (Math.abs(m[r * k + col] as number) > Math.abs(m[pivot * k + col] as number)) pivot = r;
    if (pivot !== col) {
      for (let c = 0; c < k; c++) {
        const tmp = m[col * k + c] as number;
        m[col * k + c] = m[pivot * k + c] as number;
        m[pivot * k + c] = tmp;
      }
      const tmp = rhs[col] as number;
      rhs[col] = rhs[pivot] as number;
      rhs[pivot] = tmp;
    }
    const diagonal = m[col * k + col] as number;
    if (Math.abs(diagonal) < 1e-300) continue;
    for (let r = col + 1; r < k; r++) {
      const factor = (m[r * k + col] as number) / diagonal;
      if (factor === 0) continue;
      for (let c = col; c < k; c++)
        m[r * k + c] = (m[r * k + c] as number) - factor * (m[col * k + c] as number);
      rhs[r] = (rhs[r] as number) - factor * (rhs[col] as number);
    }
  }
  const out = new Float64Array(k);
  for (let r = k - 1; r >= 0; r--) {
    let s = rhs[r] as number;
    for (let c = r + 1; c < k; c++) s -= (m[r * k + c] as number) * (out[c] as number);
    out[r] = s / (m[r * k + r] as number);
  }
  return out;
}

/**
 * Runs federated dictionary learning: each round every member codes its rows and sends its sums;
 * the coordinator adds them, solves each feature's atom coordinates, and renormalises the atoms.
 * Centralised training is the same call with one member holding every row (with per-row masks).
 */
export function learnDictionary({
  members,
  options,
}: {
  members: readonly MaskedObservations[];
  options: DictionaryLearningOptions;
}): DictionaryRunResult {
  const first = members.find((m) => m.rows > 0);
  if (first === undefined) throw new ResearchError("bad-observations", "no member has any observation");
  if (!Number.isInteger(options.atoms) || options.atoms < 1)
    throw new ResearchError("bad-options", "atoms must be a positive integer");
  if (!(options.lambda >= 0)) throw new ResearchError("bad-options", "lambda must be non-negative");
  if (!Number.isInteger(options.rounds) || options.rounds < 1)
    throw new ResearchError("bad-options", "rounds must be a positive integer");
  const features = featuresOf(first);
  const k = options.atoms;
  const rng = createRng(options.seed);
  if (options.restarts !== undefined && options.restarts.count > 1) {
    const { count, rounds, initialise } = options.restarts;
    let best: DictionaryRunResult | undefined;
    for (let r = 0; r < count; r++) {
      const trial = learnDictionary({
        members,
        options: { ...options, restarts: undefined, rounds, initial: initialise(rng.int(2 ** 31)) },
      });
      if (
        best === undefined ||
        (trial.reconstructionError.at(-1) as number) < (best.reconstructionError.at(-1) as number)
      ) {
        best = trial;
      }
    }
    const continued = learnDictionary({
      members,
      options: { ...options, restarts: undefined, initial: (best as DictionaryRunResult).dictionary },
    });
    return {
      dictionary: continued.dictionary,
      reconstructionError: [
        ...(best as DictionaryRunResult).reconstructionError,
        ...continued.reconstructionError,
      ],
    };
  }
  const start = options.initial ?? randomDictionary({ atoms: k, features, seed: rng.int(2 ** 31) });
  if (start.atoms !== k || start.features !== features) {
    throw new ResearchError("bad-options", `initial dictionary must be ${k} atoms × ${features} features`);
  }
  const dictionary: Dictionary = { atoms: k, features, values: Float64Array.from(start.values) };
  const reconstructionError: number[] = [];
  // Keeps atoms of features nobody observes well-defined; small against sums over hundreds of rows.
  const ridge = 1e-6;
  for (let round = 0; round < options.rounds; round++) {
    const gram = new Float64Array(features * k * k);
    const cross = new Float64Array(features * k);
    let residual = 0;
    let energy = 0;
    for (const member of members) {
      if (member.rows === 0) continue;
      const stats = localStatistics({
        dictionary,
        member,
        lambda: options.lambda,
        codingIterations: options.codingIterations,
        nonNegative: options.nonNegative,
      });
      for (let i = 0; i < gram.length; i++) gram[i] = (gram[i] as number) + (stats.gram[i] as number);
      for (let i = 0; i < cross.length; i++) cross[i] = (cross[i] as number) + (stats.cross[i] as number);
      residual += stats.residual;
      energy += stats.energy;
    }
    reconstructionError.push(energy === 0 ? 0 : residual / energy);
    for (let j = 0; j < features; j++) {
      const column = solveRidge(
        gram.subarray(j * k * k, (j + 1) * k * k),
        cross.subarray(j * k, (j + 1) * k),
        k,
        ridge,
      );
      // A feature no row observed with any active code keeps no weight rather than a degenerate solve.
      const finite = column.every((v) => Number.isFinite(v));
      for (let a = 0; a < k; a++) dictionary.values[a * features + j] = finite ? (column[a] as number) : 0;
    }
    if (options.supports !== undefined && options.supports.length > 0) {
      for (let a = 0; a < k; a++) {
        const support = options.supports[a % options.supports.length] as Uint8Array;
        for (let j = 0; j < features; j++) if (support[j] !== 1) dictionary.values[a * features + j] = 0;
      }
    }
    const shrink = options.atomShrinkage ?? 0;
    if (shrink > 0) {
      // Relative to each atom's largest entry, so the threshold does not depend on the atom's scale.
      for (let a = 0; a < k; a++) {
        let largest = 0;
        for (let j = 0; j < features; j++)
          largest = Math.max(largest, Math.abs(dictionary.values[a * features + j] as number));
        const cut = shrink * largest;
        for (let j = 0; j < features; j++) {
          const v = dictionary.values[a * features + j] as number;
          dictionary.values[a * features + j] = Math.sign(v) * Math.max(0, Math.abs(v) - cut);
        }
      }
    }
    normaliseAtoms(dictionary, rng, options.supports);
  }
  return { dictionary, reconstructionError };
}

/** Relative reconstruction error of a dictionary on members' data (fresh codes). */
export function reconstructionError({
  dictionary,
  members,
  lambda,
  codingIterations,
  nonNegative,
}: {
  dictionary: Dictionary;
  members: readonly MaskedObservations[];
  lambda: number;
  codingIterations?: number;
  nonNegative?: boolean;
}): number {
  let residual = 0;
  let energy = 0;
  for (const member of members) {
    if (member.rows === 0) continue;
    const stats = localStatistics({ dictionary, member, lambda, codingIterations, nonNegative });
    residual += stats.residual;
    energy += stats.energy;
  }
  return energy === 0 ? 0 : residual / energy;
}

/**
 * Fraction of true atoms (rows of `truth`, atoms × features) matched by some learned atom with
 * |cosine| above `threshold`, and the mean best |cosine|.
 */
export function atomRecovery({
  learned,
  truth,
  trueAtoms,
  threshold = 0.9,
}: {
  learned: Dictionary;
  truth: ArrayLike<number>;
  trueAtoms: number;
  threshold?: number;
}): { recovered: number; fraction: number; meanBestCosine: number } {
  const features = learned.features;
  if (truth.length !== trueAtoms * features) {
    throw new ResearchError(
      "bad-truth",
      `truth must hold ${trueAtoms} × ${features} values, has ${truth.length}`,
    );
  }
  let recovered = 0;
  let cosineSum = 0;
  for (let t = 0; t < trueAtoms; t++) {
    let tNorm = 0;
    for (let j = 0; j < features; j++) tNorm += (truth[t * features + j] as number) ** 2;
    let best = 0;
    for (let a = 0; a < learned.atoms; a++) {
      let dot = 0;
      let aNorm = 0;
      for (let j = 0; j < features; j++) {
        const v = learned.values[a * features + j] as number;
        dot += v * (truth[t * features + j] as number);
        aNorm += v * v;
      }
      best = Math.max(best, Math.abs(dot) / Math.sqrt(tNorm * aNorm || 1));
    }
    if (best > threshold) recovered++;
    cosineSum += best;
  }
  return { recovered, fraction: recovered / trueAtoms, meanBestCosine: cosineSum / trueAtoms };
}

function atomUsage(stats: DictionaryStatistics, k: number, features: number): Float64Array {
  // Σ z_a² summed over features: how much each atom carries of what the member reconstructs.
  const usage = new Float64Array(k);
  for (let j = 0; j < features; j++)
    for (let a = 0; a < k; a++) usage[a] = (usage[a] as number) + (stats.gram[(j * k + a) * k + a] as number);
  return usage;
}

/**
 * A federated starting dictionary: every member learns a few atoms on its own rows (inside its own
 * view) and proposes them with how much it used them; the coordinator keeps the most used proposals
 * that are not near-duplicates (|cosine| ≤ 0.9) of one already kept, and fills any remaining slots
 * at random. Members share atoms — model parameters, like any federated update — never rows or codes.
 */
export function proposeAtoms({
  members,
  atoms,
  perMember,
  lambda,
  rounds = 10,
  seed,
}: {
  members: readonly MaskedObservations[];
  atoms: number;
  perMember: number;
  lambda: number;
  rounds?: number;
  seed: number;
}): Dictionary {
  const first = members.find((m) => m.rows > 0);
  if (first === undefined) throw new ResearchError("bad-observations", "no member has any observation");
  const features = featuresOf(first);
  const rng = createRng(seed);
  const candidates: { vector: Float64Array; usage: number }[] = [];
  for (const member of members) {
    if (member.rows === 0) continue;
    const masks = member.mask.length === features ? [member.mask] : [rowMask(member, 0, features)];
    const local = learnDictionary({
      members: [member],
      options: {
        atoms: perMember,
        lambda,
        rounds,
        seed: rng.int(2 ** 31),
        initial: maskedRandomDictionary({ atoms: perMember, masks, seed: rng.int(2 ** 31) }),
      },
    });
    const usage = atomUsage(
      localStatistics({ dictionary: local.dictionary, member, lambda }),
      perMember,
      features,
    );
    for (let a = 0; a < perMember; a++) {
      candidates.push({
        vector: local.dictionary.values.slice(a * features, (a + 1) * features),
        usage: usage[a] as number,
      });
    }
  }
  candidates.sort((x, y) => y.usage - x.usage);
  const kept: Float64Array[] = [];
  for (const candidate of candidates) {
    if (kept.length === atoms) break;
    const duplicate = kept.some((v) => {
      let dot = 0;
      for (let j = 0; j < features; j++) dot += (v[j] as number) * (candidate.vector[j] as number);
      return Math.abs(dot) > 0.9;
    });
    if (!duplicate && candidate.usage > 0) kept.push(candidate.vector);
  }
  const values = new Float64Array(atoms * features);
  kept.forEach((v, a) => values.set(v, a * features));
  for (let a = kept.length; a < atoms; a++)
    for (let j = 0; j < features; j++) values[a * features + j] = rng.normal();
  const dictionary = { atoms, features, values };
  normaliseAtoms(dictionary, rng);
  return dictionary;
}

/**
 * The usual centralised start: atoms set to randomly chosen observed rows (which a federation cannot
 * do, since rows never leave their member). For the centralised baseline on pooled data.
 */
export function atomsFromRows({
  member,
  atoms,
  seed,
}: {
  member: MaskedObservations;
  atoms: number;
  seed: number;
}): Dictionary {
  const features = featuresOf(member);
  if (member.rows < atoms)
    throw new ResearchError("bad-observations", `need at least ${atoms} rows, have ${member.rows}`);
  const rng = createRng(seed);
  const values = new Float64Array(atoms * features);
  const chosen = new Set<number>();
  let a = 0;
  for (let attempt = 0; a < atoms && attempt < 100 * atoms; attempt++) {
    const row = rng.int(member.rows);
    if (chosen.has(row)) continue;
    chosen.add(row);
    const x = member.values.subarray(row * features, (row + 1) * features);
    const mask = rowMask(member, row, features);
    for (let j = 0; j < features; j++) values[a * features + j] = mask[j] === 1 ? (x[j] as number) : 0;
    a++;
  }
  const dictionary = { atoms, features, values };
  normaliseAtoms(dictionary, rng);
  return dictionary;
}
