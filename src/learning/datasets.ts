/**
 * One entry point for the consortium's data sets, all in the `FederatedDataset` shape so that
 * `trainLocal`, `evaluate` and the federation simulation work on each.
 */
import { buildAi4iDataset, loadAi4i, AI4I_FEATURE_NAMES, type Ai4iPartition } from "./ai4i.js";
import { AI4I_MODEL_SPEC, SUPPLYCHAIN_QUALITY_SPEC, SUPPLYCHAIN_ROUTE_SPEC } from "./specs.js";
import { partitionDirichlet } from "./ai4i.js";
import type { FederatedDataset, LabelledData } from "./types.js";
import {
  generateSupplyChain,
  qualitySequenceData,
  recoveryRouteData,
  QUALITY_CLASSES,
  RECOVERY_ROUTES,
  ROUTE_FEATURE_NAMES,
  STEP_FEATURE_NAMES,
  type SupplyChainConfig,
} from "../supplychain/index.js";

/** "natural": AI4I by product quality type, supply chain by the member owning the entity. */
export type DatasetPartition = "natural" | { readonly kind: "dirichlet"; readonly alpha: number };

export class UnknownDatasetError extends Error {
  readonly code = "unknown-dataset";
  constructor(name: string) {
    super(`unknown data set "${name}": expected "ai4i" or "supplychain"`);
    this.name = "UnknownDatasetError";
  }
}

/** The given rows of `data`, in the given order. */
export function selectRows({ data, rows }: { data: LabelledData; rows: Uint32Array }): LabelledData {
  const width = data.featureShape.reduce((a, b) => a * b, 1);
  const features = new Float32Array(rows.length * width);
  const labels = new Uint8Array(rows.length);
  rows.forEach((row, i) => {
    features.set(data.features.subarray(row * width, (row + 1) * width), i * width);
    labels[i] = data.labels[row] as number;
  });
  return { ...data, features, labels, rows: rows.length };
}

/**
 * Loads a data set split for `members` members. AI4I reads the shipped CSV (or `path`); the supply
 * chain is generated from `seed` (its task: next-stage quality class from measurement sequences, or
 * recovery route at collection).
 */
export function loadDataset({
  name,
  members,
  seed,
  partition = "natural",
  path,
  task = "quality",
  supplyChain,
}: {
  name: "ai4i" | "supplychain";
  members: number;
  seed: number;
  partition?: DatasetPartition;
  /** AI4I only: the CSV file (default: the shipped copy). */
  path?: string;
  /** Supply chain only. */
  task?: "quality" | "route";
  /** Supply chain only: generator settings other than seed and members. */
  supplyChain?: Omit<SupplyChainConfig, "seed" | "members">;
}): FederatedDataset {
  if (name === "ai4i") {
    const ai4iPartition: Ai4iPartition = partition === "natural" ? "quality-type" : partition;
    const data = buildAi4iDataset({ records: loadAi4i({ path }), members, partition: ai4iPartition, seed });
    return {
      name,
      spec: AI4I_MODEL_SPEC,
      classNames: ["no_failure", "failure"],
      featureNames: AI4I_FEATURE_NAMES,
      train: data.train,
      members: data.members,
      test: data.test,
    };
  }
  if (name === "supplychain") {
    const chain = generateSupplyChain({ ...supplyChain, seed, members });
    const data = task === "route" ? recoveryRouteData({ chain, seed }) : qualitySequenceData({ chain, seed });
    const split =
      partition === "natural"
        ? data.members
        : partitionDirichlet({ labels: data.train.labels, alpha: partition.alpha, members, seed }).map(
            (rows) => selectRows({ data: data.train, rows }),
          );
    return {
      name,
      spec: task === "route" ? SUPPLYCHAIN_ROUTE_SPEC : SUPPLYCHAIN_QUALITY_SPEC,
      classNames: task === "route" ? RECOVERY_ROUTES : QUALITY_CLASSES,
      featureNames: task === "route" ? ROUTE_FEATURE_NAMES : STEP_FEATURE_NAMES,
      train: data.train,
      members: split,
      test: data.test,
    };
  }
  throw new UnknownDatasetError(String(name));
}
