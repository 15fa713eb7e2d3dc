// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVerifyingKeyRegistry} from "./interfaces/IVerifyingKeyRegistry.sol";
import {Groth16} from "./zk/Groth16.sol";

/// @title VerifyingKeyRegistry
/// @notice Write-once store of Groth16 verifying keys of the update-bounds circuit, each under the hash of its
/// words, and the one generic verifier that checks update proofs against them. A task policy pins a key
/// hash; because proofs are checked against the words stored under that hash, the pinned key is provably the
/// key used.
/// @dev Keys are stored as contract code (the SSTORE2 pattern): register deploys a data contract whose
/// runtime code is 0x00 (STOP, so calling it does nothing) followed by the packed words, and verification
/// reads them back with one EXTCODECOPY. Code cannot change, so a key is immutable once registered.
/// Validation on register: the word count, every word below the base field Q, alpha and every IC point on
/// y^2 = x^3 + 3, and beta, gamma, delta not the point at infinity and accepted by the pairing precompile
/// (EIP-197 refuses a G2 point off the twist or outside the r-torsion subgroup, whatever its G1 partner).
/// InvalidPoint's index is the word index of an out-of-range coordinate, or of the first word of a point
/// that fails a curve check.
contract VerifyingKeyRegistry is IVerifyingKeyRegistry {
    /// @notice The only account that may register keys: whoever created the registry.
    address public immutable consortium;

    mapping(bytes32 keyHash => KeyInfo info) private _keys;

    constructor() {
        consortium = msg.sender;
    }

    /// @inheritdoc IVerifyingKeyRegistry
    function register(
        uint256[] calldata key,
        CircuitShape calldata shape,
        bool developmentOnly
    ) external returns (bytes32 keyHash) {
        if (msg.sender != consortium) revert VerifyingKeyRegistry__NotConsortium(msg.sender);
        if (key.length != Groth16.KEY_WORDS) revert VerifyingKeyRegistry__MalformedKey(key.length);
        _checkShape(shape);
        keyHash = keccak256(abi.encodePacked(key));
        if (_keys[keyHash].data != address(0)) revert VerifyingKeyRegistry__AlreadyRegistered(keyHash);
        _checkPoints(key);

        address data = _storeWords(abi.encodePacked(key));
        _keys[keyHash] = KeyInfo({shape: shape, developmentOnly: developmentOnly, data: data});
        emit VerifyingKeyRegistered(
            keyHash,
            shape.maxEntries,
            shape.indexBits,
            shape.valueBits,
            developmentOnly,
            data
        );
    }

    /// @inheritdoc IVerifyingKeyRegistry
    function keyInfo(bytes32 keyHash) external view returns (KeyInfo memory) {
        KeyInfo memory info = _keys[keyHash];
        if (info.data == address(0)) revert VerifyingKeyRegistry__UnknownKey(keyHash);
        return info;
    }

    /// @inheritdoc IVerifyingKeyRegistry
    function isRegistered(bytes32 keyHash) external view returns (bool) {
        return _keys[keyHash].data != address(0);
    }

    /// @inheritdoc IVerifyingKeyRegistry
    function keyWords(bytes32 keyHash) external view returns (uint256[] memory) {
        return _loadWords(keyHash);
    }

    /// @inheritdoc IVerifyingKeyRegistry
    function verifyUpdateProof(
        bytes32 keyHash,
        uint256[8] calldata proof,
        uint256[4] calldata publicSignals
    ) external view returns (bool) {
        return Groth16.verify(_loadWords(keyHash), proof, publicSignals);
    }

    /// @inheritdoc IVerifyingKeyRegistry
    function verifyUpdateProofs(
        bytes32 keyHash,
        uint256[8][] calldata proofs,
        uint256[4][] calldata publicSignals
    ) external view returns (bool) {
        return Groth16.verifyBatch(_loadWords(keyHash), proofs, publicSignals);
    }

    /// @dev The words of a registered key, read from its data contract (reverts for unknown keys).
    function _loadWords(bytes32 keyHash) private view returns (uint256[] memory words) {
        address data = _keys[keyHash].data;
        if (data == address(0)) revert VerifyingKeyRegistry__UnknownKey(keyHash);
        words = new uint256[](Groth16.KEY_WORDS);
        // Every data contract holds exactly KEY_WORDS words after its 0x00 prefix (register checks the
        // count and nothing else writes), so one copy of a fixed length fills the array.
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            extcodecopy(data, add(words, 0x20), 1, mul(mload(words), 0x20))
        }
    }

    /// @dev Deploys a data contract whose runtime code is 0x00 || payload and returns its address.
    function _storeWords(bytes memory payload) private returns (address data) {
        bytes memory runtime = abi.encodePacked(hex"00", payload);
        // Init code: PUSH4 len, DUP1, PUSH1 14, PUSH1 0, CODECOPY, PUSH1 0, RETURN (14 bytes), which copies
        // the runtime that follows it into memory and returns it as the new contract's code. The runtime is
        // 1 + 32 * KEY_WORDS bytes, far below 2^32, so the uint32 length cannot truncate.
        bytes memory init = abi.encodePacked(
            hex"63",
            uint32(runtime.length),
            hex"80600e6000396000f3",
            runtime
        );
        // solhint-disable-next-line no-inline-assembly
        assembly ("memory-safe") {
            data := create(0, add(init, 0x20), mload(init))
            // CREATE from this contract can only fail by running out of gas (the init code cannot revert and
            // the nonce-derived address is fresh), so fail the way out-of-gas does: no reason data.
            if iszero(data) {
                revert(0, 0)
            }
        }
    }

    /// @dev The shapes circuits/instances.json accepts for the UpdateBounds template.
    function _checkShape(CircuitShape calldata shape) private pure {
        if (
            shape.maxEntries < 1 ||
            shape.indexBits < 1 ||
            shape.indexBits > 32 ||
            shape.valueBits < 2 ||
            shape.valueBits > 64
        ) {
            revert VerifyingKeyRegistry__InvalidShape(shape.maxEntries, shape.indexBits, shape.valueBits);
        }
    }

    /// @dev Field range of every word, then the curve checks (see the contract's NatSpec).
    function _checkPoints(uint256[] calldata key) private view {
        for (uint256 i = 0; i < key.length; i++) {
            if (key[i] >= Groth16.Q) revert VerifyingKeyRegistry__InvalidPoint(i);
        }
        _checkG1(key, Groth16.ALPHA);
        _checkG2(key, Groth16.BETA);
        _checkG2(key, Groth16.GAMMA);
        _checkG2(key, Groth16.DELTA);
        for (uint256 at = Groth16.IC; at < key.length; at += 2) _checkG1(key, at);
    }

    /// @dev y^2 == x^3 + 3 over F_Q. G1 has cofactor 1, so on the curve means in the group; the point at
    /// infinity, (0, 0) in EIP-196's encoding, fails the equation and is refused: no sound key has it.
    function _checkG1(uint256[] calldata key, uint256 at) private pure {
        uint256 x = key[at];
        uint256 y = key[at + 1];
        uint256 lhs = mulmod(y, y, Groth16.Q);
        uint256 rhs = addmod(mulmod(mulmod(x, x, Groth16.Q), x, Groth16.Q), 3, Groth16.Q);
        if (lhs != rhs) revert VerifyingKeyRegistry__InvalidPoint(at);
    }

    /// @dev A G2 point must not be infinity (gamma = 0 would ignore the public inputs, delta = 0 ignore C)
    /// and must pass the pairing precompile's own validation: e((0, 0), P) == 1 for every valid P, and the
    /// call fails for P off the twist or outside the subgroup, so verifications would fail for good.
    function _checkG2(uint256[] calldata key, uint256 at) private view {
        if ((key[at] | key[at + 1] | key[at + 2] | key[at + 3]) == 0) {
            revert VerifyingKeyRegistry__InvalidPoint(at);
        }
        uint256[] memory input = new uint256[](Groth16.PAIR_WORDS);
        for (uint256 i = 0; i < 4; i++) input[2 + i] = key[at + i];
        if (!Groth16.pairing(input)) revert VerifyingKeyRegistry__InvalidPoint(at);
    }
}
