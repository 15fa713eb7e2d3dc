pragma circom 2.1.0;

// Proof that one sparse model update obeys its task's policy bounds, bound to (task, round, member) by a
// Poseidon commitment. Public inputs, in this order: commitment, context, bounds (no outputs).
//
//   context = task << 192 | round << 160 | member                (computed by the contract)
//   bounds  = d | k << 32 | lInf << 64 | l2Sq << 128             (d, k < 2^32; lInf < 2^64; l2Sq < 2^96)
//
// Private inputs: salt, entries[K], active[K]. An active entry packs index and offset value:
//   entry = idx * 2^VAL_BITS + (value + lInf)
// idx and u = value + lInf come ONLY from the bit decomposition of the entry, so no field element can wrap
// around into a small-looking index or value. Active slots come first; inactive slots hold 0.
//
// Commitment (src/zk/commitment.ts computes the same bits):
//   lanes: every LANE = floor(253 / (IDX_BITS + VAL_BITS)) consecutive entries (K padded with zeros) are
//          concatenated little-endian into one field element, lane = sum_t entry_t * 2^(t * (IDX_BITS + VAL_BITS));
//          injective because each entry is range-checked and LANE * (IDX_BITS + VAL_BITS) <= 253 < log2(p).
//   h = Poseidon(context, salt, count); then for each chunk of at most 15 lanes: h = Poseidon(h, chunk...).
//   commitment === h.
// count (the number of active slots) is hashed because entries alone are ambiguous in one case: a single
// entry (index 0, value -lInf) packs to 0, like an empty slot. Without count, a proof for the empty update
// would also open to that one-entry payload, whose square may exceed l2Sq.
// Packing several entries per lane costs nothing (linear) and cuts the hashing cost per entry about nine-fold
// against hashing one entry per Poseidon input.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";

// Number of bits needed to write n (n >= 0).
function bitLength(n) {
    var bits = 0;
    var rest = n;
    while (rest > 0) {
        bits++;
        rest = rest >> 1;
    }
    return bits;
}

// Constrains `in` to lie in [0, 2^n). Sound for any field element: a negative difference wraps to a number
// close to p, which has no n-bit decomposition when n < 253.
template FitsBits(n) {
    signal input in;
    component bits = Num2Bits(n);
    bits.in <== in;
}

template UpdateBounds(K, IDX_BITS, VAL_BITS) {
    var ENTRY_BITS = IDX_BITS + VAL_BITS;
    var LANE = 253 \ ENTRY_BITS;
    var LANES = (K + LANE - 1) \ LANE;
    var K_BITS = bitLength(K);
    assert(K >= 1);
    assert(IDX_BITS >= 1 && IDX_BITS <= 32);
    assert(VAL_BITS >= 2 && VAL_BITS <= 64);
    assert(ENTRY_BITS <= 96);

    signal input commitment;
    signal input context;
    signal input bounds;
    signal input salt;
    signal input entries[K];
    signal input active[K];

    // --- the policy, decomposed once ---------------------------------------------------------------------
    component boundBits = Num2Bits(224);
    boundBits.in <== bounds;
    var d = 0;
    var k = 0;
    var lInfLc = 0;
    var lInfHigh = 0;
    var l2Sq = 0;
    var e = 1;
    for (var i = 0; i < 32; i++) {
        d += boundBits.out[i] * e;
        k += boundBits.out[32 + i] * e;
        e = e + e;
    }
    e = 1;
    for (var i = 0; i < 64; i++) {
        if (i < VAL_BITS - 1) {
            lInfLc += boundBits.out[64 + i] * e;
        } else {
            lInfHigh += boundBits.out[64 + i];
        }
        e = e + e;
    }
    e = 1;
    for (var i = 0; i < 96; i++) {
        l2Sq += boundBits.out[128 + i] * e;
        e = e + e;
    }
    // 2 * lInf < 2^VAL_BITS, so every offset value u = value + lInf in [0, 2 * lInf] has VAL_BITS bits.
    lInfHigh === 0;
    signal lInf <== lInfLc;
    signal lInfSq <== lInf * lInf;

    // k <= K: a policy may not allow more non-zeros than the circuit has slots.
    component kFits = FitsBits(K_BITS);
    kFits.in <== K - k;
    // 1 <= d <= 2^IDX_BITS: every index below d has IDX_BITS bits (d >= 1 comes from the gap checks below).
    component dFits = FitsBits(IDX_BITS + 1);
    dFits.in <== (1 << IDX_BITS) - d;

    // --- entries -----------------------------------------------------------------------------------------
    component entryBits[K];
    component valueFits[K];
    component gapFits[K];
    signal idx[K];
    signal offset[K];
    signal next[K];
    signal square[K];
    var count = 0;
    var sumSquares = 0;

    for (var i = 0; i < K; i++) {
        entryBits[i] = Num2Bits(ENTRY_BITS);
        entryBits[i].in <== entries[i];
        var u = 0;
        var ix = 0;
        e = 1;
        for (var b = 0; b < VAL_BITS; b++) {
            u += entryBits[i].out[b] * e;
            e = e + e;
        }
        e = 1;
        for (var b = 0; b < IDX_BITS; b++) {
            ix += entryBits[i].out[VAL_BITS + b] * e;
            e = e + e;
        }
        offset[i] <== u;
        idx[i] <== ix;

        // Flags are boolean, active slots first, inactive slots empty.
        active[i] * (active[i] - 1) === 0;
        if (i > 0) {
            active[i] * (1 - active[i - 1]) === 0;
        }
        entries[i] * (1 - active[i]) === 0;
        count += active[i];

        // |value| <= lInf  <=>  0 <= u <= 2 * lInf (u >= 0 by construction).
        valueFits[i] = FitsBits(VAL_BITS);
        valueFits[i].in <== 2 * lInf - offset[i];

        square[i] <== (offset[i] - lInf) * (offset[i] - lInf);
        sumSquares += square[i];
    }

    // Strictly increasing indices, last active one below d, one range check per slot: the successor of slot i
    // is the next slot's index when that slot is active, else d; successor - idx - 1 must have IDX_BITS bits.
    // An inactive slot has idx 0 and successor d, so its check reads d - 1 >= 0 (this is what forces d >= 1).
    for (var i = 0; i < K; i++) {
        if (i < K - 1) {
            next[i] <== d + active[i + 1] * (idx[i + 1] - d);
        } else {
            next[i] <== d;
        }
        gapFits[i] = FitsBits(IDX_BITS);
        gapFits[i].in <== next[i] - idx[i] - 1;
    }

    // count <= k (both at most K once k <= K holds).
    component countFits = FitsBits(K_BITS);
    countFits.in <== k - count;

    // Sum of squares over active slots <= l2Sq. Each inactive slot contributed (0 - lInf)^2 above.
    signal inactiveSquares <== (K - count) * lInfSq;
    component l2Fits = FitsBits(96);
    l2Fits.in <== l2Sq - (sumSquares - inactiveSquares);

    // --- commitment --------------------------------------------------------------------------------------
    signal lanes[LANES];
    for (var j = 0; j < LANES; j++) {
        var lane = 0;
        e = 1;
        for (var t = 0; t < LANE; t++) {
            if (j * LANE + t < K) {
                lane += entries[j * LANE + t] * e;
            }
            e = e * (1 << ENTRY_BITS);
        }
        lanes[j] <== lane;
    }

    var CHUNKS = (LANES + 14) \ 15;
    component head = Poseidon(3);
    head.inputs[0] <== context;
    head.inputs[1] <== salt;
    head.inputs[2] <== count;
    component chain[CHUNKS];
    signal links[CHUNKS + 1];
    links[0] <== head.out;
    for (var c = 0; c < CHUNKS; c++) {
        var size = LANES - c * 15;
        if (size > 15) {
            size = 15;
        }
        chain[c] = Poseidon(size + 1);
        chain[c].inputs[0] <== links[c];
        for (var t = 0; t < size; t++) {
            chain[c].inputs[t + 1] <== lanes[c * 15 + t];
        }
        links[c + 1] <== chain[c].out;
    }
    commitment === links[CHUNKS];
}
