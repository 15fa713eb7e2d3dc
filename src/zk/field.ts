/** Order of the BN254 scalar field: every circuit signal is an integer modulo this prime. */
export const BN254_SCALAR_FIELD =
  21888242871839275222246405745257275088548364400416034343698204186575808495617n;

/** Bits of entries packed into one commitment lane: LANE * entryBits <= 253 < log2(p), so lanes never wrap. */
export const LANE_BITS = 253;

/** Inputs of one Poseidon call after the chaining value. */
export const LANES_PER_HASH = 15;
