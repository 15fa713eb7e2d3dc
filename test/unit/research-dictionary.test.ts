import { expect } from "chai";
import { createRng } from "../../src/learning/index.js";
import {
  atomRecovery,
  atomsFromRows,
  learnDictionary,
  maskedRandomDictionary,
  proposeAtoms,
  reconstructionError,
  ResearchError,
  sparseCode,
  type MaskedObservations,
} from "../../src/research/index.js";
import {
  ENTITY_KINDS,
  entityObservations,
  FEATURE_COUNT,
  generateSupplyChain,
} from "../../src/supplychain/index.js";

describe("federated dictionary learning", function () {
  it("FISTA finds the sparse code of a noiseless combination of orthonormal atoms", function () {
    const features = 6;
    const values = new Float64Array(3 * features);
    values[0] = 1; // atom 0 = e0
    values[features + 1] = 1; // atom 1 = e1
    values[2 * features + 2] = 1; // atom 2 = e2
    const dictionary = { atoms: 3, features, values };
    const x = [2, 0, -1, 0, 0, 0];
    const z = sparseCode({
      dictionary,
      x,
      mask: new Uint8Array(features).fill(1),
      lambda: 0.1,
      iterations: 200,
    });
    // Soft-thresholding: each coefficient shrinks by lambda.
    expect(z[0]).to.be.closeTo(1.9, 1e-6);
    expect(z[1]).to.equal(0);
    expect(z[2]).to.be.closeTo(-0.9, 1e-6);
    const nonNegative = sparseCode({
      dictionary,
      x,
      mask: new Uint8Array(features).fill(1),
      lambda: 0.1,
      iterations: 200,
      nonNegative: true,
    });
    expect(nonNegative[2]).to.equal(0);
  });

  it("recovers most generated atoms, federated exactly as centralised on the pooled rows", function () {
    const chain = generateSupplyChain({ seed: 1, members: 4, lots: 120, atomsPerKind: 2 });
    const observations = entityObservations({ chain });
    const members: MaskedObservations[] = observations.map((o) => ({
      rows: o.rows,
      values: o.values,
      mask: o.mask,
    }));
    // The structural prior: a condition shows on the features of one entity kind (public schema).
    const kindSupports = ENTITY_KINDS.map((kind) => {
      const support = new Uint8Array(FEATURE_COUNT);
      for (const o of observations)
        if (o.entity.startsWith(`${kind}-`)) o.mask.forEach((v, j) => v === 1 && (support[j] = 1));
      return support;
    });
    const supports = Array.from(
      { length: chain.atomCount },
      (_, a) => kindSupports[Math.floor(a / 2)] as Uint8Array,
    );
    const options = {
      atoms: chain.atomCount,
      lambda: 0.05,
      rounds: 12,
      seed: 5,
      supports,
      restarts: {
        count: 3,
        rounds: 4,
        initialise: (seed: number) =>
          maskedRandomDictionary({ atoms: chain.atomCount, masks: supports, seed }),
      },
    };
    const federated = learnDictionary({ members, options });
    const recovery = atomRecovery({
      learned: federated.dictionary,
      truth: chain.atoms,
      trueAtoms: chain.atomCount,
    });
    expect(recovery.fraction).to.be.greaterThan(0.6);
    const errors = federated.reconstructionError;
    expect(errors.at(-1)).to.be.lessThan(0.15);

    // Pooling every row (with its own mask) and running the same code gives the same dictionary.
    const total = members.reduce((n, m) => n + m.rows, 0);
    const values = new Float32Array(total * FEATURE_COUNT);
    const mask = new Uint8Array(total * FEATURE_COUNT);
    let row = 0;
    for (const m of members) {
      values.set(m.values, row * FEATURE_COUNT);
      for (let i = 0; i < m.rows; i++) mask.set(m.mask, (row + i) * FEATURE_COUNT);
      row += m.rows;
    }
    const centralised = learnDictionary({ members: [{ rows: total, values, mask }], options });
    const maxDifference = federated.dictionary.values.reduce(
      (worst, v, i) => Math.max(worst, Math.abs(v - (centralised.dictionary.values[i] as number))),
      0,
    );
    expect(maxDifference).to.be.lessThan(1e-6);
    const pooledError = reconstructionError({ dictionary: centralised.dictionary, members, lambda: 0.05 });
    expect(pooledError).to.be.closeTo(
      reconstructionError({ dictionary: federated.dictionary, members, lambda: 0.05 }),
      1e-9,
    );
  });

  it("beats a random dictionary by a wide margin on reconstruction", function () {
    const rng = createRng(3);
    const chain = generateSupplyChain({ seed: 2, members: 4, lots: 60, atomsPerKind: 2 });
    const members = entityObservations({ chain }).map((o) => ({
      rows: o.rows,
      values: o.values,
      mask: o.mask,
    }));
    const learned = learnDictionary({
      members,
      options: { atoms: chain.atomCount, lambda: 0.05, rounds: 8, seed: rng.int(1000) },
    });
    const random = maskedRandomDictionary({
      atoms: chain.atomCount,
      masks: members.map((m) => m.mask),
      seed: 1,
    });
    const learnedError = reconstructionError({ dictionary: learned.dictionary, members, lambda: 0.05 });
    const randomError = reconstructionError({ dictionary: random, members, lambda: 0.05 });
    expect(learnedError).to.be.lessThan(randomError / 2);
  });

  it("starts from members' proposed atoms or, centrally, from observed rows: unit atoms inside the views", function () {
    const chain = generateSupplyChain({ seed: 3, members: 4, lots: 40, atomsPerKind: 2 });
    const members = entityObservations({ chain }).map((o) => ({
      rows: o.rows,
      values: o.values,
      mask: o.mask,
    }));
    const proposed = proposeAtoms({ members, atoms: 8, perMember: 2, lambda: 0.05, rounds: 3, seed: 1 });
    const fromRows = atomsFromRows({ member: members[5] as MaskedObservations, atoms: 3, seed: 1 });
    for (const dictionary of [proposed, fromRows]) {
      for (let a = 0; a < dictionary.atoms; a++) {
        const atom = dictionary.values.subarray(a * FEATURE_COUNT, (a + 1) * FEATURE_COUNT);
        expect(Math.hypot(...atom)).to.be.closeTo(1, 1e-9);
      }
    }
    // A proposal is learned inside one member's view, so it is zero outside that member's mask.
    const first = proposed.values.subarray(0, FEATURE_COUNT);
    const owner = members.find((m) => first.every((v, j) => v === 0 || m.mask[j] === 1));
    expect(owner).to.not.equal(undefined);
    const mask = (members[5] as MaskedObservations).mask;
    expect(fromRows.values.every((v, i) => v === 0 || mask[i % FEATURE_COUNT] === 1)).to.equal(true);
  });

  it("rejects malformed input with a typed error and a clear message", function () {
    const code = (fn: () => unknown): string => {
      try {
        fn();
      } catch (err) {
        expect(err).to.be.instanceOf(ResearchError);
        return `${(err as ResearchError).code}: ${(err as Error).message}`;
      }
      return "no error";
    };
    expect(
      code(() => learnDictionary({ members: [], options: { atoms: 2, lambda: 0.1, rounds: 1, seed: 1 } })),
    ).to.equal("bad-observations: no member has any observation");
    const member = { rows: 2, values: new Float32Array(8), mask: new Uint8Array(3) };
    expect(
      code(() =>
        learnDictionary({ members: [member], options: { atoms: 2, lambda: 0.1, rounds: 1, seed: 1 } }),
      ),
    ).to.equal("bad-observations: mask must have 4 or 8 entries, has 3");
    const observed = { rows: 2, values: new Float32Array(8), mask: new Uint8Array(4).fill(1) };
    expect(
      code(() =>
        learnDictionary({ members: [observed], options: { atoms: 0, lambda: 0.1, rounds: 1, seed: 1 } }),
      ),
    ).to.match(/^bad-options: atoms must be a positive integer/);
  });
});
