// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {IVerifyingKeyRegistry} from "./IVerifyingKeyRegistry.sol";

/// @dev Member roles (bitmask).
uint8 constant ROLE_MEMBER = 1;
uint8 constant ROLE_AGGREGATOR = 2;
uint8 constant ROLE_AUDITOR = 4;
uint8 constant ALL_ROLES = 7;

/// @dev Operations a task policy may allow (bitmask).
uint8 constant OP_OPEN_ROUND = 1;
uint8 constant OP_COMMIT_UPDATE = 2;
uint8 constant OP_PUBLISH_AGGREGATE = 4;
uint8 constant OP_ATTEST = 8;
uint8 constant ALL_OPERATIONS = 15;

/// @title IConsortium
/// @notice Membership, governance and task policies of a circular-supply-chain federated learning consortium.
/// Nobody holds an owner key: every change is a proposal that takes effect only after `quorum` distinct
/// governors approved it before it expired. Every step emits an event, so the chain is the audit log.
interface IConsortium {
    /// @notice Kinds of entity in a circular supply chain.
    enum EntityKind {
        Supplier,
        Manufacturer,
        Recycler,
        Remanufacturer
    }

    /// @notice Lifecycle of a member.
    enum MemberStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @notice What a proposal does once executed; its payload is the ABI encoding named per kind.
    enum ProposalKind {
        /// @dev payload: abi.encode(address account, MemberProfile profile)
        AdmitMember,
        /// @dev payload: abi.encode(address account)
        SuspendMember,
        /// @dev payload: abi.encode(address account)
        ReinstateMember,
        /// @dev payload: abi.encode(address account)
        RemoveMember,
        /// @dev payload: abi.encode(address governor)
        AddGovernor,
        /// @dev payload: abi.encode(address governor)
        RemoveGovernor,
        /// @dev payload: abi.encode(uint256 quorum)
        SetQuorum,
        /// @dev payload: abi.encode(TaskPolicy policy)
        CreateTask,
        /// @dev payload: abi.encode(uint256 taskId, TaskPolicy policy)
        UpdateTask,
        /// @dev payload: abi.encode(uint256 taskId, address account)
        GrantTaskAccess,
        /// @dev payload: abi.encode(uint256 taskId, address account)
        RevokeTaskAccess,
        /// @dev payload: abi.encode(uint256[] key, IVerifyingKeyRegistry.CircuitShape shape, bool developmentOnly)
        RegisterVerifyingKey,
        /// @dev payload: abi.encode(uint256 taskId, uint256 round, bool upholdModel, address[] suspend)
        ResolveDispute
    }

    /// @notice How governance resolved a disputed round.
    enum DisputeResolution {
        /// @dev Not resolved (yet).
        None,
        /// @dev The published model was right: the auditors who attested a mismatch were wrong.
        ModelUpheld,
        /// @dev The dispute was right: the aggregator (and any auditor who matched it) was wrong.
        DisputeConfirmed
    }

    /// @notice The admitted profile of a member.
    /// @param roles Bitmask of ROLE_MEMBER, ROLE_AGGREGATOR, ROLE_AUDITOR.
    /// @param kind The member's place in the supply chain.
    /// @param encryptionKey X25519 public key that updates are sealed to when the member is a task reader.
    /// @param metadataHash Hash of off-chain metadata (legal entity, contact, attestation documents).
    struct MemberProfile {
        uint8 roles;
        EntityKind kind;
        bytes32 encryptionKey;
        bytes32 metadataHash;
    }

    /// @notice A member record as stored.
    struct Member {
        MemberProfile profile;
        MemberStatus status;
    }

    /// @notice The policy of one task (one micro-segment of the consortium's learning).
    /// @dev All bounds are integers in fixed-point units (real value = integer / scale). The proof system
    /// packs dimension, maxNonZeros, lInfBound and l2Bound squared into one public input, so their widths
    /// are limited: dimension and maxNonZeros below 2^32, lInfBound below 2^64, l2Bound squared below 2^96.
    /// @param modelId Identifier of the model architecture (e.g. keccak256 of its spec).
    /// @param initialModelHash keccak256 of the canonical bytes of round 0's global model.
    /// @param initialModelCid CID of round 0's global model, so anyone can replay from chain and IPFS alone.
    /// @param dimension `d`, the number of model parameters.
    /// @param maxNonZeros `k`, the most coordinates one update may carry.
    /// @param lInfBound Largest absolute fixed-point value of one coordinate.
    /// @param l2Bound Largest L2 norm of an update, in fixed-point units.
    /// @param scale Fixed-point scale.
    /// @param aggregationRule Rule id (0 mean, 1 weighted mean, 2 trimmed mean, 3 median, 4 clipped mean).
    /// @param ruleParameter The rule's parameter (trim count, clip bound...), 0 when it has none.
    /// @param minParticipants Fewest committed updates before the aggregator may close a round early, and
    /// fewest included updates for a round to finalize (a round with fewer is abandoned).
    /// @param maxCommits Most updates one round takes, at most MAX_COMMITS_PER_ROUND, so that the largest
    /// round's outcome always publishes within one transaction.
    /// @param attestationQuorum Matching auditor attestations needed to finalize a round; never more than
    /// the auditors among the readers (checked here and whenever an auditor leaves).
    /// @param sensitivity Data-sensitivity class of the task's data (consortium-defined scale).
    /// @param allowedOperations Bitmask of OP_* operations permitted under this policy.
    /// @param expiry Unix time after which the policy no longer permits any operation.
    /// @param maxRoundDuration Longest commit window a round may be opened with, in seconds.
    /// @param publishWindow Seconds after a round closes within which its aggregator must publish; after
    /// that anyone may abandon the round.
    /// @param attestationWindow Seconds after publication during which auditors attest; a round finalizes
    /// at quorum once the window passed (or every auditor attested) and is abandoned without quorum.
    /// @param verifyingKeyHash Hash of the update circuit's verifying key in `verifyingKeys()`; the key
    /// must be registered, its circuit must fit the bounds, and development keys are refused outside a
    /// development deployment.
    /// @param readerKey X25519 public key of the task's reader group: members seal updates to it, and every
    /// reader holds its secret (checked off chain against this key), so all readers open the same plaintext.
    /// @param readers Accounts that read updates (aggregators and auditors).
    struct TaskPolicy {
        bytes32 modelId;
        bytes32 initialModelHash;
        string initialModelCid;
        uint32 dimension;
        uint32 maxNonZeros;
        uint64 lInfBound;
        uint64 l2Bound;
        uint32 scale;
        uint8 aggregationRule;
        uint64 ruleParameter;
        uint16 minParticipants;
        uint16 maxCommits;
        uint16 attestationQuorum;
        uint8 sensitivity;
        uint8 allowedOperations;
        uint64 expiry;
        uint32 maxRoundDuration;
        uint32 publishWindow;
        uint32 attestationWindow;
        bytes32 verifyingKeyHash;
        bytes32 readerKey;
        address[] readers;
    }

    /// @notice A governance proposal.
    struct Proposal {
        ProposalKind kind;
        address proposer;
        uint64 expiry;
        bool executed;
        bool expired;
        bytes payload;
    }

    /// @notice The caller is not a governor.
    error Consortium__NotGovernor(address account);
    /// @notice The governor approved this proposal already.
    error Consortium__AlreadyApproved(uint256 proposalId, address governor);
    /// @notice No proposal has this id.
    error Consortium__UnknownProposal(uint256 proposalId);
    /// @notice The proposal's approval window has passed.
    error Consortium__ProposalExpired(uint256 proposalId);
    /// @notice The proposal was executed already.
    error Consortium__ProposalAlreadyExecuted(uint256 proposalId);
    /// @notice The proposal has not expired yet, so it cannot be marked expired.
    error Consortium__ProposalNotExpired(uint256 proposalId);
    /// @notice Fewer current governors approved the proposal than the quorum requires.
    error Consortium__QuorumNotReached(uint256 proposalId, uint256 approvals, uint256 quorum);
    /// @notice The approval window is zero or longer than the maximum.
    error Consortium__InvalidVotingPeriod(uint256 period);
    /// @notice A quorum below 1 or above the number of governors.
    error Consortium__QuorumOutOfRange(uint256 quorum, uint256 governorCount);
    /// @notice The account is a governor already.
    error Consortium__AlreadyGovernor(address account);
    /// @notice The zero address cannot be a governor or member.
    error Consortium__ZeroAddress();
    /// @notice The account is not an admitted member.
    error Consortium__NotMember(address account);
    /// @notice The account was admitted already (members are never re-admitted; reinstate instead).
    error Consortium__AlreadyMember(address account);
    /// @notice The member is suspended.
    error Consortium__MemberSuspended(address account);
    /// @notice The member was removed.
    error Consortium__MemberRemoved(address account);
    /// @notice The member's status does not allow this transition.
    error Consortium__InvalidMemberStatus(address account, MemberStatus status);
    /// @notice The member lacks the role the operation needs.
    error Consortium__MissingRole(address account, uint8 role);
    /// @notice A roles bitmask that is empty or has unknown bits.
    error Consortium__InvalidRoles(uint8 roles);
    /// @notice No task has this id.
    error Consortium__UnknownTask(uint256 taskId);
    /// @notice The member was not granted access to this task.
    error Consortium__NotGrantedToTask(uint256 taskId, address account);
    /// @notice The task's policy has expired.
    error Consortium__PolicyExpired(uint256 taskId, uint64 expiry);
    /// @notice The task's policy does not allow this operation.
    error Consortium__OperationNotAllowed(uint256 taskId, uint8 operation);
    /// @notice The policy is inconsistent; `reason` names the failing rule.
    error Consortium__InvalidPolicy(string reason);
    /// @notice A policy bound exceeds what the verifying key's circuit can prove.
    error Consortium__PolicyExceedsCircuit(bytes32 keyHash, string bound, uint256 value, uint256 limit);
    /// @notice Development keys (public toxic waste) are refused outside a development deployment.
    error Consortium__DevelopmentKeyRefused(bytes32 keyHash);
    /// @notice The attestation quorum would exceed the task's auditors.
    error Consortium__QuorumExceedsAuditors(uint256 taskId, uint256 quorum, uint256 auditors);
    /// @notice The disputed round was resolved already.
    error Consortium__AlreadyResolved(uint256 taskId, uint256 round);

    /// @notice A governor proposed a change.
    event ProposalCreated(
        uint256 indexed proposalId,
        ProposalKind indexed kind,
        address indexed proposer,
        uint64 expiry,
        bytes payload
    );
    /// @notice A governor approved a proposal.
    event ProposalApproved(uint256 indexed proposalId, address indexed governor);
    /// @notice A proposal reached quorum and took effect.
    event ProposalExecuted(uint256 indexed proposalId, ProposalKind indexed kind);
    /// @notice A proposal's window passed without execution.
    event ProposalExpiredMarked(uint256 indexed proposalId);
    /// @notice A member was admitted.
    event MemberAdmitted(
        address indexed account,
        uint8 roles,
        EntityKind kind,
        bytes32 encryptionKey,
        bytes32 metadataHash
    );
    /// @notice A member's status changed (suspended, reinstated or removed).
    event MemberStatusChanged(address indexed account, MemberStatus status);
    /// @notice A governor joined.
    event GovernorAdded(address indexed governor);
    /// @notice A governor left.
    event GovernorRemoved(address indexed governor);
    /// @notice The quorum changed.
    event QuorumChanged(uint256 quorum);
    /// @notice A task was created (version 1) or its policy updated (new version).
    event TaskPolicySet(uint256 indexed taskId, uint32 indexed version, TaskPolicy policy);
    /// @notice A member's access to a task was granted or revoked.
    event TaskAccessChanged(uint256 indexed taskId, address indexed account, bool granted);
    /// @notice Governance resolved a disputed round and suspended the parties it found wrong.
    event DisputeResolved(
        uint256 indexed taskId,
        uint256 indexed round,
        DisputeResolution resolution,
        address[] suspended
    );

    /// @notice Proposes a change; it takes effect through `execute` once the quorum approved it.
    /// @param kind What the change does.
    /// @param payload ABI-encoded arguments of the change (see ProposalKind).
    /// @param votingPeriod Seconds from now during which approvals and execution are possible.
    /// @return proposalId The new proposal's id.
    function propose(
        ProposalKind kind,
        bytes calldata payload,
        uint64 votingPeriod
    ) external returns (uint256 proposalId);

    /// @notice Approves a proposal as the calling governor.
    /// @param proposalId The proposal.
    function approve(uint256 proposalId) external;

    /// @notice Applies a proposal that the quorum of current governors approved before it expired.
    /// @param proposalId The proposal.
    function execute(uint256 proposalId) external;

    /// @notice Marks an unexecuted proposal whose window passed as expired (an event for the audit log).
    /// @param proposalId The proposal.
    function markExpired(uint256 proposalId) external;

    /// @notice Reverts unless `account` is an active member with `role`, granted to `taskId`, whose current
    /// policy is unexpired and allows `operation`.
    /// @param taskId The task.
    /// @param account The account to check.
    /// @param role One ROLE_* bit.
    /// @param operation One OP_* bit.
    /// @return policyVersion The task's current policy version.
    function requireTaskAccess(
        uint256 taskId,
        address account,
        uint8 role,
        uint8 operation
    ) external view returns (uint32 policyVersion);

    /// @notice The policy of a task at a version.
    /// @param taskId The task.
    /// @param version The policy version (1-based).
    /// @return The policy.
    function taskPolicy(uint256 taskId, uint32 version) external view returns (TaskPolicy memory);

    /// @notice The current policy version of a task (0 when the task does not exist).
    /// @param taskId The task.
    /// @return The version.
    function currentPolicyVersion(uint256 taskId) external view returns (uint32);

    /// @notice A member record.
    /// @param account The account.
    /// @return The member (status None when never admitted).
    function member(address account) external view returns (Member memory);

    /// @notice Whether an account has been granted access to a task.
    /// @param taskId The task.
    /// @param account The account.
    /// @return True when granted.
    function hasTaskAccess(uint256 taskId, address account) external view returns (bool);

    /// @notice The current governors.
    /// @return The governor addresses.
    function governors() external view returns (address[] memory);

    /// @notice Approvals needed to execute a proposal.
    /// @return The quorum.
    function quorum() external view returns (uint256);

    /// @notice A proposal.
    /// @param proposalId The proposal.
    /// @return The proposal.
    function proposal(uint256 proposalId) external view returns (Proposal memory);

    /// @notice How many current governors approved a proposal.
    /// @param proposalId The proposal.
    /// @return The count.
    function approvalCount(uint256 proposalId) external view returns (uint256);

    /// @notice Number of proposals created so far (ids are 1..count).
    /// @return The count.
    function proposalCount() external view returns (uint256);

    /// @notice Number of tasks created so far (ids are 1..count).
    /// @return The count.
    function taskCount() external view returns (uint256);

    /// @notice The registry of update-circuit verifying keys, created by this consortium.
    /// @return The registry.
    function verifyingKeys() external view returns (IVerifyingKeyRegistry);

    /// @notice Whether this is a development deployment (the only kind that accepts development keys).
    /// @return True for a development deployment.
    function development() external view returns (bool);

    /// @notice How governance resolved a disputed round (None while unresolved).
    /// @param taskId The task.
    /// @param round The round.
    /// @return The resolution.
    function disputeResolution(uint256 taskId, uint256 round) external view returns (DisputeResolution);

    /// @notice The block in which governance resolved a round (0 while unresolved). A resolution decided
    /// before the round was disputed is never applied: it cannot have weighed the dispute's evidence.
    /// @param taskId The task.
    /// @param round The round.
    /// @return The block number.
    function disputeResolvedAtBlock(uint256 taskId, uint256 round) external view returns (uint256);

    /// @notice The task's auditors able to attest: active readers with the auditor role, minus one when a
    /// reader also aggregates (it cannot attest its own round).
    /// @param taskId The task.
    /// @return The count.
    function attestingAuditors(uint256 taskId) external view returns (uint256);
}
