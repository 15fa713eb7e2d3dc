/** Most updates one aggregation accepts; keeps every coordinate sum of int32 values below 2^53. */
export const MAX_UPDATES = 2 ** 20;

/** Largest model dimension: indices are uint32 and the global model header stores d as uint32. */
export const MAX_DIMENSION = 2 ** 32 - 1;
