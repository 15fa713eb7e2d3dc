/**
 * The per-slot rules of the update-bounds circuit (template ChunkSlots) driven with entry parts a cheating
 * prover chooses. UpdateBounds decodes each entry into (index, offset value) by witness hints, which a
 * prover is free to replace: only ChunkSlots's constraints stand between another decoding of the same
 * entry and the proof. Here the parts are inputs of a harness main, so the witness generator checks exactly
 * those constraints against every alternative decoding an attacker could pick.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { BN254_SCALAR_FIELD } from "../../src/zk/index.js";
import { compileCircuit } from "../../src/zk/setup/index.js";
import { computeWitness, failsAt } from "./helpers.js";

const p = BN254_SCALAR_FIELD;
const K = 4;
const IDX_BITS = 12;
const VAL_BITS = 16;
const SHIFT = 1n << BigInt(VAL_BITS);
const D = 1000n;
const L_INF = 2000n;
const mod = (x: bigint): bigint => ((x % p) + p) % p;
const power = (base: bigint, exp: bigint): bigint => {
  let result = 1n;
  let b = mod(base);
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % p;
    b = (b * b) % p;
  }
  return result;
};
/** 2^-VAL_BITS in the field: the index part of an entry under a chosen offset is (entry - offset) / 2^VAL_BITS. */
const SHIFT_INVERSE = power(SHIFT, p - 2n);

interface Slot {
  entry: bigint;
  active: bigint;
  idx: bigint;
  offset: bigint;
}

/** The honest decoding of (index, value). */
const honestSlot = (index: number, value: number): Slot => {
  const offset = BigInt(value) + L_INF;
  return { entry: BigInt(index) * SHIFT + offset, active: 1n, idx: BigInt(index), offset };
};
const emptySlot = (): Slot => ({ entry: 0n, active: 0n, idx: 0n, offset: 0n });
/** Another decoding of the same entry: any offset, and the index part the entry then forces. */
const decodedWith = (slot: Slot, offset: bigint): Slot => ({
  ...slot,
  offset: mod(offset),
  idx: mod((slot.entry - offset) * SHIFT_INVERSE),
});

const input = (slots: readonly Slot[], nextStart = 0n) => ({
  entries: slots.map((s) => mod(s.entry).toString()),
  active: slots.map((s) => s.active.toString()),
  idx: slots.map((s) => mod(s.idx).toString()),
  offset: slots.map((s) => mod(s.offset).toString()),
  d: D.toString(),
  lInf: L_INF.toString(),
  nextStart: nextStart.toString(),
});

describe("UpdateBounds circuit: an entry decodes one way only (ChunkSlots with prover-chosen parts)", function () {
  let scratch: string;
  let wasmPath: string;

  before(async function () {
    scratch = await mkdtemp(join(tmpdir(), "cfl-slots-"));
    const mainPath = join(scratch, "slots.circom");
    await writeFile(
      mainPath,
      `pragma circom 2.1.0;\ninclude "update_bounds.circom";\ncomponent main = ChunkSlots(${K}, ${IDX_BITS}, ${VAL_BITS});\n`,
    );
    await compileCircuit({ mainPath, outDir: scratch });
    wasmPath = join(scratch, "slots_js", "slots.wasm");
  });

  after(async function () {
    if (scratch !== undefined) await rm(scratch, { recursive: true, force: true });
  });

  const honest = (): Slot[] => [honestSlot(3, -5), honestSlot(40, 1999), honestSlot(999, -2000), emptySlot()];

  async function rejected(slots: readonly Slot[], marker: string, nextStart?: bigint): Promise<void> {
    const result = await computeWitness(input(slots, nextStart), wasmPath);
    expect(result.ok, "the witness should break a constraint").to.equal(false);
    if (!result.ok) expect(failsAt(result.error, marker), result.error).to.equal(true);
  }

  it("accepts the honest decoding and sums what it decodes (count, squares with lInf^2 per empty slot, next)", async function () {
    const result = await computeWitness(input(honest()), wasmPath);
    expect(result.ok ? "ok" : result.error).to.equal("ok");
    if (!result.ok) return;
    // Witness layout: the constant 1, then the main component's outputs in declaration order.
    const [, count, sumSquares, nextEnd] = result.witness;
    expect(count).to.equal(3n);
    expect(sumSquares).to.equal(25n + 1999n ** 2n + 2000n ** 2n + L_INF ** 2n);
    expect(nextEnd).to.equal(1000n);
  });

  it("rejects moving one unit of index into the offset or back (the offset leaves its VAL_BITS bits)", async function () {
    for (const shift of [SHIFT, -SHIFT]) {
      const slots = honest();
      slots[1] = { ...slots[1]!, idx: slots[1]!.idx - shift / SHIFT, offset: slots[1]!.offset + shift };
      expect(mod(slots[1].idx * SHIFT + slots[1].offset)).to.equal(slots[1].entry); // same entry
      await rejected(slots, "offsetFits[i].in <==");
    }
  });

  it("rejects any in-range offset other than the entry's own: the index it forces is a huge field element", async function () {
    // Offsets that pass both value checks, so the index is what must fail: a value of 0 (offset lInf) would
    // drop this entry's square from the L2 sum; -lInf and +lInf would move it.
    for (const offset of [L_INF, 0n, 2n * L_INF]) {
      const middle = honest();
      middle[1] = decodedWith(middle[1]!, offset);
      expect(middle[1].idx > 1n << 200n, "the forced index is not small").to.equal(true);
      await rejected(middle, "gapFits[i].in <==");
      // The first slot's forced index cannot follow nextStart either.
      const first = honest();
      first[0] = decodedWith(first[0]!, offset);
      await rejected(first, "firstGapFits.in <==");
    }
    // An offset above 2 lInf fails the value check first, whatever index it forces.
    const wide = honest();
    wide[1] = decodedWith(wide[1]!, SHIFT - 1n);
    await rejected(wide, "valueFits[i].in <==");
  });

  it("rejects an empty slot decoded as anything but (0, 0): it would add another square than lInf^2", async function () {
    // Offset lInf (value 0) would make the empty slot add 0 instead of the lInf^2 the chunk subtracts.
    for (const offset of [L_INF, 1n, 2n * L_INF]) {
      const slots = honest();
      slots[3] = decodedWith(slots[3]!, offset);
      await rejected(slots, "gapFits[i].in <==");
    }
    const slots = honest();
    slots[3] = { ...slots[3]!, idx: -1n, offset: SHIFT };
    await rejected(slots, "offsetFits[i].in <==");
  });

  it("rejects the honest parts of another entry (the parts must recompose the entry)", async function () {
    const slots = honest();
    slots[1] = { ...slots[1]!, idx: 41n };
    await rejected(slots, "entries[i] === idx[i] * (1 << VAL_BITS) + offset[i];");
  });
});
