// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

/// @dev Most chunk proofs one update may carry (commitChunkedUpdate): with the circuit's K entries per
/// chunk, a policy's maxNonZeros may be at most K * MAX_CHUNKS_PER_UPDATE (the consortium checks). 128 chunks
/// of K = 128 cover k = 16,384 (1.6% of a million parameters) at about 6 M gas batched.
uint256 constant MAX_CHUNKS_PER_UPDATE = 128;

/// @title IFederatedRounds
/// @notice Federated learning rounds of the consortium's tasks: an aggregator of the task opens a round on
/// the last finalized global model, members commit proven sparse updates whose sealed envelopes travel in
/// the commit itself (so availability is decided by the chain, the same for everyone), the aggregator
/// publishes the aggregate, auditors replay it and attest, and the round is final once the attestation
/// quorum agrees after the attestation window. Every phase has a window from the policy: whatever one party
/// does, every round ends (finalized, disputed and then resolved by governance, or abandoned).
interface IFederatedRounds {
    /// @notice Where a round is in its life.
    enum RoundStatus {
        None,
        Open,
        Closed,
        Published,
        Finalized,
        Disputed,
        Abandoned,
        Resolved
    }

    /// @notice Why the aggregator left a committed update out of the aggregate. Each is decided from the
    /// envelope on chain, the reader group's key and the policy's rule alone, so every honest reader
    /// reaches the same verdict.
    enum ExclusionReason {
        None,
        /// @dev The envelope does not open with the task's reader-group key (wrong key, tampered bytes).
        Unopenable,
        /// @dev The plaintext is not a well-formed update for this task, round, member and policy.
        Undecodable,
        /// @dev The update's entries do not hash to the commitment the proof was about.
        CommitmentMismatch,
        /// @dev The policy's rule screens it out as a free rider: near-empty, or unrelated to the others.
        FreeRider,
        /// @dev The policy's rule screens it out as an outlier: it pushes against the others.
        Outlier
    }

    /// @notice Why a round ended without a model.
    enum AbandonReason {
        None,
        /// @dev Fewer than minParticipants committed before the round closed.
        TooFewCommits,
        /// @dev The aggregator did not publish within the publish window.
        PublishWindowPassed,
        /// @dev The attestation window passed without the quorum of matches.
        AttestationWindowPassed,
        /// @dev Fewer than minParticipants updates were valid.
        TooFewIncluded
    }

    /// @notice An update the aggregator excluded, with the reason.
    struct Exclusion {
        address member;
        ExclusionReason reason;
    }

    /// @notice A round, with the policy values it runs under copied at opening so that a later policy
    /// version cannot change the rules of a running round.
    /// @param auditorCount Auditors able to attest when the round opened (readers with the auditor role,
    /// active and granted, other than the round's aggregator): when all attested, the round need not wait
    /// for the attestation window.
    /// @param endedAt When the round reached Finalized, Disputed, Abandoned (zero while running).
    struct Round {
        RoundStatus status;
        AbandonReason abandonReason;
        uint32 policyVersion;
        uint64 deadline;
        uint64 closedAt;
        uint64 publishedAt;
        uint64 endedAt;
        uint32 publishWindow;
        uint32 attestationWindow;
        uint16 commitCount;
        uint16 maxCommits;
        uint16 includedCount;
        uint16 matchCount;
        uint16 mismatchCount;
        uint16 auditorCount;
        uint16 minParticipants;
        uint16 attestationQuorum;
        address aggregator;
        bytes32 verifyingKeyHash;
        uint256 bounds;
        bytes32 baseModelHash;
        bytes32 modelHash;
        bytes32 outcomeHash;
    }

    /// @notice A chunked commit's proofs and links do not fit together: there must be between 1 and
    /// MAX_CHUNKS_PER_UPDATE proofs and one link fewer.
    error FederatedRounds__InvalidChunkCount(uint256 proofs, uint256 links);
    /// @notice A chunked commit's link (a state between chunks) is 0, the start state's marker.
    error FederatedRounds__InvalidChunkLink(uint256 index);
    /// @notice The round does not exist.
    error FederatedRounds__UnknownRound(uint256 taskId, uint256 round);
    /// @notice The round is not open for commits.
    error FederatedRounds__RoundNotOpen(uint256 taskId, uint256 round);
    /// @notice The round's deadline has passed.
    error FederatedRounds__DeadlinePassed(uint256 taskId, uint256 round, uint64 deadline);
    /// @notice The deadline is not in the future, or later than the policy's longest round allows.
    error FederatedRounds__InvalidDeadline(uint64 deadline, uint64 latest);
    /// @notice The member committed in this round already.
    error FederatedRounds__AlreadyCommitted(uint256 taskId, uint256 round, address member);
    /// @notice The proof does not verify for this member, round, task, bounds and commitment.
    error FederatedRounds__InvalidProof(uint256 taskId, uint256 round, address member);
    /// @notice The commitment is zero or not a field element.
    error FederatedRounds__InvalidCommitment(bytes32 commitment);
    /// @notice The previous round of the task has not ended yet (finalized, disputed, abandoned, resolved).
    error FederatedRounds__PreviousRoundPending(uint256 taskId, uint256 round);
    /// @notice The base model is not the task's last finalized global model.
    error FederatedRounds__BaseModelNotFinalized(bytes32 given, bytes32 expected);
    /// @notice Only the round's aggregator may do this.
    error FederatedRounds__NotRoundAggregator(address account);
    /// @notice The round cannot be closed yet: deadline not reached and too few commits.
    error FederatedRounds__CannotCloseYet(uint256 taskId, uint256 round, uint256 commits, uint256 needed);
    /// @notice The round is not closed, so no aggregate can be published.
    error FederatedRounds__RoundNotClosed(uint256 taskId, uint256 round);
    /// @notice The included and excluded sets do not partition the committed members.
    error FederatedRounds__InvalidOutcome(string reason);
    /// @notice No aggregate has been published for this round, or the round was finalized already.
    error FederatedRounds__RoundNotPublished(uint256 taskId, uint256 round);
    /// @notice The auditor attested this round already.
    error FederatedRounds__AlreadyAttested(uint256 taskId, uint256 round, address auditor);
    /// @notice Fewer matching attestations than the quorum.
    error FederatedRounds__AttestationQuorumNotReached(
        uint256 taskId,
        uint256 round,
        uint256 matches,
        uint256 quorum
    );
    /// @notice Task ids and rounds must fit 32 bits (they are packed into the proof's public input).
    error FederatedRounds__OutOfRange(uint256 value);
    /// @notice The round's aggregator cannot audit its own aggregate.
    error FederatedRounds__AggregatorCannotAttest(address account);
    /// @notice The round was disputed; it can never be finalized.
    error FederatedRounds__RoundDisputed(uint256 taskId, uint256 round);
    /// @notice The model hash is zero.
    error FederatedRounds__InvalidModelHash();
    /// @notice The empty string is not a CID.
    error FederatedRounds__EmptyCid();
    /// @notice The round took the most commits its policy allows.
    error FederatedRounds__RoundFull(uint256 taskId, uint256 round, uint256 maxCommits);
    /// @notice The sealed envelope is empty or larger than any honest update under the round's bounds.
    error FederatedRounds__InvalidEnvelopeSize(uint256 size, uint256 max);
    /// @notice The publish window of the round has passed.
    error FederatedRounds__PublishWindowPassed(uint256 taskId, uint256 round, uint64 until);
    /// @notice The attestation window is still open and not every auditor has attested.
    error FederatedRounds__AttestationWindowOpen(uint256 taskId, uint256 round, uint64 until);
    /// @notice A matching attestation must carry the published model hash.
    error FederatedRounds__MatchHashDiffers(bytes32 replayed, bytes32 published);
    /// @notice The round cannot be abandoned now (its windows have not passed, or it ended).
    error FederatedRounds__CannotAbandon(uint256 taskId, uint256 round, RoundStatus status);
    /// @notice This aggregator let the previous round lapse; others may open the next round first.
    error FederatedRounds__AggregatorWentSilent(address account, uint64 until);
    /// @notice The round is not disputed, so there is no dispute to resolve.
    error FederatedRounds__RoundNotDisputed(uint256 taskId, uint256 round);
    /// @notice Only the auditors among the readers when the round opened may attest it.
    error FederatedRounds__NotRoundAuditor(address account);
    /// @notice Governance has not resolved the round's dispute (or decided before the dispute arose).
    error FederatedRounds__NotResolved(uint256 taskId, uint256 round);

    /// @notice The aggregator opened a round on a finalized base model.
    event RoundOpened(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed aggregator,
        uint32 policyVersion,
        string baseModelCid,
        bytes32 baseModelHash,
        uint64 deadline
    );
    /// @notice A member committed a proven update; the sealed envelope itself is part of the event, so every
    /// reader has the same bytes, whether or not the member stays online.
    event UpdateCommitted(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed member,
        bytes32 commitment,
        bytes envelope
    );
    /// @notice The round stopped taking commits.
    event RoundClosed(uint256 indexed taskId, uint256 indexed round, uint256 commitCount);
    /// @notice The aggregator published the round's global model and which updates it included.
    event AggregatePublished(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed aggregator,
        string modelCid,
        bytes32 modelHash,
        address[] included,
        Exclusion[] excluded
    );
    /// @notice An auditor replayed the round and attested.
    event AggregateAttested(
        uint256 indexed taskId,
        uint256 indexed round,
        address indexed auditor,
        bool matches,
        bytes32 replayedModelHash
    );
    /// @notice An auditor's mismatch disputed the round; members never train on its model.
    event RoundDisputed(uint256 indexed taskId, uint256 indexed round, address indexed auditor);
    /// @notice The attestation quorum agreed; the round's model is the task's new global model.
    event RoundFinalized(uint256 indexed taskId, uint256 indexed round, bytes32 modelHash);
    /// @notice The round ended without a model; the next round opens on the last finalized one.
    event RoundAbandoned(uint256 indexed taskId, uint256 indexed round, AbandonReason reason);
    /// @notice Governance's resolution of the round's dispute was applied.
    event RoundResolved(uint256 indexed taskId, uint256 indexed round, bool modelUpheld);

    /// @notice Opens the next round of a task on its last finalized global model; any aggregator granted
    /// to the task may, once the previous round ended.
    /// @param taskId The task.
    /// @param baseModelCid CID of the base model (for members to fetch; its hash is what binds).
    /// @param baseModelHash keccak256 of the base model's bytes; must equal the last finalized model hash.
    /// @param deadline Unix time after which no commit is accepted, at most maxRoundDuration from now.
    /// @return round The new round number (1-based).
    function openRound(
        uint256 taskId,
        string calldata baseModelCid,
        bytes32 baseModelHash,
        uint64 deadline
    ) external returns (uint256 round);

    /// @notice Commits the caller's sparse update with a proof that it obeys the round's policy bounds.
    /// @dev The proof's public signals are built here from storage and msg.sender, never taken from the caller.
    /// @param taskId The task.
    /// @param round The round.
    /// @param envelope The sealed update (to the task's reader-group key).
    /// @param commitment Poseidon commitment over (task, round, member, salt, entries): the state after the
    /// update's only chunk (at most K entries; larger updates use commitChunkedUpdate).
    /// @param proof Groth16 proof as [a0, a1, b00, b01, b10, b11, c0, c1].
    function commitUpdate(
        uint256 taskId,
        uint256 round,
        bytes calldata envelope,
        bytes32 commitment,
        uint256[8] calldata proof
    ) external;

    /// @notice Commits the caller's sparse update proven in chunks of the circuit's K entries: chunk i's proof
    /// continues the state chunk i - 1 ended in, so together they prove the policy's bounds over the whole
    /// update (circuits/update_bounds.circom). All proofs are checked in one batched pairing check.
    /// @dev Chunk i's public signals are built here: [i = last ? commitment : links[i], context, bounds,
    /// i = 0 ? 0 : links[i - 1]]. With one proof and no link this is commitUpdate (which costs less gas).
    /// @param taskId The task.
    /// @param round The round.
    /// @param envelope The sealed update (to the task's reader-group key).
    /// @param commitment The state after the last chunk: the update's commitment.
    /// @param links The states after chunks 0 .. n - 2 (non-zero), in order.
    /// @param proofs The n chunk proofs in order, each laid out as in commitUpdate.
    function commitChunkedUpdate(
        uint256 taskId,
        uint256 round,
        bytes calldata envelope,
        bytes32 commitment,
        uint256[] calldata links,
        uint256[8][] calldata proofs
    ) external;

    /// @notice Stops commits: the round's aggregator may close once minParticipants committed, anyone after
    /// the deadline. A round closed with fewer than minParticipants commits is abandoned.
    /// @param taskId The task.
    /// @param round The round.
    function closeRound(uint256 taskId, uint256 round) external;

    /// @notice Publishes the aggregate of a closed round, within the publish window.
    /// @param taskId The task.
    /// @param round The round.
    /// @param modelCid CID of the new global model.
    /// @param modelHash keccak256 of the new global model's canonical bytes.
    /// @param included Members whose updates were aggregated, strictly increasing addresses.
    /// @param excluded Members whose updates were left out with reasons, strictly increasing addresses.
    function publishAggregate(
        uint256 taskId,
        uint256 round,
        string calldata modelCid,
        bytes32 modelHash,
        address[] calldata included,
        Exclusion[] calldata excluded
    ) external;

    /// @notice Attests, as an auditor of the task, whether an independent replay matched the aggregate.
    /// @param taskId The task.
    /// @param round The round.
    /// @param matches Whether the replayed model hash and outcome equal the published ones.
    /// @param replayedModelHash The model hash the auditor computed; a match must carry the published one.
    function attest(uint256 taskId, uint256 round, bool matches, bytes32 replayedModelHash) external;

    /// @notice Finalizes a published, undisputed round whose matching attestations reached the quorum, once
    /// the attestation window passed or every auditor attested. A round with fewer included updates than
    /// minParticipants is abandoned instead.
    /// @param taskId The task.
    /// @param round The round.
    function finalizeRound(uint256 taskId, uint256 round) external;

    /// @notice Ends a round whose window passed: a closed round not published within the publish window,
    /// or a published round without the attestation quorum after the attestation window. Anyone may call.
    /// @param taskId The task.
    /// @param round The round.
    function abandonRound(uint256 taskId, uint256 round) external;

    /// @notice Applies governance's resolution of a disputed round (IConsortium.ResolveDispute): an upheld
    /// model becomes the task's global model unless a later round finalized since. Anyone may call.
    /// @param taskId The task.
    /// @param round The round.
    function resolveDispute(uint256 taskId, uint256 round) external;

    /// @notice A round's state.
    /// @param taskId The task.
    /// @param round The round.
    /// @return The round.
    function getRound(uint256 taskId, uint256 round) external view returns (Round memory);

    /// @notice The number of rounds opened for a task.
    /// @param taskId The task.
    /// @return The count.
    function roundCount(uint256 taskId) external view returns (uint256);

    /// @notice The commitment a member made in a round (zero when none).
    /// @param taskId The task.
    /// @param round The round.
    /// @param member The member.
    /// @return The commitment.
    function commitmentOf(uint256 taskId, uint256 round, address member) external view returns (bytes32);

    /// @notice Whether an auditor attested a round.
    /// @param taskId The task.
    /// @param round The round.
    /// @param auditor The auditor.
    /// @return True when it attested.
    function hasAttested(uint256 taskId, uint256 round, address auditor) external view returns (bool);

    /// @notice The task's last finalized global model hash (the policy's initial model before any round).
    /// @param taskId The task.
    /// @return round The round that produced it (0 for the initial model).
    /// @return modelHash The model hash.
    function lastFinalized(uint256 taskId) external view returns (uint256 round, bytes32 modelHash);
}
