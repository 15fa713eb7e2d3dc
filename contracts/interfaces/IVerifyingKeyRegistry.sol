// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @title IVerifyingKeyRegistry
/// @notice Groth16 verifying keys of the update-bounds circuit, stored as data and checked by one generic
/// verifier, so that the key a policy pins by hash is exactly the key every proof is checked against.
/// A registry is created by its consortium (its only writer); governance registers keys by proposal, and
/// declares each key's circuit shape and whether it is development-only.
/// @dev Key layout (uint256 words, the order the BN254 precompiles take them):
///   [0..1]   alpha1 (x, y)
///   [2..5]   beta2  (x_imaginary, x_real, y_imaginary, y_real)
///   [6..9]   gamma2 (same order)
///   [10..13] delta2 (same order)
///   [14..]   IC[0..n] as (x, y) pairs, n = number of public signals (3 for update proofs)
/// The key hash is keccak256(abi.encodePacked(words)).
interface IVerifyingKeyRegistry {
    /// @notice What a circuit instance can prove (its template parameters).
    /// @param maxEntries K, the most non-zero entries one proof covers.
    /// @param indexBits IDX_BITS: indices are below 2^indexBits.
    /// @param valueBits VAL_BITS: |value| is below 2^(valueBits-1).
    struct CircuitShape {
        uint32 maxEntries;
        uint8 indexBits;
        uint8 valueBits;
    }

    /// @notice A registered key.
    /// @param shape The circuit shape governance declared for the key.
    /// @param developmentOnly Whether the key came from a development setup (its toxic waste is public).
    /// @param data Address of the contract whose code holds the key words (write-once storage).
    struct KeyInfo {
        CircuitShape shape;
        bool developmentOnly;
        address data;
    }

    /// @notice Only the consortium that created the registry may register keys.
    error VerifyingKeyRegistry__NotConsortium(address account);
    /// @notice No key with this hash was registered.
    error VerifyingKeyRegistry__UnknownKey(bytes32 keyHash);
    /// @notice A key with this hash was registered already.
    error VerifyingKeyRegistry__AlreadyRegistered(bytes32 keyHash);
    /// @notice The key does not have the update circuit's layout (14 + 2 * (3 + 1) words).
    error VerifyingKeyRegistry__MalformedKey(uint256 words);
    /// @notice A key coordinate is not a base-field element or a point is not on its curve.
    /// @param index The word index of the out-of-range coordinate, or of the first word of the invalid point.
    error VerifyingKeyRegistry__InvalidPoint(uint256 index);
    /// @notice A declared shape outside what the circuit template supports.
    error VerifyingKeyRegistry__InvalidShape(uint32 maxEntries, uint8 indexBits, uint8 valueBits);

    /// @notice A key was registered.
    event VerifyingKeyRegistered(
        bytes32 indexed keyHash,
        uint32 maxEntries,
        uint8 indexBits,
        uint8 valueBits,
        bool developmentOnly,
        address data
    );

    /// @notice Registers a verifying key (consortium only, through a governance proposal).
    /// @param key The key words in the layout above.
    /// @param shape The circuit shape the key belongs to.
    /// @param developmentOnly Whether the key comes from a development setup.
    /// @return keyHash keccak256 of the packed key words.
    function register(
        uint256[] calldata key,
        CircuitShape calldata shape,
        bool developmentOnly
    ) external returns (bytes32 keyHash);

    /// @notice A registered key's record (reverts for unknown keys).
    /// @param keyHash The key hash.
    /// @return The record.
    function keyInfo(bytes32 keyHash) external view returns (KeyInfo memory);

    /// @notice Whether a key hash is registered.
    /// @param keyHash The key hash.
    /// @return True when registered.
    function isRegistered(bytes32 keyHash) external view returns (bool);

    /// @notice The key words of a registered key (reverts for unknown keys).
    /// @param keyHash The key hash.
    /// @return The words.
    function keyWords(bytes32 keyHash) external view returns (uint256[] memory);

    /// @notice Checks a Groth16 update proof against a registered key.
    /// @dev Returns false (never reverts) for a proof that does not verify, a signal not below the scalar
    /// field or a proof coordinate not below the base field; reverts only for an unknown key.
    /// @param keyHash The key.
    /// @param proof [a0, a1, b00, b01, b10, b11, c0, c1] as `toSolidityProof` in src/zk lays it out
    /// (b's coordinates already in precompile order).
    /// @param publicSignals [commitment, context, bounds, previous].
    /// @return True when the proof verifies.
    function verifyUpdateProof(
        bytes32 keyHash,
        uint256[8] calldata proof,
        uint256[4] calldata publicSignals
    ) external view returns (bool);

    /// @notice Checks several Groth16 proofs of one key in one batched pairing check (a random linear
    /// combination of their equations, `Groth16.verifyBatch`): the chunk proofs of one update.
    /// @dev Returns false (never reverts) when any proof would fail `verifyUpdateProof`, for an empty batch or
    /// one whose lists differ in length; reverts only for an unknown key.
    /// @param keyHash The key.
    /// @param proofs The proofs, each laid out as in `verifyUpdateProof`.
    /// @param publicSignals Each proof's [commitment, context, bounds, previous].
    /// @return True when every proof verifies.
    function verifyUpdateProofs(
        bytes32 keyHash,
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) external view returns (bool);
}
