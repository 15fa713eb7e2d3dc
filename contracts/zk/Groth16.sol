// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title Groth16
/// @notice A generic Groth16 verifier over BN254 (alt_bn128) whose verifying key is data, not code: one
/// audited routine checks proofs for every key a registry holds, so the key a policy pins by hash is the
/// key the proof is checked against.
/// @dev Same statement as snarkjs's generated verifier (templates/verifier_groth16.sol.ejs):
///   e(-A, B) · e(alpha, beta) · e(vk_x, gamma) · e(C, delta) == 1,  vk_x = IC[0] + Σ s_i · IC[i+1],
/// computed with the EIP-196 (0x06 ecAdd, 0x07 ecMul) and EIP-197 (0x08 pairing) precompiles.
/// Key layout (uint256 words, in the order the precompiles take them; see IVerifyingKeyRegistry):
///   [0..1] alpha1 (x, y), [2..5] beta2, [6..9] gamma2, [10..13] delta2, each G2 point as
///   (x_imaginary, x_real, y_imaginary, y_real), then [14..23] IC[0..4] as (x, y) pairs.
/// Proof layout: [A.x, A.y, B.x_im, B.x_re, B.y_im, B.y_re, C.x, C.y] (`toSolidityProof` in src/zk).
/// Every check returns false instead of reverting, so a caller can treat "bad input" and "wrong proof"
/// alike. `verifyBatch` checks several proofs of one key with one pairing call: a random linear combination
/// of their equations (n + 3 pairs instead of 4n).
library Groth16 {
    /// @notice Order of the BN254 scalar field: public signals are elements of F_r.
    uint256 internal constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;
    /// @notice Order of the BN254 base field: point coordinates are elements of F_q.
    uint256 internal constant Q =
        21888242871839275222246405745257275088696311157297823662689037894645226208583;

    /// @notice Public signals of an update (chunk) proof: [commitment, context, bounds, previous].
    uint256 internal constant PUBLIC_SIGNALS = 4;
    /// @notice Words of an update-circuit key: alpha (2) + beta, gamma, delta (4 each) + IC (2 per signal + 2).
    uint256 internal constant KEY_WORDS = 14 + 2 * (PUBLIC_SIGNALS + 1);

    /// @notice Word offsets of the key's parts.
    uint256 internal constant ALPHA = 0;
    uint256 internal constant BETA = 2;
    uint256 internal constant GAMMA = 6;
    uint256 internal constant DELTA = 10;
    uint256 internal constant IC = 14;

    /// @notice Words of one pairing pair as EIP-197 takes it: G1 (x, y) then G2 (4 words).
    uint256 internal constant PAIR_WORDS = 6;

    /// @notice Checks one proof against one key.
    /// @param key The key words (KEY_WORDS of them, coordinates already validated by whoever stored them).
    /// @param proof [A.x, A.y, B.x_im, B.x_re, B.y_im, B.y_re, C.x, C.y].
    /// @param publicSignals [commitment, context, bounds, previous].
    /// @return True when the proof verifies; false for a wrong proof, a malformed key, a signal not below R,
    /// a proof coordinate not below Q, or a point the precompiles reject.
    function verify(
        uint256[] memory key,
        uint256[8] memory proof,
        uint256[PUBLIC_SIGNALS] memory publicSignals
    ) internal view returns (bool) {
        if (key.length != KEY_WORDS) return false;
        if (!canonical(proof, publicSignals)) return false;
        (bool ok, uint256 vkX, uint256 vkY) = linearCombination(key, publicSignals);
        if (!ok) return false;
        return pairing(pairingInput(key, proof, vkX, vkY));
    }

    /// @notice Checks several proofs against one key at once: true exactly when (up to a probability of
    /// about n / R) every proof verifies on its own.
    /// @dev Each proof's equation e(-A_i, B_i) · e(alpha, beta) · e(vk_x_i, gamma) · e(C_i, delta) = 1 is
    /// raised to a factor r_i and the results multiplied. The pairs that share a G2 point merge:
    ///   Π e(-r_i·A_i, B_i) · e((Σ r_i)·alpha, beta) · e(Σ r_i·vk_x_i, gamma) · e(Σ r_i·C_i, delta) = 1,
    /// with Σ r_i·vk_x_i = (Σ r_i)·IC[0] + Σ_j (Σ_i r_i·s_ij)·IC[j+1] summed as scalars first: n + 3 pairs and
    /// 2n + 6 scalar multiplications instead of 4n pairs and 4n. The factors are drawn by hashing every proof
    /// and signal (Fiat-Shamir): they are fixed only once the proofs are, so a prover cannot choose proofs that
    /// cancel each other's errors except by a hash collision or an equation that holds by chance.
    /// @param key The key words.
    /// @param proofs The proofs, each laid out as in `verify`.
    /// @param publicSignals Each proof's [commitment, context, bounds, previous].
    /// @return True when every proof verifies; false for an empty or mismatched batch, or any input `verify`
    /// would refuse.
    function verifyBatch(
        uint256[] memory key,
        uint256[8][] memory proofs,
        uint256[PUBLIC_SIGNALS][] memory publicSignals
    ) internal view returns (bool) {
        uint256 n = proofs.length;
        if (key.length != KEY_WORDS || n == 0 || publicSignals.length != n) return false;
        for (uint256 i = 0; i < n; i++) {
            if (!canonical(proofs[i], publicSignals[i])) return false;
        }
        uint256 seed = uint256(keccak256(abi.encode(proofs, publicSignals)));
        uint256[] memory input = new uint256[]((n + 3) * PAIR_WORDS);
        Batch memory batch;
        for (uint256 i = 0; i < n; i++) {
            if (!_addToBatch(batch, input, i, _factor(seed, i), proofs[i], publicSignals[i])) return false;
        }
        uint256 tail = n * PAIR_WORDS;
        bool ok;
        (ok, input[tail], input[tail + 1]) = ecMul(key[ALPHA], key[ALPHA + 1], batch.rSum);
        if (!ok) return false;
        for (uint256 w = 0; w < 4; w++) input[tail + 2 + w] = key[BETA + w];
        (ok, input[tail + 6], input[tail + 7]) = _batchedInputs(key, batch.rSum, batch.signalSums);
        if (!ok) return false;
        for (uint256 w = 0; w < 4; w++) input[tail + 8 + w] = key[GAMMA + w];
        input[tail + 12] = batch.cX;
        input[tail + 13] = batch.cY;
        for (uint256 w = 0; w < 4; w++) input[tail + 14 + w] = key[DELTA + w];
        return pairing(input);
    }

    /// @dev Running sums of a batch: Σ r_i, Σ r_i·s_ij per signal j, and Σ r_i·C_i.
    struct Batch {
        uint256 rSum;
        uint256[PUBLIC_SIGNALS] signalSums;
        uint256 cX;
        uint256 cY;
    }

    /// @dev Adds proof i with factor r: its (-r·A_i, B_i) pair into `input`, r into the sums.
    function _addToBatch(
        Batch memory batch,
        uint256[] memory input,
        uint256 i,
        uint256 r,
        uint256[8] memory proof,
        uint256[PUBLIC_SIGNALS] memory signals
    ) private view returns (bool ok) {
        batch.rSum = addmod(batch.rSum, r, R);
        for (uint256 j = 0; j < PUBLIC_SIGNALS; j++) {
            batch.signalSums[j] = addmod(batch.signalSums[j], mulmod(r, signals[j], R), R);
        }
        // (R - r)·A = -(r·A): the negation rides on the scalar.
        uint256 at = i * PAIR_WORDS;
        (ok, input[at], input[at + 1]) = ecMul(proof[0], proof[1], R - r);
        if (!ok) return false;
        for (uint256 w = 0; w < 4; w++) input[at + 2 + w] = proof[2 + w];
        (bool mulOk, uint256 px, uint256 py) = ecMul(proof[6], proof[7], r);
        if (!mulOk) return false;
        (ok, batch.cX, batch.cY) = ecAdd(batch.cX, batch.cY, px, py);
    }

    /// @notice Whether every signal is below R and every proof coordinate below Q.
    /// @dev Signals must be canonical field elements: s and s + R would otherwise both verify (ecMul reduces
    /// the scalar), and the contract binds a proof to the exact integers it computed. Coordinates must be
    /// canonical too: the pairing precompile rejects x >= Q, but A.y is negated first, and (Q - y) mod Q of an
    /// out-of-range y is a different, unchecked number; refusing them keeps one byte string per proof.
    /// @param proof The proof words.
    /// @param publicSignals The public signals.
    /// @return True when both are canonical.
    function canonical(
        uint256[8] memory proof,
        uint256[PUBLIC_SIGNALS] memory publicSignals
    ) internal pure returns (bool) {
        for (uint256 i = 0; i < PUBLIC_SIGNALS; i++) {
            if (publicSignals[i] >= R) return false;
        }
        for (uint256 i = 0; i < 8; i++) {
            if (proof[i] >= Q) return false;
        }
        return true;
    }

    /// @dev The i-th batching factor: a hash of the seed and i, reduced into [1, R).
    function _factor(uint256 seed, uint256 i) private pure returns (uint256) {
        return (uint256(keccak256(abi.encode(seed, i))) % (R - 1)) + 1;
    }

    /// @dev (Σ r_i)·IC[0] + Σ_j (Σ_i r_i·s_ij)·IC[j+1]: the batch's combined public-input point.
    function _batchedInputs(
        uint256[] memory key,
        uint256 rSum,
        uint256[PUBLIC_SIGNALS] memory signalSums
    ) private view returns (bool ok, uint256 x, uint256 y) {
        (ok, x, y) = ecMul(key[IC], key[IC + 1], rSum);
        if (!ok) return (false, 0, 0);
        for (uint256 j = 0; j < PUBLIC_SIGNALS; j++) {
            uint256 at = IC + 2 * (j + 1);
            (bool mulOk, uint256 px, uint256 py) = ecMul(key[at], key[at + 1], signalSums[j]);
            if (!mulOk) return (false, 0, 0);
            (ok, x, y) = ecAdd(x, y, px, py);
            if (!ok) return (false, 0, 0);
        }
    }

    /// @notice vk_x = IC[0] + Σ publicSignals[i] · IC[i + 1], the public inputs' point.
    /// @dev Signals are expected below R (verify checks); ecMul would reduce them anyway.
    /// @param key The key words.
    /// @param publicSignals The public signals.
    /// @return ok False when a precompile rejected an IC point.
    /// @return x The x coordinate of vk_x.
    /// @return y The y coordinate of vk_x.
    function linearCombination(
        uint256[] memory key,
        uint256[PUBLIC_SIGNALS] memory publicSignals
    ) internal view returns (bool ok, uint256 x, uint256 y) {
        x = key[IC];
        y = key[IC + 1];
        for (uint256 i = 0; i < PUBLIC_SIGNALS; i++) {
            uint256 at = IC + 2 * (i + 1);
            (bool mulOk, uint256 px, uint256 py) = ecMul(key[at], key[at + 1], publicSignals[i]);
            if (!mulOk) return (false, 0, 0);
            (ok, x, y) = ecAdd(x, y, px, py);
            if (!ok) return (false, 0, 0);
        }
        return (true, x, y);
    }

    /// @notice The four pairs of the verification equation, in EIP-197's input layout:
    /// (-A, B), (alpha, beta), (vk_x, gamma), (C, delta).
    /// @param key The key words.
    /// @param proof The proof words.
    /// @param vkX The x coordinate of vk_x.
    /// @param vkY The y coordinate of vk_x.
    /// @return input 4 * PAIR_WORDS words for the pairing precompile.
    function pairingInput(
        uint256[] memory key,
        uint256[8] memory proof,
        uint256 vkX,
        uint256 vkY
    ) internal pure returns (uint256[] memory input) {
        input = new uint256[](4 * PAIR_WORDS);
        // -A: negate y (A.y < Q was checked; the point at infinity (0, 0) stays (0, 0), as in snarkjs).
        input[0] = proof[0];
        input[1] = (Q - proof[1]) % Q;
        for (uint256 i = 0; i < 4; i++) input[2 + i] = proof[2 + i];
        input[6] = key[ALPHA];
        input[7] = key[ALPHA + 1];
        for (uint256 i = 0; i < 4; i++) input[8 + i] = key[BETA + i];
        input[12] = vkX;
        input[13] = vkY;
        for (uint256 i = 0; i < 4; i++) input[14 + i] = key[GAMMA + i];
        input[18] = proof[6];
        input[19] = proof[7];
        for (uint256 i = 0; i < 4; i++) input[20 + i] = key[DELTA + i];
    }

    /// @notice Whether the product of the pairings in `input` is one (EIP-197).
    /// @param input A multiple of PAIR_WORDS words.
    /// @return True when the precompile accepted the input and returned 1.
    function pairing(uint256[] memory input) internal view returns (bool) {
        if (input.length == 0 || input.length % PAIR_WORDS != 0) return false;
        uint256[1] memory out;
        bool success;
        // The precompile fails (success = false) for any coordinate not below Q, a point not on its curve
        // or a G2 point outside the r-torsion subgroup. `out` starts at 0, so a chain without the
        // precompile (call succeeds, returns nothing) reads as "does not verify".
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            success := staticcall(gas(), 0x08, add(input, 0x20), mul(mload(input), 0x20), out, 0x20)
        }
        return success && out[0] == 1;
    }

    /// @notice s · (x, y) on G1 (EIP-196 ecMul).
    /// @param x The point's x.
    /// @param y The point's y.
    /// @param s The scalar.
    /// @return ok False when the precompile rejected the point.
    /// @return rx The product's x.
    /// @return ry The product's y.
    function ecMul(uint256 x, uint256 y, uint256 s) internal view returns (bool ok, uint256 rx, uint256 ry) {
        uint256[3] memory input = [x, y, s];
        uint256[2] memory out;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x07, input, 0x60, out, 0x40)
        }
        return (ok, out[0], out[1]);
    }

    /// @notice (x1, y1) + (x2, y2) on G1 (EIP-196 ecAdd).
    /// @param x1 The first point's x.
    /// @param y1 The first point's y.
    /// @param x2 The second point's x.
    /// @param y2 The second point's y.
    /// @return ok False when the precompile rejected a point.
    /// @return rx The sum's x.
    /// @return ry The sum's y.
    function ecAdd(
        uint256 x1,
        uint256 y1,
        uint256 x2,
        uint256 y2
    ) internal view returns (bool ok, uint256 rx, uint256 ry) {
        uint256[4] memory input = [x1, y1, x2, y2];
        uint256[2] memory out;
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            ok := staticcall(gas(), 0x06, input, 0x80, out, 0x40)
        }
        return (ok, out[0], out[1]);
    }
}
