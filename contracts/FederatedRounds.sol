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
import {IFederatedRounds, MAX_CHUNKS_PER_UPDATE} from "./interfaces/IFederatedRounds.sol";
import {IVerifyingKeyRegistry} from "./interfaces/IVerifyingKeyRegistry.sol";

/// @title FederatedRounds
/// @notice Rounds of federated learning under the consortium's task policies; see IFederatedRounds.
contract FederatedRounds is IFederatedRounds {
    /// @notice The BN254 scalar field order: proof public signals must be below it.
    uint256 public constant SNARK_SCALAR_FIELD =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Fixed bytes of a sealed envelope and update header, far above today's (docs/wire-format.md).
    uint256 public constant ENVELOPE_OVERHEAD_BYTES = 512;
    /// @notice Most bytes one entry takes on the wire (varint index delta and zigzag value, generously).
    uint256 public constant ENVELOPE_BYTES_PER_ENTRY = 16;

    /// @notice The consortium whose members and policies govern these rounds.
    IConsortium public immutable consortium;
    /// @notice The consortium's verifying-key registry (created by the consortium, so bound to it).
    IVerifyingKeyRegistry public immutable verifyingKeys;

    mapping(uint256 taskId => uint256) private _roundCount;
    mapping(uint256 taskId => mapping(uint256 round => Round)) private _rounds;
    mapping(uint256 taskId => mapping(uint256 round => mapping(address member => bytes32)))
        private _commitments;
    mapping(uint256 taskId => mapping(uint256 round => mapping(address auditor => bool))) private _attested;
    /// @dev The auditors who may attest a round: readers with the auditor role, active and granted, when it
    /// opened (so `auditorCount` counts exactly who may attest).
    mapping(uint256 taskId => mapping(uint256 round => mapping(address auditor => bool)))
        private _roundAuditor;
    mapping(uint256 taskId => mapping(uint256 round => uint256 blockNumber)) private _disputedAtBlock;
    mapping(uint256 taskId => uint256) private _finalizedRound;
    mapping(uint256 taskId => bytes32) private _finalizedModelHash;

    /// @param consortium_ The consortium contract.
    constructor(IConsortium consortium_) {
        consortium = consortium_;
        verifyingKeys = consortium_.verifyingKeys();
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
        if (bytes(baseModelCid).length == 0) revert FederatedRounds__EmptyCid();
        IConsortium.TaskPolicy memory policy = consortium.taskPolicy(taskId, version);
        uint64 latest = uint64(block.timestamp) + policy.maxRoundDuration;
        if (deadline <= block.timestamp || deadline > latest) {
            revert FederatedRounds__InvalidDeadline(deadline, latest);
        }

        uint256 previous = _roundCount[taskId];
        if (previous != 0) _requireEnded(taskId, previous, policy.maxRoundDuration);
        bytes32 expected =
            _finalizedRound[taskId] == 0 ? policy.initialModelHash : _finalizedModelHash[taskId];
        if (baseModelHash != expected) revert FederatedRounds__BaseModelNotFinalized(baseModelHash, expected);

        round = previous + 1;
        if (round >= 1 << 32) revert FederatedRounds__OutOfRange(round);
        _roundCount[taskId] = round;
        Round storage r = _rounds[taskId][round];
        r.status = RoundStatus.Open;
        r.policyVersion = version;
        r.deadline = deadline;
        r.publishWindow = policy.publishWindow;
        r.attestationWindow = policy.attestationWindow;
        r.maxCommits = policy.maxCommits;
        r.auditorCount = _snapshotAuditors(taskId, round, policy.readers);
        r.minParticipants = policy.minParticipants;
        r.attestationQuorum = policy.attestationQuorum;
        r.aggregator = msg.sender;
        r.verifyingKeyHash = policy.verifyingKeyHash;
        r.bounds = _packBounds(policy);
        r.baseModelHash = baseModelHash;
        emit RoundOpened(taskId, round, msg.sender, version, baseModelCid, baseModelHash, deadline);
    }

    /// @inheritdoc IFederatedRounds
    function commitUpdate(
        uint256 taskId,
        uint256 round,
        bytes calldata envelope,
        bytes32 commitment,
        uint256[8] calldata proof
    ) external {
        Round storage r = _checkCommit(taskId, round, envelope, commitment);
        // One chunk: it starts from the empty state (previous = 0) and ends in the commitment.
        bool valid = verifyingKeys.verifyUpdateProof(
            r.verifyingKeyHash,
            proof,
            [uint256(commitment), _context(taskId, round), r.bounds, 0]
        );
        if (!valid) revert FederatedRounds__InvalidProof(taskId, round, msg.sender);
        _recordCommit(taskId, round, r, commitment, envelope);
    }

    /// @inheritdoc IFederatedRounds
    function commitChunkedUpdate(
        uint256 taskId,
        uint256 round,
        bytes calldata envelope,
        bytes32 commitment,
        uint256[] calldata links,
        uint256[8][] calldata proofs
    ) external {
        Round storage r = _checkCommit(taskId, round, envelope, commitment);
        uint256 chunks = proofs.length;
        if (chunks == 0 || chunks > MAX_CHUNKS_PER_UPDATE || links.length + 1 != chunks) {
            revert FederatedRounds__InvalidChunkCount(chunks, links.length);
        }
        // A link of 0 would let the next chunk start over from the empty state, with sums of its choosing
        // (no honest state is 0: it is a Poseidon output). Links at or above the field are refused by the
        // verifier, like any other non-canonical signal.
        for (uint256 i = 0; i < links.length; i++) {
            if (links[i] == 0) revert FederatedRounds__InvalidChunkLink(i);
        }
        uint256 context = _context(taskId, round);
        uint256[4][] memory signals = new uint256[4][](chunks);
        for (uint256 i = 0; i < chunks; i++) {
            signals[i] = [
                i + 1 == chunks ? uint256(commitment) : links[i],
                context,
                r.bounds,
                i == 0 ? 0 : links[i - 1]
            ];
        }
        if (!verifyingKeys.verifyUpdateProofs(r.verifyingKeyHash, proofs, signals)) {
            revert FederatedRounds__InvalidProof(taskId, round, msg.sender);
        }
        _recordCommit(taskId, round, r, commitment, envelope);
    }

    /// @dev Everything a commit must satisfy before its proof is checked; returns the round.
    function _checkCommit(
        uint256 taskId,
        uint256 round,
        bytes calldata envelope,
        bytes32 commitment
    ) private view returns (Round storage r) {
        r = _existingRound(taskId, round);
        if (r.status != RoundStatus.Open) revert FederatedRounds__RoundNotOpen(taskId, round);
        if (block.timestamp > r.deadline) revert FederatedRounds__DeadlinePassed(taskId, round, r.deadline);
        consortium.requireTaskAccess(taskId, msg.sender, ROLE_MEMBER, OP_COMMIT_UPDATE);
        if (_commitments[taskId][round][msg.sender] != bytes32(0)) {
            revert FederatedRounds__AlreadyCommitted(taskId, round, msg.sender);
        }
        if (r.commitCount >= r.maxCommits) revert FederatedRounds__RoundFull(taskId, round, r.maxCommits);
        if (commitment == bytes32(0) || uint256(commitment) >= SNARK_SCALAR_FIELD) {
            revert FederatedRounds__InvalidCommitment(commitment);
        }
        // bits 32..63 of the packed bounds hold maxNonZeros (see _packBounds).
        uint256 maxEnvelope = ENVELOPE_OVERHEAD_BYTES + ENVELOPE_BYTES_PER_ENTRY * uint32(r.bounds >> 32);
        if (envelope.length == 0 || envelope.length > maxEnvelope) {
            revert FederatedRounds__InvalidEnvelopeSize(envelope.length, maxEnvelope);
        }
    }

    /// @dev The proof's context signal. taskId and round are below 2^32 (checked in openRound), so it packs
    /// without overlap and stays below 2^224 < SNARK_SCALAR_FIELD.
    function _context(uint256 taskId, uint256 round) private view returns (uint256) {
        return (taskId << 192) | (round << 160) | uint256(uint160(msg.sender));
    }

    /// @dev Stores a verified commit and announces it with its envelope.
    function _recordCommit(
        uint256 taskId,
        uint256 round,
        Round storage r,
        bytes32 commitment,
        bytes calldata envelope
    ) private {
        _commitments[taskId][round][msg.sender] = commitment;
        // commitCount stays below maxCommits <= MAX_COMMITS_PER_ROUND (checked in _checkCommit), far below 2^16.
        unchecked {
            r.commitCount += 1;
        }
        emit UpdateCommitted(taskId, round, msg.sender, commitment, envelope);
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
        r.closedAt = uint64(block.timestamp);
        emit RoundClosed(taskId, round, r.commitCount);
        if (r.commitCount < r.minParticipants) _abandon(taskId, round, r, AbandonReason.TooFewCommits);
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
        uint64 until = r.closedAt + r.publishWindow;
        if (block.timestamp > until) revert FederatedRounds__PublishWindowPassed(taskId, round, until);
        if (bytes(modelCid).length == 0) revert FederatedRounds__EmptyCid();
        if (modelHash == bytes32(0)) revert FederatedRounds__InvalidModelHash();
        _checkOutcome(taskId, round, r.commitCount, included, excluded);

        r.status = RoundStatus.Published;
        r.publishedAt = uint64(block.timestamp);
        // included.length <= commitCount < 2^16, checked by _checkOutcome.
        r.includedCount = uint16(included.length);
        r.modelHash = modelHash;
        r.outcomeHash = keccak256(abi.encode(modelCid, included, excluded));
        emit AggregatePublished(taskId, round, msg.sender, modelCid, modelHash, included, excluded);
    }

    /// @inheritdoc IFederatedRounds
    function attest(uint256 taskId, uint256 round, bool matches, bytes32 replayedModelHash) external {
        Round storage r = _existingRound(taskId, round);
        consortium.requireTaskAccess(taskId, msg.sender, ROLE_AUDITOR, OP_ATTEST);
        if (msg.sender == r.aggregator) revert FederatedRounds__AggregatorCannotAttest(msg.sender);
        if (!_roundAuditor[taskId][round][msg.sender]) revert FederatedRounds__NotRoundAuditor(msg.sender);
        // A disputed round still takes attestations so that every honest auditor's verdict is on record.
        if (r.status != RoundStatus.Published && r.status != RoundStatus.Disputed) {
            revert FederatedRounds__RoundNotPublished(taskId, round);
        }
        if (_attested[taskId][round][msg.sender])
            revert FederatedRounds__AlreadyAttested(taskId, round, msg.sender);
        if (matches && replayedModelHash != r.modelHash) {
            revert FederatedRounds__MatchHashDiffers(replayedModelHash, r.modelHash);
        }
        _attested[taskId][round][msg.sender] = true;
        // Each auditor attests once and auditors are distinct admitted members, so neither count can
        // reach 2^16 before the member registry would; checked arithmetic guards it anyway.
        if (matches) {
            r.matchCount += 1;
        } else {
            r.mismatchCount += 1;
        }
        emit AggregateAttested(taskId, round, msg.sender, matches, replayedModelHash);
        if (!matches && r.status != RoundStatus.Disputed) {
            r.status = RoundStatus.Disputed;
            r.endedAt = uint64(block.timestamp);
            _disputedAtBlock[taskId][round] = block.number;
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
        uint64 until = r.publishedAt + r.attestationWindow;
        // Waiting for the window gives every honest auditor the chance to dispute before the model counts.
        if (block.timestamp <= until && r.matchCount + r.mismatchCount < r.auditorCount) {
            revert FederatedRounds__AttestationWindowOpen(taskId, round, until);
        }
        if (r.includedCount < r.minParticipants) {
            _abandon(taskId, round, r, AbandonReason.TooFewIncluded);
            return;
        }
        r.status = RoundStatus.Finalized;
        r.endedAt = uint64(block.timestamp);
        _finalizedRound[taskId] = round;
        _finalizedModelHash[taskId] = r.modelHash;
        emit RoundFinalized(taskId, round, r.modelHash);
    }

    /// @inheritdoc IFederatedRounds
    function abandonRound(uint256 taskId, uint256 round) external {
        Round storage r = _existingRound(taskId, round);
        if (r.status == RoundStatus.Closed && block.timestamp > r.closedAt + r.publishWindow) {
            _abandon(taskId, round, r, AbandonReason.PublishWindowPassed);
        } else if (
            r.status == RoundStatus.Published &&
            block.timestamp > r.publishedAt + r.attestationWindow &&
            r.matchCount < r.attestationQuorum
        ) {
            _abandon(taskId, round, r, AbandonReason.AttestationWindowPassed);
        } else {
            revert FederatedRounds__CannotAbandon(taskId, round, r.status);
        }
    }

    /// @inheritdoc IFederatedRounds
    function resolveDispute(uint256 taskId, uint256 round) external {
        Round storage r = _existingRound(taskId, round);
        if (r.status != RoundStatus.Disputed) revert FederatedRounds__RoundNotDisputed(taskId, round);
        IConsortium.DisputeResolution resolution = consortium.disputeResolution(taskId, round);
        if (
            resolution == IConsortium.DisputeResolution.None ||
            consortium.disputeResolvedAtBlock(taskId, round) <= _disputedAtBlock[taskId][round]
        ) revert FederatedRounds__NotResolved(taskId, round);
        bool upheld = resolution == IConsortium.DisputeResolution.ModelUpheld;
        r.status = RoundStatus.Resolved;
        // An upheld model becomes the global model only if nothing newer finalized meanwhile: members have
        // trained on the later model already, and rounds never go back in time.
        if (upheld && round > _finalizedRound[taskId]) {
            _finalizedRound[taskId] = round;
            _finalizedModelHash[taskId] = r.modelHash;
        }
        emit RoundResolved(taskId, round, upheld);
    }

    /// @inheritdoc IFederatedRounds
    function hasAttested(uint256 taskId, uint256 round, address auditor) external view returns (bool) {
        return _attested[taskId][round][auditor];
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

    function _abandon(uint256 taskId, uint256 round, Round storage r, AbandonReason reason) private {
        r.status = RoundStatus.Abandoned;
        r.abandonReason = reason;
        r.endedAt = uint64(block.timestamp);
        emit RoundAbandoned(taskId, round, reason);
    }

    /// @dev The previous round must have ended. An aggregator that let its round lapse unpublished may not
    /// open the next one until maxRoundDuration after, so another aggregator of the task takes over first.
    function _requireEnded(uint256 taskId, uint256 previous, uint32 maxRoundDuration) private view {
        Round storage p = _rounds[taskId][previous];
        RoundStatus status = p.status;
        if (
            status != RoundStatus.Finalized &&
            status != RoundStatus.Disputed &&
            status != RoundStatus.Abandoned &&
            status != RoundStatus.Resolved
        ) revert FederatedRounds__PreviousRoundPending(taskId, previous);
        if (p.abandonReason == AbandonReason.PublishWindowPassed && p.aggregator == msg.sender) {
            uint64 until = p.endedAt + maxRoundDuration;
            if (block.timestamp <= until) revert FederatedRounds__AggregatorWentSilent(msg.sender, until);
        }
    }

    /// @dev Records who may attest this round: readers that are active auditors granted to the task, other
    /// than its aggregator (the consortium refuses duplicate readers, so each is counted once).
    function _snapshotAuditors(
        uint256 taskId,
        uint256 round,
        address[] memory readers
    ) private returns (uint16 count) {
        for (uint256 i = 0; i < readers.length; ++i) {
            address reader = readers[i];
            if (reader == msg.sender || !consortium.hasTaskAccess(taskId, reader)) continue;
            IConsortium.Member memory m = consortium.member(reader);
            if (m.status == IConsortium.MemberStatus.Active && m.profile.roles & ROLE_AUDITOR != 0) {
                _roundAuditor[taskId][round][reader] = true;
                ++count;
            }
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
