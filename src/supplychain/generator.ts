/**
 * A seeded generator of circular supply chain data with a known hidden sparse structure (documented
 * in docs/learning.md). Lots of material flow supplier → manufacturer → use → collection → reuse,
 * remanufacture, recycling or disposal, for several life cycles, losing quality on the way.
 *
 * Hidden structure: K ground-truth process atoms (unit vectors over the (material, process) features,
 * each supported on a few processes of one entity kind and a few materials). Every lot carries a
 * sparse non-negative code z (its hidden condition: at most one active atom per entity kind). Whenever an entity handles a
 * lot it records x = mask(entity) ⊙ (D* z + noise): a sparse combination of atoms, seen only through
 * the entity's own mask. The same code drives extra quality loss and contamination, so the learning
 * tasks can only be solved well by picking the condition up from the measurements.
 */
import { createRng, shuffled, type Rng } from "../data/rng.js";
import {
  CircularSupplyChainGraph,
  entityMask,
  FEATURE_COUNT,
  featureIndex,
  processDefinition,
  processesFor,
  SupplyChainError,
} from "./graph.js";
import {
  ENTITY_KINDS,
  MATERIAL_KINDS,
  type EntityKind,
  type MaterialKind,
  type ProcessId,
  type QualityClass,
  type RecoveryRoute,
  type SupplyChainEntity,
} from "./types.js";

export interface SupplyChainConfig {
  readonly seed: number;
  /** Consortium members; entity i of each kind belongs to member i mod members. */
  readonly members: number;
  /** Entities of each kind (default: members, at least 4 so that every material is covered). */
  readonly entitiesPerKind?: number;
  /** Lots of material to follow (default 400). */
  readonly lots?: number;
  /** Most times a lot is collected and recovered (default 3). */
  readonly maxCycles?: number;
  /** Ground-truth atoms per entity kind (default 3, so K = 12). */
  readonly atomsPerKind?: number;
  /** Chance that a lot's hidden code activates one atom of each entity kind (default 0.6). */
  readonly activityPerKind?: number;
  /** Standard deviation of measurement noise (default 0.05). */
  readonly noise?: number;
}

/** One step of a lot's life as its passport records it, with the measurement of the entity there. */
export interface LotStep {
  readonly entity: string;
  readonly kind: EntityKind;
  readonly owner: number;
  readonly process: ProcessId;
  readonly quality: number;
  readonly carbonKgPerKg: number;
  readonly energyKWhPerKg: number;
  readonly valuePerKg: number;
  readonly cycle: number;
  /** x = mask(entity) ⊙ (D* z + noise), FEATURE_COUNT values. */
  readonly measurement: Float32Array;
}

export interface RouteDecision {
  readonly lot: number;
  /** Index of the collection step in the lot's steps. */
  readonly step: number;
  readonly route: RecoveryRoute;
}

export interface GeneratedSupplyChain {
  readonly config: Required<SupplyChainConfig>;
  readonly graph: CircularSupplyChainGraph;
  /** Member owning each entity. */
  readonly owners: ReadonlyMap<string, number>;
  /** Ground truth: K atoms × FEATURE_COUNT, row-major, each of unit norm. */
  readonly atoms: Float32Array;
  readonly atomCount: number;
  /** Per lot: its hidden code (K values) and its steps. */
  readonly lots: readonly {
    readonly material: MaterialKind;
    readonly code: Float32Array;
    readonly steps: LotStep[];
  }[];
  readonly routes: readonly RouteDecision[];
}

/** Next-stage quality classes: normal ≥ 0.7 > warning ≥ 0.45 > critical. */
export function qualityClass(quality: number): QualityClass {
  return quality >= 0.7 ? "normal" : quality >= 0.45 ? "warning" : "critical";
}

function withDefaults(config: SupplyChainConfig): Required<SupplyChainConfig> {
  const full = {
    seed: config.seed,
    members: config.members,
    entitiesPerKind: config.entitiesPerKind ?? Math.max(4, config.members),
    lots: config.lots ?? 400,
    maxCycles: config.maxCycles ?? 3,
    atomsPerKind: config.atomsPerKind ?? 3,
    activityPerKind: config.activityPerKind ?? 0.6,
    noise: config.noise ?? 0.05,
  };
  const positive = (name: string, value: number): void => {
    if (!Number.isInteger(value) || value < 1) {
      throw new SupplyChainError("invalid-value", `${name} must be a positive integer, got ${value}`);
    }
  };
  positive("members", full.members);
  positive("entitiesPerKind", full.entitiesPerKind);
  positive("lots", full.lots);
  positive("maxCycles", full.maxCycles);
  positive("atomsPerKind", full.atomsPerKind);
  if (full.entitiesPerKind < MATERIAL_KINDS.length) {
    throw new SupplyChainError("invalid-value", `entitiesPerKind must be at least ${MATERIAL_KINDS.length}`);
  }
  if (!(full.activityPerKind >= 0 && full.activityPerKind <= 1)) {
    throw new SupplyChainError("invalid-value", "activityPerKind must be a probability");
  }
  if (!(full.noise >= 0)) throw new SupplyChainError("invalid-value", "noise must be non-negative");
  return full;
}

function makeEntities({
  config,
  rng,
}: {
  config: Required<SupplyChainConfig>;
  rng: Rng;
}): SupplyChainEntity[] {
  const entities: SupplyChainEntity[] = [];
  for (const kind of ENTITY_KINDS) {
    for (let i = 0; i < config.entitiesPerKind; i++) {
      // Entity i always handles material i mod 4, so every kind covers every material.
      const own = MATERIAL_KINDS[i % MATERIAL_KINDS.length] as MaterialKind;
      const others = shuffled({ items: MATERIAL_KINDS.filter((m) => m !== own), rng }).slice(
        0,
        rng.int(2) + 2,
      );
      entities.push({
        id: `${kind}-${i}`,
        kind,
        materials: [own, ...others].sort(),
        processes: processesFor(kind),
        location: `site-${kind}-${i}`,
      });
    }
  }
  return entities;
}

interface Atom {
  readonly kind: EntityKind;
  readonly vector: Float32Array;
  /** Extra quality loss per unit of code at every step. */
  readonly damage: number;
  /** Contamination per unit of code (blocks polymer recycling). */
  readonly contamination: number;
}

function makeAtoms({ config, rng }: { config: Required<SupplyChainConfig>; rng: Rng }): Atom[] {
  const atoms: Atom[] = [];
  for (const kind of ENTITY_KINDS) {
    // A condition of one kind's processes shows on every material those processes handle: each
    // atom spans that kind's (material, process) block (8–20 of the 52 features) and nothing else.
    const processes = processesFor(kind);
    for (let a = 0; a < config.atomsPerKind; a++) {
      const vector = new Float32Array(FEATURE_COUNT);
      let norm = 0;
      for (const material of MATERIAL_KINDS) {
        for (const process of processes) {
          const value = rng.normal();
          vector[featureIndex({ material, process })] = value;
          norm += value * value;
        }
      }
      norm = Math.sqrt(norm);
      for (let j = 0; j < FEATURE_COUNT; j++) vector[j] = (vector[j] as number) / norm;
      atoms.push({
        kind,
        vector,
        damage: rng.next() < 0.5 ? 0.02 + 0.03 * rng.next() : 0,
        contamination: rng.next() < 0.4 ? 0.5 + rng.next() : 0,
      });
    }
  }
  return atoms;
}

/** Generates the chain, its flows and the ground truth; same config, same result. */
export function generateSupplyChain(input: SupplyChainConfig): GeneratedSupplyChain {
  const config = withDefaults(input);
  const rng = createRng(config.seed);
  const graph = new CircularSupplyChainGraph();
  const entities = makeEntities({ config, rng: rng.fork(1) });
  const owners = new Map<string, number>();
  entities.forEach((entity) => {
    graph.addEntity(entity);
    owners.set(entity.id, Number(entity.id.split("-")[1]) % config.members);
  });
  const masks = new Map(entities.map((e) => [e.id, entityMask(e)]));
  const atoms = makeAtoms({ config, rng: rng.fork(2) });
  const K = atoms.length;
  const flowRng = rng.fork(3);
  const lots: { material: MaterialKind; code: Float32Array; steps: LotStep[] }[] = [];
  const routes: RouteDecision[] = [];

  for (let lot = 0; lot < config.lots; lot++) {
    const material = MATERIAL_KINDS[flowRng.int(MATERIAL_KINDS.length)] as MaterialKind;
    const code = new Float32Array(K);
    // Each kind's processes may carry one condition; atoms of kind κ are atoms κ·perKind … (κ+1)·perKind − 1.
    ENTITY_KINDS.forEach((_, kind) => {
      if (flowRng.next() < config.activityPerKind) {
        code[kind * config.atomsPerKind + flowRng.int(config.atomsPerKind)] = 0.5 + flowRng.next();
      }
    });
    const damage = atoms.reduce((total, atom, a) => total + atom.damage * (code[a] as number), 0);
    const contamination = atoms.reduce(
      (total, atom, a) => total + atom.contamination * (code[a] as number),
      0,
    );
    const pick = (kind: EntityKind): SupplyChainEntity => {
      const able = entities.filter((e) => e.kind === kind && e.materials.includes(material));
      return able[flowRng.int(able.length)] as SupplyChainEntity;
    };
    const massKg = 100 + flowRng.int(900);
    const materialId = `lot-${lot}`;
    const supplier = pick("supplier");
    graph.startFlow({ materialId, material, massKg, at: supplier.id, economicValue: massKg * 2 });
    const steps: LotStep[] = [];
    let at = supplier.id;
    const apply = (entity: SupplyChainEntity, process: ProcessId, quality?: number): void => {
      const definition = processDefinition(process);
      const flow = graph.flow(materialId);
      const useWear = process === "collection" ? 0.04 * flow.cycle + 2 * damage : 0;
      const loss = definition.qualityLoss + 0.3 * damage + useWear + 0.01 * flowRng.normal();
      const qualityAfter = Math.min(1, Math.max(0, quality ?? flow.quality - loss));
      const mask = masks.get(entity.id) as Uint8Array;
      const measurement = new Float32Array(FEATURE_COUNT);
      const measurements: { feature: number; value: number }[] = [];
      for (let j = 0; j < FEATURE_COUNT; j++) {
        if (mask[j] !== 1) continue;
        let value = config.noise * flowRng.normal();
        for (let a = 0; a < K; a++) value += ((atoms[a] as Atom).vector[j] as number) * (code[a] as number);
        measurement[j] = value;
        measurements.push({ feature: j, value });
      }
      graph.addTransformation({
        from: at,
        to: entity.id,
        materialId,
        process,
        qualityAfter,
        valueAfter: massKg * (0.5 + 2 * qualityAfter),
        measurements,
      });
      at = entity.id;
      steps.push({
        entity: entity.id,
        kind: entity.kind,
        owner: owners.get(entity.id) as number,
        process,
        quality: flow.quality,
        carbonKgPerKg: flow.carbonFootprintKg / massKg,
        energyKWhPerKg: flow.energyKWh / massKg,
        valuePerKg: flow.economicValue / massKg,
        cycle: flow.cycle,
        measurement,
      });
    };
    apply(supplier, "extraction");
    apply(supplier, "refining");
    let manufacturer = pick("manufacturer");
    for (const process of ["forming", "machining", "coating", "assembly"] as const)
      apply(manufacturer, process);
    for (;;) {
      const flow = graph.flow(materialId);
      // The recovery route is decided at collection from the lot's state (the ground-truth rule).
      const expectedQuality = flow.quality - 0.12 - 0.04 * flow.cycle - 2.3 * damage;
      const lastCycle = flow.cycle + 1 >= config.maxCycles;
      let route: RecoveryRoute;
      if (expectedQuality >= 0.72 && flow.cycle < 2) route = "reuse";
      else if (expectedQuality >= 0.5) route = "remanufacture";
      else if (expectedQuality >= 0.15 && (material !== "polymer" || contamination < 1) && contamination < 2)
        route = "recycle";
      else route = "dispose";
      const collector = pick(route === "reuse" || route === "remanufacture" ? "remanufacturer" : "recycler");
      apply(collector, "collection");
      routes.push({ lot, step: steps.length - 1, route });
      if (route === "dispose") {
        apply(collector, "disposal");
        break;
      }
      if (route === "reuse") {
        for (const process of ["cleaning", "assembly"] as const) apply(collector, process);
      } else if (route === "remanufacture") {
        for (const process of ["disassembly", "cleaning", "refurbishing", "assembly"] as const)
          apply(collector, process);
      } else {
        apply(collector, "shredding");
        // Remelting restores the material's quality, less what contamination and age leave in it.
        apply(collector, "remelting", 0.92 - 0.04 * flow.cycle - 0.08 * contamination);
        manufacturer = pick("manufacturer");
        for (const process of ["forming", "machining", "coating", "assembly"] as const)
          apply(manufacturer, process);
      }
      if (lastCycle) break;
    }
    lots.push({ material, code, steps });
  }
  const atomMatrix = new Float32Array(K * FEATURE_COUNT);
  atoms.forEach((atom, a) => atomMatrix.set(atom.vector, a * FEATURE_COUNT));
  return { config, graph, owners, atoms: atomMatrix, atomCount: K, lots, routes };
}
