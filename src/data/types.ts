/** Labelled examples, row-major. Tabular data has `featureShape` [F]; sequences have [T, F]. */
export interface LabelledData {
  /** rows × product(featureShape) values, row-major. */
  readonly features: Float32Array;
  /** Class index of each row, in [0, classes). */
  readonly labels: Uint8Array;
  readonly rows: number;
  readonly featureShape: readonly number[];
  readonly classes: number;
}
