import { expect } from "chai";
import {
  CircularSupplyChainGraph,
  entityMask,
  entityObservations,
  FEATURE_COUNT,
  featureIndex,
  generateSupplyChain,
  qualitySequenceData,
  recoveryRouteData,
  SupplyChainError,
  type SupplyChainEntity,
} from "../../src/supplychain/index.js";

function expectSupplyChainError(run: () => unknown, code: string, pattern: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).to.be.instanceOf(SupplyChainError);
  expect((caught as SupplyChainError).code).to.equal(code);
  expect((caught as Error).message).to.match(pattern);
}

describe("circular supply chain", function () {
  const supplier: SupplyChainEntity = {
    id: "s",
    kind: "supplier",
    materials: ["steel"],
    processes: ["extraction", "refining"],
    location: "A",
  };
  const manufacturer: SupplyChainEntity = {
    id: "m",
    kind: "manufacturer",
    materials: ["steel", "copper"],
    processes: ["forming", "assembly"],
    location: "B",
  };
  const recycler: SupplyChainEntity = {
    id: "r",
    kind: "recycler",
    materials: ["steel"],
    processes: ["collection", "shredding", "remelting", "disposal"],
    location: "C",
  };

  function smallGraph(): CircularSupplyChainGraph {
    const graph = new CircularSupplyChainGraph();
    [supplier, manufacturer, recycler].forEach((e) => graph.addEntity(e));
    graph.startFlow({ materialId: "lot", material: "steel", massKg: 100, at: "s", economicValue: 200 });
    return graph;
  }

  it("tracks a material through its states, cycles, footprint and locations", function () {
    const graph = smallGraph();
    graph.addTransformation({
      from: "s",
      to: "m",
      materialId: "lot",
      process: "forming",
      qualityAfter: 0.97,
      valueAfter: 240,
    });
    graph.addTransformation({
      from: "m",
      to: "m",
      materialId: "lot",
      process: "assembly",
      qualityAfter: 0.96,
      valueAfter: 250,
    });
    expect(graph.flow("lot").state).to.equal("in_use");
    graph.addTransformation({
      from: "m",
      to: "r",
      materialId: "lot",
      process: "collection",
      qualityAfter: 0.8,
      valueAfter: 120,
    });
    graph.addTransformation({
      from: "r",
      to: "r",
      materialId: "lot",
      process: "remelting",
      qualityAfter: 0.9,
      valueAfter: 150,
    });
    expect(graph.flow("lot").state).to.equal("recycled");
    graph.addTransformation({
      from: "r",
      to: "m",
      materialId: "lot",
      process: "assembly",
      qualityAfter: 0.88,
      valueAfter: 230,
    });
    const flow = graph.flow("lot");
    expect(flow.state).to.equal("in_use");
    expect(flow.cycle).to.equal(1);
    expect(flow.locationHistory).to.deep.equal(["s", "m", "r", "m"]);
    expect(flow.transformations.map((t) => t.process)).to.deep.equal([
      "forming",
      "assembly",
      "collection",
      "remelting",
      "assembly",
    ]);
    // forming 0.3 + assembly 0.1 + collection 0.05 + remelting 0.4 + assembly 0.1 kg CO2e per kg, 100 kg.
    expect(flow.carbonFootprintKg).to.be.closeTo(95, 1e-9);
    expect(graph.edges()).to.deep.include({ from: "m", to: "r", count: 1 });
  });

  it("refuses transformations the entity cannot run or the material's state does not allow", function () {
    const graph = smallGraph();
    expectSupplyChainError(
      () =>
        graph.addTransformation({
          from: "s",
          to: "r",
          materialId: "lot",
          process: "remelting",
          qualityAfter: 0.9,
          valueAfter: 1,
        }),
      "invalid-state",
      /"remelting" needs material in state recovered, "lot" is virgin/,
    );
    expectSupplyChainError(
      () =>
        graph.addTransformation({
          from: "s",
          to: "m",
          materialId: "lot",
          process: "machining",
          qualityAfter: 0.9,
          valueAfter: 1,
        }),
      "process-not-allowed",
      /entity "m" does not run "machining"/,
    );
    expectSupplyChainError(
      () => graph.addEntity({ ...supplier, id: "x", processes: ["remelting"] }),
      "process-not-allowed",
      /supplier, which cannot run "remelting"/,
    );
    expectSupplyChainError(
      () =>
        graph.addTransformation({
          from: "s",
          to: "m",
          materialId: "lot",
          process: "forming",
          qualityAfter: 1.5,
          valueAfter: 1,
        }),
      "invalid-value",
      /quality must be in \[0, 1\]/,
    );
    expectSupplyChainError(() => graph.flow("nope"), "unknown-material", /no material flow "nope"/);
    expectSupplyChainError(
      () =>
        graph.addTransformation({
          from: "m",
          to: "m",
          materialId: "lot",
          process: "forming",
          qualityAfter: 0.9,
          valueAfter: 1,
        }),
      "invalid-state",
      /material "lot" is at "s", not at "m"/,
    );
  });

  it("gives each entity a sparse representation masked to its materials and processes", function () {
    const graph = smallGraph();
    const feature = featureIndex({ material: "copper", process: "forming" });
    const outside = featureIndex({ material: "steel", process: "remelting" });
    graph.addTransformation({
      from: "s",
      to: "m",
      materialId: "lot",
      process: "forming",
      qualityAfter: 0.97,
      valueAfter: 240,
      measurements: [{ feature, value: 0.5 }],
    });
    const { values, mask } = graph.sparseRepresentation("m");
    expect(mask.reduce((a, b) => a + b, 0)).to.equal(4);
    expect(values[feature]).to.be.closeTo(0.5, 1e-7);
    expect(Array.from(values).filter((v) => v !== 0)).to.have.length(1);
    expectSupplyChainError(
      () =>
        graph.addTransformation({
          from: "m",
          to: "m",
          materialId: "lot",
          process: "assembly",
          qualityAfter: 0.9,
          valueAfter: 1,
          measurements: [{ feature: outside, value: 1 }],
        }),
      "invalid-value",
      /cannot measure feature steel\/remelting/,
    );
  });

  describe("generator", function () {
    const config = { seed: 42, members: 4, lots: 80 };

    it("is deterministic for a seed and differs between seeds", function () {
      const a = generateSupplyChain(config);
      const b = generateSupplyChain(config);
      expect(Array.from(a.atoms)).to.deep.equal(Array.from(b.atoms));
      expect(a.lots.map((l) => l.steps.map((s) => [s.entity, s.process, s.quality]))).to.deep.equal(
        b.lots.map((l) => l.steps.map((s) => [s.entity, s.process, s.quality])),
      );
      const c = generateSupplyChain({ ...config, seed: 43 });
      expect(Array.from(c.atoms)).to.not.deep.equal(Array.from(a.atoms));
    });

    it("has sparse masks, sparse unit atoms and sparse codes, and measures only inside masks", function () {
      const chain = generateSupplyChain(config);
      for (const entity of chain.graph.entities()) {
        const size = entityMask(entity).reduce((a, b) => a + b, 0);
        expect(size)
          .to.be.greaterThan(0)
          .and.at.most(FEATURE_COUNT * 0.4);
      }
      for (let a = 0; a < chain.atomCount; a++) {
        const atom = chain.atoms.subarray(a * FEATURE_COUNT, (a + 1) * FEATURE_COUNT);
        expect(atom.filter((v) => v !== 0).length).to.be.within(8, FEATURE_COUNT * 0.4);
        expect(Math.hypot(...atom)).to.be.closeTo(1, 1e-5);
      }
      for (const lot of chain.lots) {
        expect(lot.code.filter((v) => v !== 0).length).to.be.at.most(4);
        for (const step of lot.steps) {
          const mask = entityMask(chain.graph.entity(step.entity));
          step.measurement.forEach((v, j) => {
            if (mask[j] === 0) expect(v).to.equal(0);
          });
        }
      }
    });

    it("loses quality over life cycles and records the recovery route of every collection", function () {
      const chain = generateSupplyChain({ ...config, lots: 200 });
      const byCycle = new Map<number, number[]>();
      for (const lot of chain.lots) {
        for (const step of lot.steps) {
          if (step.process !== "assembly") continue;
          byCycle.set(step.cycle, [...(byCycle.get(step.cycle) ?? []), step.quality]);
        }
      }
      const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
      expect(mean(byCycle.get(1) as number[])).to.be.lessThan(mean(byCycle.get(0) as number[]));
      const routes = new Set(chain.routes.map((r) => r.route));
      expect([...routes].sort()).to.deep.equal(["dispose", "recycle", "remanufacture", "reuse"]);
      const collections = chain.lots.reduce(
        (n, l) => n + l.steps.filter((s) => s.process === "collection").length,
        0,
      );
      expect(chain.routes).to.have.length(collections);
      // Disposed lots leave the cycle for good.
      const disposedLots = chain.graph.flows().filter((f) => f.state === "disposed");
      for (const flow of disposedLots) expect(flow.transformations.at(-1)?.process).to.equal("disposal");
    });

    it("exposes both tasks as labelled data, split by lot and owner, and entity-private observations", function () {
      const chain = generateSupplyChain(config);
      const quality = qualitySequenceData({ chain, seed: 1 });
      expect(quality.train.featureShape).to.deep.equal([6, 21]);
      expect(quality.members.reduce((n, m) => n + m.rows, 0)).to.equal(quality.train.rows);
      expect(quality.test.rows).to.be.greaterThan(0);
      const route = recoveryRouteData({ chain, seed: 1 });
      expect(route.train.classes).to.equal(4);
      expect(route.train.rows + route.test.rows).to.equal(chain.routes.length);
      const observations = entityObservations({ chain });
      expect(observations.reduce((n, o) => n + o.rows, 0)).to.equal(
        chain.lots.reduce((n, l) => n + l.steps.length, 0),
      );
      for (const o of observations) {
        for (let r = 0; r < o.rows; r++) {
          for (let j = 0; j < FEATURE_COUNT; j++)
            if (o.mask[j] === 0) expect(o.values[r * FEATURE_COUNT + j]).to.equal(0);
        }
      }
    });

    it("rejects invalid configurations", function () {
      expectSupplyChainError(
        () => generateSupplyChain({ seed: 1, members: 0 }),
        "invalid-value",
        /members must be a positive integer/,
      );
      expectSupplyChainError(
        () => generateSupplyChain({ seed: 1, members: 2, entitiesPerKind: 2 }),
        "invalid-value",
        /entitiesPerKind must be at least 4/,
      );
    });
  });
});
