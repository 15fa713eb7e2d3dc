// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVerifyingKeyRegistry} from "../interfaces/IVerifyingKeyRegistry.sol";
import {VerifyingKeyRegistry} from "../VerifyingKeyRegistry.sol";

/// @title VerifyingKeyRegistryHarness
/// @notice TEST ONLY. Stands in for the Consortium: creates a registry (becoming its consortium) and forwards
/// `register` from anyone, so the registry can be tested without governance proposals.
contract VerifyingKeyRegistryHarness {
    /// @notice The registry this harness created and may write to.
    VerifyingKeyRegistry public immutable registry;

    constructor() {
        registry = new VerifyingKeyRegistry();
    }

    /// @notice Forwards to the registry as its consortium.
    /// @param key The key words.
    /// @param shape The circuit shape.
    /// @param developmentOnly Whether the key is development-only.
    /// @return keyHash The registered key's hash.
    function register(
        uint256[] calldata key,
        IVerifyingKeyRegistry.CircuitShape calldata shape,
        bool developmentOnly
    ) external returns (bytes32 keyHash) {
        return registry.register(key, shape, developmentOnly);
    }
}
