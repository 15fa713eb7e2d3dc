pragma circom 2.1.0;

// Proof that one chunk of a sparse model update obeys its task's policy bounds, carried over from the chunks
// before it by a running state, and bound to (task, round, member). An update of n non-zeros is proven in
// max(1, ceil(n / K)) chunks of K slots; the contract checks that each chunk continues the state the one
// before it ended in, so what every chunk proves holds for the whole update. An update of at most K entries
// is one chunk that starts from `previous = 0`.
//
// Public inputs, in this order: commitment, context, bounds, previous (no outputs).
//   context  = task << 192 | round << 160 | member              (computed by the contract)
//   bounds   = d | k << 32 | lInf << 64 | l2Sq << 128           (d, k < 2^32; lInf < 2^64; l2Sq < 2^96)
//   previous = the state the chunk continues: 0 for the first chunk, else the state the previous chunk ended in
//   commitment = the state this chunk ends in; the last chunk's is the update's commitment
//
// State after a chunk (hiding: chain descends from a random salt):
//   state = Poseidon(context, chain, sumSquares + next * 2^96 + count * 2^129)
//     chain      hash of everything so far: the random salt at the start, then per chunk
//                chain = Poseidon(chain, count, lanes[0..14)) and chain = Poseidon(chain, lanes...) per further 15
//     sumSquares sum of value^2 over all entries so far (<= l2Sq)
//     next       the smallest index the next entry may have (last index + 1; 0 at the start)
//     count      entries so far (<= k)
// The three totals share one field element: each is range-checked (sumSquares < 2^96, next <= 2^32,
// count < 2^32) where it enters or leaves a state, so the packing is injective. Context is hashed into every
// state, so the chain need not start from it.
// The first chunk's state is fixed (previous = 0 selects it; no Poseidon output is 0 except with negligible
// probability, and the contract refuses 0 as an intermediate state), so no prover can start mid-way with sums
// of its choosing. Every later chunk opens `previous` to its parts, range-checks them, and continues.
//
// Private inputs: salt, chainIn, sumSquaresIn, nextIn, countIn (ignored in the first chunk), entries[K],
// active[K]. An active entry packs index and offset value:
//   entry = idx * 2^VAL_BITS + (value + lInf)
// u = value + lInf is range-checked to VAL_BITS bits and idx is pinned to [0, d) by the chain of gap checks, so
// no field element can wrap around into a small-looking index or value and every entry has one decoding
// (below 2^(IDX_BITS + VAL_BITS)). Active slots come first; inactive slots hold 0.
//
// Lanes: every LANE = floor(253 / (IDX_BITS + VAL_BITS)) consecutive entries (K padded with zeros) are
// concatenated little-endian into one field element, lane = sum_t entry_t * 2^(t * (IDX_BITS + VAL_BITS));
// injective because each entry is range-checked and LANE * (IDX_BITS + VAL_BITS) <= 253 < log2(p).
// count is hashed into the chain with each chunk's lanes because entries alone are ambiguous in one case: a
// single entry (index 0, value -lInf) packs to 0, like an empty slot. src/zk/commitment.ts computes the same
// bits; test/vectors/commitment.json pins both.

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

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

// The per-slot rules of one chunk, given each entry's two parts (index, offset value u = value + lInf) as the
// prover supplies them: UpdateBounds computes them as witness hints, so these constraints alone must make
// every other decoding fail (test/circuits/soundness.test.ts drives this template with adversarial parts).
// entry = idx * 2^VAL_BITS + offset with offset < 2^VAL_BITS, and idx a small non-negative integer: the gap
// checks chain every active idx up from nextStart (the caller range-checks it below 2^(IDX_BITS + 1)) in
// steps below 2^IDX_BITS and end it below d, so no idx can be a wrapped field element. An inactive slot holds
// entry 0, and its gap check (d - idx - 1 below 2^IDX_BITS) then leaves only idx = offset = 0. So each entry
// decodes one way only, without a decomposition of all IDX_BITS + VAL_BITS bits.
// Outputs: count of active slots, the sum over all K slots of (offset - lInf)^2 (an inactive slot adds
// lInf^2), and the index the next chunk's entries must start from (nextStart when the chunk is empty).
template ChunkSlots(K, IDX_BITS, VAL_BITS) {
    signal input entries[K];
    signal input active[K];
    signal input idx[K];
    signal input offset[K];
    signal input d;
    signal input lInf;
    signal input nextStart;
    signal output count;
    signal output sumSquares;
    signal output nextEnd;

    component offsetFits[K];
    component valueFits[K];
    component gapFits[K];
    signal next[K];
    signal square[K];
    signal lastPlusOne[K];
    var countLc = 0;
    var sumSquaresLc = 0;
    var nextOutLc = 0;

    for (var i = 0; i < K; i++) {
        entries[i] === idx[i] * (1 << VAL_BITS) + offset[i];
        offsetFits[i] = FitsBits(VAL_BITS);
        offsetFits[i].in <== offset[i];

        // Flags are boolean, active slots first, inactive slots empty. One constraint per slot does both:
        // active[i] is 0 or equal to active[i - 1], so by induction from a boolean active[0] every flag is
        // boolean and a 1 follows only a 1.
        if (i == 0) {
            active[0] * (active[0] - 1) === 0;
        } else {
            active[i] * (active[i - 1] - active[i]) === 0;
        }
        entries[i] * (1 - active[i]) === 0;
        countLc += active[i];

        // |value| <= lInf  <=>  0 <= u <= 2 * lInf (u >= 0 from offsetFits).
        valueFits[i] = FitsBits(VAL_BITS);
        valueFits[i].in <== 2 * lInf - offset[i];

        square[i] <== (offset[i] - lInf) * (offset[i] - lInf);
        sumSquaresLc += square[i];

        // Slot i holds the chunk's last entry exactly when active[i] - active[i + 1] = 1 (flags are
        // non-increasing); the next chunk's entries must then start above idx[i].
        if (i < K - 1) {
            lastPlusOne[i] <== (active[i] - active[i + 1]) * (idx[i] + 1);
        } else {
            lastPlusOne[i] <== active[i] * (idx[i] + 1);
        }
        nextOutLc += lastPlusOne[i];
    }

    // The first entry continues the previous chunk's order: idx[0] >= nextStart when slot 0 is active.
    signal firstGap <== active[0] * (idx[0] - nextStart);
    component firstGapFits = FitsBits(IDX_BITS);
    firstGapFits.in <== firstGap;

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

    count <== countLc;
    sumSquares <== sumSquaresLc;
    // An empty chunk leaves `next` where it was.
    nextEnd <== nextOutLc + (1 - active[0]) * nextStart;
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
    signal input previous;
    signal input salt;
    signal input chainIn;
    signal input sumSquaresIn;
    signal input nextIn;
    signal input countIn;
    signal input entries[K];
    signal input active[K];

    // --- the policy, decomposed once ---------------------------------------------------------------------
    // Only the bits a representable policy can have get a signal: d below 2^(IDX_BITS + 1), lInf below
    // 2^(VAL_BITS - 1) (so every offset value u = value + lInf in [0, 2 * lInf] has VAL_BITS bits), k and
    // l2Sq in full. The fields do not overlap and end below bit 224 < log2(p), so the decomposition is unique
    // and `bounds` with a bit set anywhere else (a larger d or lInf) has no witness at all.
    var D_BITS = IDX_BITS + 1;
    var LINF_BITS = VAL_BITS - 1;
    component dBits = Num2Bits(D_BITS);
    component kBits = Num2Bits(32);
    component lInfBits = Num2Bits(LINF_BITS);
    component l2SqBits = Num2Bits(96);
    signal d <-- bounds & ((1 << D_BITS) - 1);
    signal k <-- (bounds >> 32) & 0xFFFFFFFF;
    signal lInf <-- (bounds >> 64) & ((1 << LINF_BITS) - 1);
    signal l2Sq <-- (bounds >> 128) & ((1 << 96) - 1);
    dBits.in <== d;
    kBits.in <== k;
    lInfBits.in <== lInf;
    l2SqBits.in <== l2Sq;
    bounds === d + k * (1 << 32) + lInf * (1 << 64) + l2Sq * (1 << 128);
    signal lInfSq <== lInf * lInf;

    // 1 <= d <= 2^IDX_BITS: every index below d has IDX_BITS bits (d >= 1 comes from the gap checks below).
    component dFits = FitsBits(IDX_BITS + 1);
    dFits.in <== (1 << IDX_BITS) - d;

    // --- the state this chunk continues --------------------------------------------------------------------
    // first = 1 exactly when previous = 0: then the state is the start (chain = salt, sums 0). Otherwise
    // previous must open to (context, chainIn, sumSquaresIn, nextIn, countIn); context is part of the
    // opening, so a chunk of another member's, round's or task's update cannot be spliced in.
    component isFirst = IsZero();
    isFirst.in <== previous;
    signal first <== isFirst.out;
    component opened = Poseidon(3);
    opened.inputs[0] <== context;
    opened.inputs[1] <== chainIn;
    opened.inputs[2] <== sumSquaresIn + nextIn * (1 << 96) + countIn * (1 << 129);
    (1 - first) * (opened.out - previous) === 0;
    signal chainStart <== chainIn + first * (salt - chainIn);
    signal sumSquaresStart <== (1 - first) * sumSquaresIn;
    signal nextStart <== (1 - first) * nextIn;
    signal countStart <== (1 - first) * countIn;
    // Range of the carried values. A state that opens was produced by a proof of the previous chunk, which
    // checked all of this already; checking again keeps each chunk's statement sound on its own.
    component sumInFits = FitsBits(96);
    sumInFits.in <== sumSquaresStart;
    component nextInFits = FitsBits(IDX_BITS + 1);
    nextInFits.in <== nextStart;
    component countInFits = FitsBits(32);
    countInFits.in <== countStart;

    // --- entries -----------------------------------------------------------------------------------------
    // Each entry's parts are hints; ChunkSlots constrains them so that only the honest decoding satisfies it.
    signal idx[K];
    signal offset[K];
    component slots = ChunkSlots(K, IDX_BITS, VAL_BITS);
    for (var i = 0; i < K; i++) {
        idx[i] <-- entries[i] >> VAL_BITS;
        offset[i] <-- entries[i] & ((1 << VAL_BITS) - 1);
        slots.entries[i] <== entries[i];
        slots.active[i] <== active[i];
        slots.idx[i] <== idx[i];
        slots.offset[i] <== offset[i];
    }
    slots.d <== d;
    slots.lInf <== lInf;
    slots.nextStart <== nextStart;
    signal count <== slots.count;
    signal sumSquares <== slots.sumSquares;

    // --- the state this chunk ends in ------------------------------------------------------------------------
    // count <= k over the whole update so far (k < 2^32; countStart >= 0 and the chunk adds at most K).
    signal countOut <== countStart + count;
    component countFits = FitsBits(32);
    countFits.in <== k - countOut;

    // Sum of squares over the whole update so far <= l2Sq. Each inactive slot contributed (0 - lInf)^2 above.
    signal inactiveSquares <== (K - count) * lInfSq;
    signal sumSquaresOut <== sumSquaresStart + sumSquares - inactiveSquares;
    component l2Fits = FitsBits(96);
    l2Fits.in <== l2Sq - sumSquaresOut;

    signal nextOut <== slots.nextEnd;

    signal lanes[LANES];
    for (var j = 0; j < LANES; j++) {
        var lane = 0;
        var e = 1;
        for (var t = 0; t < LANE; t++) {
            if (j * LANE + t < K) {
                lane += entries[j * LANE + t] * e;
            }
            e = e * (1 << ENTRY_BITS);
        }
        lanes[j] <== lane;
    }

    // The chunk's lanes: the first hash takes the chain, the count so far and up to 14 lanes; each further
    // hash the chain and up to 15.
    var FIRST = LANES < 14 ? LANES : 14;
    var REST = (LANES - FIRST + 14) \ 15;
    component head = Poseidon(FIRST + 2);
    head.inputs[0] <== chainStart;
    head.inputs[1] <== countOut;
    for (var t = 0; t < FIRST; t++) {
        head.inputs[t + 2] <== lanes[t];
    }
    component more[REST];
    signal links[REST + 1];
    links[0] <== head.out;
    for (var c = 0; c < REST; c++) {
        var size = LANES - FIRST - c * 15;
        if (size > 15) {
            size = 15;
        }
        more[c] = Poseidon(size + 1);
        more[c].inputs[0] <== links[c];
        for (var t = 0; t < size; t++) {
            more[c].inputs[t + 1] <== lanes[FIRST + c * 15 + t];
        }
        links[c + 1] <== more[c].out;
    }

    // sumSquaresOut is in [0, l2Sq] (a sum of squares of range-checked values), nextOut <= d <= 2^IDX_BITS and
    // countOut <= k < 2^32: the packing below cannot overlap.
    component state = Poseidon(3);
    state.inputs[0] <== context;
    state.inputs[1] <== links[REST];
    state.inputs[2] <== sumSquaresOut + nextOut * (1 << 96) + countOut * (1 << 129);
    commitment === state.out;
}
