/**
 * One seam between a task's model family and whatever runs rounds (the member role, `cfl demo`, the
 * benches): how a member turns the global model and its rows into the delta it commits, and how anyone
 * scores a global model. A TF.js model trains by gradient steps (`trainLocal`); a histogram forest counts
 * its rows at the level the model has reached (`forestMemberUpdate`). Everything after the delta (sparsify,
 * seal, prove, commit, aggregate, audit) is the same code for both.
 */
import {
  deriveForest,
  FOREST_FILE_FORMAT,
  forestMemberUpdate,
  nextForestLevel,
  predictForest,
} from "./forest/index.js";
import { modelDimension, modelName, type ForestModelFile, type ModelFile } from "./task-model.js";
import { modelArtifacts } from "./topology.js";
import {
  evaluate,
  InvalidTrainingInputError,
  metricsFromProbabilities,
  predict,
  trainLocal,
} from "./train.js";
import type { EvaluationMetrics, LabelledData, TrainingPolicy } from "./types.js";

/** What a family requires of its task's policy (a forest's counts are integers added exactly). */
export interface FamilyPolicy {
  /** Fixed-point scale of the global model: 1 for counts. */
  readonly scale: number;
  /** The aggregation rule the family's parameters need. */
  readonly rule: "sum";
  /** Largest value of one entry (a count is at most a member's rows; the circuits carry |v| < 2^15). */
  readonly lInfBound: bigint;
  /** L2 bound of one update: far above any count vector of ≤ 2^15 rows, so nothing is clipped. */
  readonly l2Bound: bigint;
  /**
   * How the parameters group: histograms of bins × classes (starting at multiples of their size), `slots`
   * of them per node. What a supported sum reads to veto splits that fewer than q members' own rows vary on
   * (backdoors) and to screen out updates that are no rows' counts (free riders).
   */
  readonly layout: { readonly slots: number; readonly bins: number; readonly classes: number };
}

/** A task's model family behind one interface. */
export interface TaskLearner {
  readonly family: ModelFile["family"];
  /** The model's name. */
  readonly name: string;
  /** d. */
  readonly dimension: number;
  /** What the family fixes in the task's policy; undefined: any rule and the caller's fixed point. */
  readonly policy?: FamilyPolicy;
  /**
   * Whether entries an update leaves out are carried into the next round's (error feedback): right for
   * gradient steps, wrong for counts, which belong to the level they were counted at.
   */
  readonly errorFeedback: boolean;
  /** A member's delta on its rows, from the global model's real parameters. */
  localDelta(input: { globalParams: Float32Array; data: LabelledData; seed: number }): Promise<Float32Array>;
  /** Class probabilities, rows × classes. */
  probabilities(input: { params: Float32Array; data: LabelledData }): Promise<Float32Array>;
  /** Macro-F1, balanced accuracy, loss and ROC AUC of argmax decisions. */
  evaluate(input: { params: Float32Array; data: LabelledData }): Promise<EvaluationMetrics>;
  /** The trained model as files: TF.js `model.json` + `weights.bin`, or `forest.json` + `forest-trees.json`. */
  modelFiles(input: { params: Float32Array }): { name: string; bytes: Uint8Array }[];
}

/** Counts from a forest task's global parameters (scale 1: the real parameters are the counts). */
function countsOf(params: Float32Array, dimension: number): Int32Array {
  if (params.length !== dimension)
    throw new InvalidTrainingInputError(
      `the model has ${params.length} parameters, the forest's d is ${dimension}`,
    );
  const counts = new Int32Array(dimension);
  for (let i = 0; i < dimension; i++) {
    const v = params[i]!;
    if (!Number.isInteger(v))
      throw new InvalidTrainingInputError(`a forest's parameter ${i} is not a count (${v})`);
    counts[i] = v;
  }
  return counts;
}

/** What a model's family fixes in its task's policy; undefined for a TF.js model (any rule, the task's fixed point). */
export function familyPolicyOf(model: ModelFile): FamilyPolicy | undefined {
  if (model.family === "neural") return undefined;
  return {
    scale: 1,
    rule: "sum",
    lInfBound: 2n ** 15n - 1n,
    l2Bound: 2n ** 31n - 1n,
    layout: { slots: model.forest.featuresPerNode, bins: model.forest.bins, classes: model.forest.classes },
  };
}

function forestLearner(model: ForestModelFile, dimension: number): TaskLearner {
  const spec = model.forest;
  const derive = (params: Float32Array) => {
    const counts = countsOf(params, dimension);
    return { counts, forest: deriveForest({ spec, counts }) };
  };
  // Counting and scoring are synchronous; the interface is async for TF.js.
  const probabilities = ({ params, data }: { params: Float32Array; data: LabelledData }) =>
    Promise.resolve(predictForest({ forest: derive(params).forest, data }));
  return {
    family: "forest",
    name: spec.id,
    dimension,
    policy: familyPolicyOf(model)!,
    errorFeedback: false,
    localDelta({ globalParams, data }) {
      const { counts, forest } = derive(globalParams);
      const update = forestMemberUpdate({ forest, data, level: nextForestLevel({ forest, counts }), counts });
      const delta = new Float32Array(dimension);
      update.indices.forEach((index, j) => (delta[index] = update.values[j]!));
      return Promise.resolve(delta);
    },
    probabilities,
    async evaluate({ params, data }) {
      if (data.rows === 0) throw new InvalidTrainingInputError("cannot evaluate on zero rows");
      return metricsFromProbabilities({ probs: await probabilities({ params, data }), data });
    },
    modelFiles({ params }) {
      const { forest } = derive(params);
      const json = (value: unknown) => new TextEncoder().encode(JSON.stringify(value) + "\n");
      return [
        { name: "forest.json", bytes: json({ format: FOREST_FILE_FORMAT, forest: spec }) },
        { name: "forest-trees.json", bytes: json({ forest: spec.id, roots: forest.roots }) },
      ];
    },
  };
}

/** The learner of a task's model; `training` is the local training of a TF.js model (unused by a forest). */
export function taskLearner({
  model,
  training,
}: {
  model: ModelFile;
  training: TrainingPolicy;
}): TaskLearner {
  const dimension = modelDimension(model);
  if (model.family === "forest") return forestLearner(model, dimension);
  const { spec } = model;
  return {
    family: "neural",
    name: modelName(model),
    dimension,
    errorFeedback: true,
    async localDelta({ globalParams, data, seed }) {
      return (await trainLocal({ spec, globalParams, data, policy: training, seed })).delta;
    },
    probabilities: ({ params, data }) => predict({ spec, params, data }),
    evaluate: ({ params, data }) => evaluate({ spec, params, data }),
    modelFiles({ params }) {
      const out = modelArtifacts({ topology: spec.topology, layout: spec.layout, params });
      return [
        { name: "model.json", bytes: new TextEncoder().encode(JSON.stringify(out.modelJson) + "\n") },
        { name: "weights.bin", bytes: new Uint8Array(out.weightData) },
      ];
    },
  };
}
