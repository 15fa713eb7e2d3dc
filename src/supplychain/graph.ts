/**
 * The circular supply chain graph: entities, the material flows between them, and each entity's
 * sparse feature representation. Features are indexed by (material, process) pairs; an entity's mask
 * covers exactly the pairs of the materials it handles and the processes it runs, so it can neither
 * see nor reveal anything about the rest of the chain.
 */
import {
  MATERIAL_KINDS,
  type EntityKind,
  type MaterialFlow,
  type MaterialKind,
  type MaterialState,
  type ProcessDefinition,
  type ProcessId,
  type SupplyChainEntity,
  type Transformation,
} from "./types.js";

const ANY_LIVE: readonly MaterialState[] = ["virgin", "in_use", "recovered", "recycled"];

/** The processes of the chain; costs are per kg, indicative of metal and polymer processing. */
export const PROCESSES: readonly ProcessDefinition[] = [
  {
    id: "extraction",
    performedBy: ["supplier"],
    from: ["virgin"],
    to: "unchanged",
    qualityLoss: 0,
    carbonKgPerKg: 1.2,
    energyKWhPerKg: 3,
  },
  {
    id: "refining",
    performedBy: ["supplier"],
    from: ["virgin"],
    to: "unchanged",
    qualityLoss: 0.005,
    carbonKgPerKg: 0.8,
    energyKWhPerKg: 4,
  },
  {
    id: "forming",
    performedBy: ["manufacturer"],
    from: ["virgin", "recycled"],
    to: "unchanged",
    qualityLoss: 0.02,
    carbonKgPerKg: 0.3,
    energyKWhPerKg: 1.5,
  },
  {
    id: "machining",
    performedBy: ["manufacturer"],
    from: ["virgin", "recycled"],
    to: "unchanged",
    qualityLoss: 0.015,
    carbonKgPerKg: 0.2,
    energyKWhPerKg: 1,
  },
  {
    id: "coating",
    performedBy: ["manufacturer"],
    from: ["virgin", "recycled"],
    to: "unchanged",
    qualityLoss: 0.005,
    carbonKgPerKg: 0.15,
    energyKWhPerKg: 0.5,
  },
  {
    id: "assembly",
    performedBy: ["manufacturer", "remanufacturer"],
    from: ["virgin", "recycled", "recovered"],
    to: "in_use",
    qualityLoss: 0.01,
    carbonKgPerKg: 0.1,
    energyKWhPerKg: 0.4,
  },
  {
    id: "collection",
    performedBy: ["recycler", "remanufacturer"],
    from: ["in_use"],
    to: "recovered",
    qualityLoss: 0.12,
    carbonKgPerKg: 0.05,
    energyKWhPerKg: 0.1,
  },
  {
    id: "disassembly",
    performedBy: ["remanufacturer"],
    from: ["recovered"],
    to: "unchanged",
    qualityLoss: 0.02,
    carbonKgPerKg: 0.05,
    energyKWhPerKg: 0.2,
  },
  {
    id: "cleaning",
    performedBy: ["remanufacturer"],
    from: ["recovered"],
    to: "unchanged",
    qualityLoss: 0.005,
    carbonKgPerKg: 0.05,
    energyKWhPerKg: 0.3,
  },
  {
    id: "refurbishing",
    performedBy: ["remanufacturer"],
    from: ["recovered"],
    to: "unchanged",
    qualityLoss: -0.06,
    carbonKgPerKg: 0.2,
    energyKWhPerKg: 0.8,
  },
  {
    id: "shredding",
    performedBy: ["recycler"],
    from: ["recovered"],
    to: "unchanged",
    qualityLoss: 0.05,
    carbonKgPerKg: 0.1,
    energyKWhPerKg: 0.5,
  },
  {
    id: "remelting",
    performedBy: ["recycler"],
    from: ["recovered"],
    to: "recycled",
    qualityLoss: 0.04,
    carbonKgPerKg: 0.4,
    energyKWhPerKg: 2,
  },
  {
    id: "disposal",
    performedBy: ["recycler"],
    from: ANY_LIVE,
    to: "disposed",
    qualityLoss: 0,
    carbonKgPerKg: 0.3,
    energyKWhPerKg: 0.1,
  },
];

export const PROCESS_IDS: readonly ProcessId[] = PROCESSES.map((p) => p.id);

export function processDefinition(id: ProcessId): ProcessDefinition {
  const found = PROCESSES.find((p) => p.id === id);
  if (found === undefined) throw new SupplyChainError("unknown-process", `unknown process "${String(id)}"`);
  return found;
}

/** Processes an entity of a kind may run. */
export function processesFor(kind: EntityKind): ProcessId[] {
  return PROCESSES.filter((p) => p.performedBy.includes(kind)).map((p) => p.id);
}

/** The feature space: one feature per (material, process) pair, material-major. */
export const FEATURE_COUNT = MATERIAL_KINDS.length * PROCESSES.length;

export function featureIndex({ material, process }: { material: MaterialKind; process: ProcessId }): number {
  return MATERIAL_KINDS.indexOf(material) * PROCESSES.length + PROCESS_IDS.indexOf(process);
}

export function featureName(index: number): string {
  const material = MATERIAL_KINDS[Math.floor(index / PROCESSES.length)] as MaterialKind;
  return `${material}/${PROCESS_IDS[index % PROCESSES.length] as ProcessId}`;
}

/** 1 where the entity handles the material and runs the process, else 0. */
export function entityMask(entity: SupplyChainEntity): Uint8Array {
  const mask = new Uint8Array(FEATURE_COUNT);
  for (const material of entity.materials) {
    for (const process of entity.processes) mask[featureIndex({ material, process })] = 1;
  }
  return mask;
}

export type SupplyChainErrorCode =
  | "unknown-process"
  | "unknown-entity"
  | "duplicate-entity"
  | "unknown-material"
  | "duplicate-material"
  | "process-not-allowed"
  | "material-not-handled"
  | "invalid-state"
  | "invalid-value";

export class SupplyChainError extends Error {
  constructor(
    readonly code: SupplyChainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "SupplyChainError";
  }
}

/** Entities, their material flows and the edges those flows draw between them. */
export class CircularSupplyChainGraph {
  readonly #entities = new Map<string, SupplyChainEntity>();
  readonly #flows = new Map<string, MaterialFlow>();
  /** from → to → number of transformations along that edge. */
  readonly #edges = new Map<string, Map<string, number>>();
  /** Per entity, per feature: sum and count of the measurements it recorded. */
  readonly #measurements = new Map<string, { sum: Float64Array; count: Uint32Array }>();

  addEntity(entity: SupplyChainEntity): void {
    if (this.#entities.has(entity.id)) {
      throw new SupplyChainError("duplicate-entity", `entity "${entity.id}" already exists`);
    }
    for (const process of entity.processes) {
      if (!processDefinition(process).performedBy.includes(entity.kind)) {
        throw new SupplyChainError(
          "process-not-allowed",
          `entity "${entity.id}" is a ${entity.kind}, which cannot run "${process}"`,
        );
      }
    }
    for (const material of entity.materials) {
      if (!MATERIAL_KINDS.includes(material)) {
        throw new SupplyChainError(
          "unknown-material",
          `entity "${entity.id}" lists unknown material "${material}"`,
        );
      }
    }
    this.#entities.set(entity.id, entity);
    this.#measurements.set(entity.id, {
      sum: new Float64Array(FEATURE_COUNT),
      count: new Uint32Array(FEATURE_COUNT),
    });
  }

  entity(id: string): SupplyChainEntity {
    const entity = this.#entities.get(id);
    if (entity === undefined) throw new SupplyChainError("unknown-entity", `no entity "${id}" in the graph`);
    return entity;
  }

  entities(): SupplyChainEntity[] {
    return [...this.#entities.values()];
  }

  flow(materialId: string): MaterialFlow {
    const flow = this.#flows.get(materialId);
    if (flow === undefined)
      throw new SupplyChainError("unknown-material", `no material flow "${materialId}"`);
    return flow;
  }

  flows(): MaterialFlow[] {
    return [...this.#flows.values()];
  }

  /** Edges with their transformation counts. */
  edges(): { from: string; to: string; count: number }[] {
    const out: { from: string; to: string; count: number }[] = [];
    this.#edges.forEach((targets, from) => targets.forEach((count, to) => out.push({ from, to, count })));
    return out;
  }

  /** A new lot of virgin material at a supplier. */
  startFlow({
    materialId,
    material,
    massKg,
    at,
    economicValue,
  }: {
    materialId: string;
    material: MaterialKind;
    massKg: number;
    at: string;
    economicValue: number;
  }): MaterialFlow {
    if (this.#flows.has(materialId)) {
      throw new SupplyChainError("duplicate-material", `material flow "${materialId}" already exists`);
    }
    const entity = this.entity(at);
    if (entity.kind !== "supplier") {
      throw new SupplyChainError(
        "invalid-state",
        `virgin material enters at a supplier, not at ${entity.kind} "${at}"`,
      );
    }
    if (!entity.materials.includes(material)) {
      throw new SupplyChainError("material-not-handled", `supplier "${at}" does not handle ${material}`);
    }
    if (!(massKg > 0) || !(economicValue >= 0)) {
      throw new SupplyChainError("invalid-value", "mass must be positive and economic value non-negative");
    }
    const flow: MaterialFlow = {
      materialId,
      material,
      massKg,
      state: "virgin",
      quality: 1,
      carbonFootprintKg: 0,
      energyKWh: 0,
      economicValue,
      cycle: 0,
      transformations: [],
      locationHistory: [at],
    };
    this.#flows.set(materialId, flow);
    return flow;
  }

  /**
   * Applies `process` at entity `to` to the material currently at `from`; validates that `to` runs
   * the process and handles the material and that the material's state allows it. `measurements`
   * are what `to` recorded (feature index → value); only features in `to`'s mask are accepted.
   */
  addTransformation({
    from,
    to,
    materialId,
    process,
    qualityAfter,
    valueAfter,
    measurements = [],
  }: {
    from: string;
    to: string;
    materialId: string;
    process: ProcessId;
    qualityAfter: number;
    valueAfter: number;
    measurements?: readonly { feature: number; value: number }[];
  }): Transformation {
    const flow = this.flow(materialId);
    this.entity(from);
    const target = this.entity(to);
    const here = flow.locationHistory[flow.locationHistory.length - 1];
    if (here !== from) {
      throw new SupplyChainError(
        "invalid-state",
        `material "${materialId}" is at "${here}", not at "${from}"`,
      );
    }
    const definition = processDefinition(process);
    if (!target.processes.includes(process)) {
      throw new SupplyChainError("process-not-allowed", `entity "${to}" does not run "${process}"`);
    }
    if (!target.materials.includes(flow.material)) {
      throw new SupplyChainError("material-not-handled", `entity "${to}" does not handle ${flow.material}`);
    }
    if (!definition.from.includes(flow.state)) {
      throw new SupplyChainError(
        "invalid-state",
        `"${process}" needs material in state ${definition.from.join("/")}, "${materialId}" is ${flow.state}`,
      );
    }
    if (!(qualityAfter >= 0 && qualityAfter <= 1) || !(valueAfter >= 0)) {
      throw new SupplyChainError("invalid-value", `quality must be in [0, 1] and value non-negative`);
    }
    const mask = entityMask(target);
    const record = this.#measurements.get(to) as { sum: Float64Array; count: Uint32Array };
    for (const { feature, value } of measurements) {
      if (mask[feature] !== 1) {
        throw new SupplyChainError(
          "invalid-value",
          `entity "${to}" cannot measure feature ${featureName(feature)}`,
        );
      }
      record.sum[feature] = (record.sum[feature] as number) + value;
      record.count[feature] = (record.count[feature] as number) + 1;
    }
    const stateAfter = definition.to === "unchanged" ? flow.state : definition.to;
    const transformation: Transformation = {
      process,
      from,
      to,
      stateBefore: flow.state,
      stateAfter,
      qualityBefore: flow.quality,
      qualityAfter,
      carbonKg: definition.carbonKgPerKg * flow.massKg,
      energyKWh: definition.energyKWhPerKg * flow.massKg,
      valueAfter,
      cycle: flow.cycle,
    };
    // A material that goes back into use after recovery starts a new life cycle.
    if (stateAfter === "in_use" && flow.transformations.some((t) => t.stateAfter === "in_use"))
      flow.cycle += 1;
    flow.state = stateAfter;
    flow.quality = qualityAfter;
    flow.carbonFootprintKg += transformation.carbonKg;
    flow.energyKWh += transformation.energyKWh;
    flow.economicValue = valueAfter;
    flow.transformations.push(transformation);
    if (flow.locationHistory[flow.locationHistory.length - 1] !== to) flow.locationHistory.push(to);
    const targets = this.#edges.get(from) ?? new Map<string, number>();
    targets.set(to, (targets.get(to) ?? 0) + 1);
    this.#edges.set(from, targets);
    return transformation;
  }

  /**
   * The entity's sparse representation: the mean of what it measured per feature, zero outside its
   * mask (the seed's `get_sparse_representation` with the mask it left unimplemented).
   */
  sparseRepresentation(entityId: string): { values: Float32Array; mask: Uint8Array } {
    const mask = entityMask(this.entity(entityId));
    const record = this.#measurements.get(entityId) as { sum: Float64Array; count: Uint32Array };
    const values = new Float32Array(FEATURE_COUNT);
    for (let j = 0; j < FEATURE_COUNT; j++) {
      const count = record.count[j] as number;
      if (mask[j] === 1 && count > 0) values[j] = (record.sum[j] as number) / count;
    }
    return { values, mask };
  }
}
