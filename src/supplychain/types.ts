/**
 * The circular supply chain domain of the seed article: material states and flows, the entities that
 * transform materials, and the labels of the two learning tasks built on them.
 */

export type MaterialState = "virgin" | "in_use" | "recovered" | "recycled" | "disposed";
export const MATERIAL_STATES: readonly MaterialState[] = [
  "virgin",
  "in_use",
  "recovered",
  "recycled",
  "disposed",
];

export type EntityKind = "supplier" | "manufacturer" | "recycler" | "remanufacturer";
export const ENTITY_KINDS: readonly EntityKind[] = ["supplier", "manufacturer", "recycler", "remanufacturer"];

export type MaterialKind = "steel" | "aluminium" | "copper" | "polymer";
export const MATERIAL_KINDS: readonly MaterialKind[] = ["steel", "aluminium", "copper", "polymer"];

export type ProcessId =
  | "extraction"
  | "refining"
  | "forming"
  | "machining"
  | "coating"
  | "assembly"
  | "collection"
  | "disassembly"
  | "cleaning"
  | "refurbishing"
  | "shredding"
  | "remelting"
  | "disposal";

/** What a process does to a material and what it costs. */
export interface ProcessDefinition {
  readonly id: ProcessId;
  /** Entity kinds able to perform it. */
  readonly performedBy: readonly EntityKind[];
  /** States a material may be in before it. */
  readonly from: readonly MaterialState[];
  /** State after it ("unchanged" for intermediate steps). */
  readonly to: MaterialState | "unchanged";
  /** Mean fraction of quality lost (before the hidden condition's effect). */
  readonly qualityLoss: number;
  readonly carbonKgPerKg: number;
  readonly energyKWhPerKg: number;
}

/** A party of the circular supply chain. */
export interface SupplyChainEntity {
  readonly id: string;
  readonly kind: EntityKind;
  /** Materials it handles. */
  readonly materials: readonly MaterialKind[];
  /** Processes it runs (each allowed for its kind). */
  readonly processes: readonly ProcessId[];
  readonly location: string;
}

/** One process applied to a material, moving it from one entity to another. */
export interface Transformation {
  readonly process: ProcessId;
  readonly from: string;
  readonly to: string;
  readonly stateBefore: MaterialState;
  readonly stateAfter: MaterialState;
  readonly qualityBefore: number;
  readonly qualityAfter: number;
  readonly carbonKg: number;
  readonly energyKWh: number;
  readonly valueAfter: number;
  /** Life cycle the material is in (0 for its first use). */
  readonly cycle: number;
}

/** A tracked lot of material: the seed's MaterialFlow, with its full history. */
export interface MaterialFlow {
  readonly materialId: string;
  readonly material: MaterialKind;
  readonly massKg: number;
  state: MaterialState;
  /** In [0, 1]; 1 for fresh virgin material. */
  quality: number;
  carbonFootprintKg: number;
  energyKWh: number;
  economicValue: number;
  cycle: number;
  readonly transformations: Transformation[];
  readonly locationHistory: string[];
}

export type QualityClass = "normal" | "warning" | "critical";
export const QUALITY_CLASSES: readonly QualityClass[] = ["normal", "warning", "critical"];

export type RecoveryRoute = "reuse" | "remanufacture" | "recycle" | "dispose";
export const RECOVERY_ROUTES: readonly RecoveryRoute[] = ["reuse", "remanufacture", "recycle", "dispose"];
