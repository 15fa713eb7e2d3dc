// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {
    IConsortium,
    ROLE_MEMBER,
    ROLE_AGGREGATOR,
    ROLE_AUDITOR,
    OP_OPEN_ROUND,
    OP_COMMIT_UPDATE,
    OP_PUBLISH_AGGREGATE,
    OP_ATTEST
} from "./interfaces/IConsortium.sol";
import {IFederatedRounds} from "./interfaces/IFederatedRounds.sol";
import {IUpdateProofVerifier} from "./interfaces/IUpdateProofVerifier.sol";

/// @title FederatedRounds
/// @notice Rounds of federated learning under the consortium's task policies; see IFederatedRounds.
contract FederatedRounds is IFederatedRounds {
    /// @notice The BN254 scalar field order: proof public signals must be below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice The consortium whose members and policies govern these rounds.
    IConsortium public immutable consortium;

    mapping(uint256 taskId => uint256) private _roundCount;
    mapping(uint256 taskId => mapping(uint256 round => Round)) private _rounds;
    mapping(uint256 taskId => mapping(uint256 round => mapping(address member => bytes32)))
        private _commitments;
    mapping(uint256 taskId => mapping(uint256 round => mapping(address auditor => bool))) private _attested;
    mapping(uint256 taskId => uint256) private _finalizedRound;
    mapping(uint256 taskId => bytes32) private _finalizedModelHash;

    /// @param consortium_ The consortium contract.
    constructor(IConsortium consortium_) {
        consortium = consortium_;
    }

    /// @inheritdoc IFederatedRounds
    function openRound(
        uint256 taskId,
        string calldata baseModelCid,
        bytes32 baseModelHash,
        uint64 deadline
    ) external returns (uint256 round) {
        if (taskId >= 1 << 32) revert FederatedRounds__OutOfRange(taskId);
        uint32 version = consortium.requireTaskAccess(taskId, msg.sender, ROLE_AGGREGATOR, OP_OPEN_ROUND);
        if (deadline <= block.timestamp) revert FederatedRounds__InvalidDeadline(deadline);
        if (bytes(baseModelCid).length == 0) revert FederatedRounds__EmptyCid();

        uint256 previous = _roundCount[taskId];
        if (previous != 0) {
            RoundStatus status = _rounds[taskId][previous].status;
            if (status != RoundStatus.Finalized && status != RoundStatus.Disputed) {
                revert FederatedRounds__PreviousRoundPending(taskId, previous);
            }
        }
        IConsortium.TaskPolicy memory policy = consortium.taskPolicy(taskId, version);
        bytes32 expected =
            _finalizedRound[taskId] == 0 ? policy.initialModelHash : _finalizedModelHash[taskId];
        if (baseModelHash != expected) revert FederatedRounds__BaseModelNotFinalized(baseModelHash, expected);

        round = previous + 1;
        if (round >= 1 << 32) revert FederatedRounds__OutOfRange(round);
        _roundCount[taskId] = round;
        _rounds[taskId][round] = Round({
            status: RoundStatus.Open,
            policyVersion: version,
            deadline: deadline,
            commitCount: 0,
            matchCount: 0,
            mismatchCount: 0,
            minParticipants: policy.minParticipants,
            attestationQuorum: policy.attestationQuorum,
            aggregator: msg.sender,
            verifier: policy.verifier,
            bounds: _packBounds(policy),
            baseModelHash: baseModelHash,
            modelHash: bytes32(0),
            outcomeHash: bytes32(0)
        });
        emit RoundOpened(taskId, round, msg.sender, version, baseModelCid, baseModelHash, deadline);
    }

    /// @inheritdoc IFederatedRounds
    function commitUpdate(
        uint256 taskId,
        uint256 round,
        string calldata cid,
        bytes32 commitment,
        uint256[8] calldata proof
    ) external {
        Round storage r = _existingRound(taskId, round);
        if (r.status != RoundStatus.Open) revert FederatedRounds__RoundNotOpen(taskId, round);
        if (block.timestamp > r.deadline) revert FederatedRounds__DeadlinePassed(taskId, round, r.deadline);
        consortium.requireTaskAccess(taskId, msg.sender, ROLE_MEMBER, OP_COMMIT_UPDATE);
        if (_commitments[taskId][round][msg.sender] != bytes32(0)) {
            revert FederatedRounds__AlreadyCommitted(taskId, round, msg.sender);
        }
        if (commitment == bytes32(0) || uint256(commitment) >= SNARK_SCALAR_FIELD) {
            revert FederatedRounds__InvalidCommitment(commitment);
        }
        if (bytes(cid).length == 0) revert FederatedRounds__EmptyCid();

        // taskId and round are below 2^32 (checked in openRound), so the context packs without overlap and
        // stays below 2^224 < SNARK_SCALAR_FIELD.
        uint256 context = (taskId << 192) | (round << 160) | uint256(uint160(msg.sender));
        bool valid = IUpdateProofVerifier(r.verifier).verifyProof(
            [proof[0], proof[1]],
            [[proof[2], proof[3]], [proof[4], proof[5]]],
            [proof[6], proof[7]],
            [uint256(commitment), context, r.bounds]
        );
        if (!valid) revert FederatedRounds__InvalidProof(taskId, round, msg.sender);

        _commitments[taskId][round][msg.sender] = commitment;
        // commitCount cannot overflow: every commit comes from a distinct admitted member, and a uint16
        // wrap would need 65,536 members each paying for a proof in one round; checked arithmetic guards it.
        r.commitCount += 1;
        emit UpdateCommitted(taskId, round, msg.sender, cid, commitment);
    }

    /// @inheritdoc IFederatedRounds
    function closeRound(uint256 taskId, uint256 round) external {
        Round storage r = _existingRound(taskId, round);
        if (r.status != RoundStatus.Open) revert FederatedRounds__RoundNotOpen(taskId, round);
        if (block.timestamp <= r.deadline) {
            if (msg.sender != r.aggregator) revert FederatedRounds__NotRoundAggregator(msg.sender);
            if (r.commitCount < r.minParticipants) {
                revert FederatedRounds__CannotCloseYet(taskId, round, r.commitCount, r.minParticipants);
            }
        }
        r.status = RoundStatus.Closed;
        emit RoundClosed(taskId, round, r.commitCount);
    }

    /// @inheritdoc IFederatedRounds
    function publishAggregate(
        uint256 taskId,
        uint256 round,
        string calldata modelCid,
        bytes32 modelHash,
        address[] calldata included,
        Exclusion[] calldata excluded
    ) external {
        Round storage r = _existingRound(taskId, round);
        consortium.requireTaskAccess(taskId, msg.sender, ROLE_AGGREGATOR, OP_PUBLISH_AGGREGATE);
        if (msg.sender != r.aggregator) revert FederatedRounds__NotRoundAggregator(msg.sender);
        if (r.status != RoundStatus.Closed) revert FederatedRounds__RoundNotClosed(taskId, round);
        if (bytes(modelCid).length == 0) revert FederatedRounds__EmptyCid();
        if (modelHash == bytes32(0)) revert FederatedRounds__InvalidModelHash();
        _checkOutcome(taskId, round, r.commitCount, included, excluded);

        r.status = RoundStatus.Published;
        r.modelHash = modelHash;
        r.outcomeHash = keccak256(abi.encode(modelCid, included, excluded));
        emit AggregatePublished(taskId, round, msg.sender, modelCid, modelHash, included, excluded);
    }

    /// @inheritdoc IFederatedRounds
    function attest(uint256 taskId, uint256 round, bool matches, bytes32 replayedModelHash) external {
        Round storage r = _existingRound(taskId, round);
        consortium.requireTaskAccess(taskId, msg.sender, ROLE_AUDITOR, OP_ATTEST);
        if (msg.sender == r.aggregator) revert FederatedRounds__AggregatorCannotAttest(msg.sender);
        // A disputed round still takes attestations so that every honest auditor's verdict is on record.
        if (r.status != RoundStatus.Published && r.status != RoundStatus.Disputed) {
            revert FederatedRounds__RoundNotPublished(taskId, round);
        }
        if (_attested[taskId][round][msg.sender])
            revert FederatedRounds__AlreadyAttested(taskId, round, msg.sender);
        _attested[taskId][round][msg.sender] = true;
        if (matches) {
            r.matchCount += 1;
        } else {
            r.mismatchCount += 1;
        }
        emit AggregateAttested(taskId, round, msg.sender, matches, replayedModelHash);
        if (!matches && r.status != RoundStatus.Disputed) {
            r.status = RoundStatus.Disputed;
            emit RoundDisputed(taskId, round, msg.sender);
        }
    }

    /// @inheritdoc IFederatedRounds
    function finalizeRound(uint256 taskId, uint256 round) external {
        Round storage r = _existingRound(taskId, round);
        if (r.status == RoundStatus.Disputed) revert FederatedRounds__RoundDisputed(taskId, round);
        if (r.status != RoundStatus.Published) revert FederatedRounds__RoundNotPublished(taskId, round);
        if (r.matchCount < r.attestationQuorum) {
            revert FederatedRounds__AttestationQuorumNotReached(
                taskId,
                round,
                r.matchCount,
                r.attestationQuorum
            );
        }
        r.status = RoundStatus.Finalized;
        _finalizedRound[taskId] = round;
        _finalizedModelHash[taskId] = r.modelHash;
        emit RoundFinalized(taskId, round, r.modelHash);
    }

    /// @inheritdoc IFederatedRounds
    function getRound(uint256 taskId, uint256 round) external view returns (Round memory) {
        return _rounds[taskId][round];
    }

    /// @inheritdoc IFederatedRounds
    function roundCount(uint256 taskId) external view returns (uint256) {
        return _roundCount[taskId];
    }

    /// @inheritdoc IFederatedRounds
    function commitmentOf(uint256 taskId, uint256 round, address member) external view returns (bytes32) {
        return _commitments[taskId][round][member];
    }

    /// @inheritdoc IFederatedRounds
    function lastFinalized(uint256 taskId) external view returns (uint256 round, bytes32 modelHash) {
        round = _finalizedRound[taskId];
        if (round == 0) {
            uint32 version = consortium.currentPolicyVersion(taskId);
            if (version == 0) return (0, bytes32(0));
            modelHash = consortium.taskPolicy(taskId, version).initialModelHash;
        } else {
            modelHash = _finalizedModelHash[taskId];
        }
    }

    function _existingRound(uint256 taskId, uint256 round) private view returns (Round storage r) {
        r = _rounds[taskId][round];
        if (r.status == RoundStatus.None) revert FederatedRounds__UnknownRound(taskId, round);
    }

    /// @dev d | k << 32 | lInf << 64 | l2Bound^2 << 128, the layout the circuit decomposes. Consortium
    /// validated l2Bound^2 < 2^96, so the packed value stays below 2^224 < SNARK_SCALAR_FIELD.
    function _packBounds(IConsortium.TaskPolicy memory policy) private pure returns (uint256) {
        uint256 l2Squared = uint256(policy.l2Bound) * uint256(policy.l2Bound);
        return
            uint256(policy.dimension) |
            (uint256(policy.maxNonZeros) << 32) |
            (uint256(policy.lInfBound) << 64) |
            (l2Squared << 128);
    }

    /// @dev The included and excluded lists must partition the round's committers: both strictly increasing
    /// (so no duplicates), every entry a committer, no member in both, and together all commitCount of them.
    function _checkOutcome(
        uint256 taskId,
        uint256 round,
        uint256 commitCount,
        address[] calldata included,
        Exclusion[] calldata excluded
    ) private view {
        if (included.length + excluded.length != commitCount) {
            revert FederatedRounds__InvalidOutcome("included + excluded != committed");
        }
        address previous = address(0);
        for (uint256 i = 0; i < included.length; ++i) {
            address m = included[i];
            if (m <= previous) revert FederatedRounds__InvalidOutcome("included not strictly increasing");
            if (_commitments[taskId][round][m] == bytes32(0))
                revert FederatedRounds__InvalidOutcome("included non-committer");
            previous = m;
        }
        previous = address(0);
        uint256 j = 0;
        for (uint256 i = 0; i < excluded.length; ++i) {
            address m = excluded[i].member;
            if (m <= previous) revert FederatedRounds__InvalidOutcome("excluded not strictly increasing");
            if (_commitments[taskId][round][m] == bytes32(0))
                revert FederatedRounds__InvalidOutcome("excluded non-committer");
            if (excluded[i].reason == ExclusionReason.None)
                revert FederatedRounds__InvalidOutcome("exclusion without reason");
            while (j < included.length && included[j] < m) ++j;
            if (j < included.length && included[j] == m)
                revert FederatedRounds__InvalidOutcome("member both included and excluded");
            previous = m;
        }
    }
}
