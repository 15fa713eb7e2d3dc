// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {
    IConsortium,
    ROLE_AGGREGATOR,
    ROLE_AUDITOR,
    ALL_ROLES,
    ALL_OPERATIONS
} from "./interfaces/IConsortium.sol";
import {IVerifyingKeyRegistry} from "./interfaces/IVerifyingKeyRegistry.sol";
import {MAX_CHUNKS_PER_UPDATE} from "./interfaces/IFederatedRounds.sol";
import {VerifyingKeyRegistry} from "./VerifyingKeyRegistry.sol";

/// @title Consortium
/// @notice Governors (M of N) admit members and set task policies; see IConsortium.
/// @dev There is no owner: the deployer only chooses the first governors and quorum.
// Governance, membership, policies, readers and dispute resolutions are one trust domain: splitting the
// state over contracts would add cross-contract calls to every check without isolating anything.
// solhint-disable-next-line max-states-count
contract Consortium is IConsortium {
    /// @notice Longest approval window a proposal may ask for.
    uint64 public constant MAX_VOTING_PERIOD = 30 days;
    /// @notice Most updates a policy may let one round take: publishing the outcome of a round this size
    /// costs about 3.6 M gas (bench), far below the 2^24 per-transaction cap.
    uint16 public constant MAX_COMMITS_PER_ROUND = 1024;

    /// @inheritdoc IConsortium
    IVerifyingKeyRegistry public immutable verifyingKeys;
    /// @inheritdoc IConsortium
    bool public immutable development;

    address[] private _governors;
    mapping(address account => bool) private _isGovernor;
    /// @dev Each seating of a governor gets a fresh seat number; an approval counts only while the seat it
    /// was given from is the governor's current one, so a removed and re-seated governor starts afresh.
    mapping(address account => uint256) private _seat;
    uint256 private _seatCount;
    uint256 private _quorum;

    mapping(address account => Member) private _members;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address governor => uint256 seat)) private _approvalSeat;

    uint256 private _taskCount;
    mapping(uint256 taskId => uint32) private _policyVersion;
    mapping(uint256 taskId => mapping(uint32 version => TaskPolicy)) private _policies;
    mapping(uint256 taskId => mapping(address account => bool)) private _taskAccess;
    /// @dev Tasks whose policy (some version) names the account as reader: rechecked when it leaves.
    mapping(address account => uint256[]) private _readerTasks;
    mapping(address account => mapping(uint256 taskId => bool)) private _isReaderTask;
    mapping(uint256 taskId => mapping(uint256 round => DisputeResolution)) private _resolutions;
    mapping(uint256 taskId => mapping(uint256 round => uint256 blockNumber)) private _resolvedAtBlock;

    modifier onlyGovernor() {
        if (!_isGovernor[msg.sender]) revert Consortium__NotGovernor(msg.sender);
        _;
    }

    /// @param initialGovernors The first governors (distinct, non-zero).
    /// @param initialQuorum Approvals needed per proposal, between 1 and the number of governors.
    /// @param development_ Whether task policies may pin development-only verifying keys (never in
    /// production: their toxic waste is public, so anyone can forge proofs for them).
    constructor(address[] memory initialGovernors, uint256 initialQuorum, bool development_) {
        development = development_;
        // The registry's code is part of this contract's creation code, so no deployer can substitute a
        // verifier that does not check the key a policy pins.
        verifyingKeys = new VerifyingKeyRegistry();
        for (uint256 i = 0; i < initialGovernors.length; ++i) {
            _addGovernor(initialGovernors[i]);
        }
        _setQuorum(initialQuorum);
    }

    /// @inheritdoc IConsortium
    function propose(
        ProposalKind kind,
        bytes calldata payload,
        uint64 votingPeriod
    ) external onlyGovernor returns (uint256 proposalId) {
        if (votingPeriod == 0 || votingPeriod > MAX_VOTING_PERIOD)
            revert Consortium__InvalidVotingPeriod(votingPeriod);
        proposalId = ++_proposalCount;
        uint64 expiry = uint64(block.timestamp) + votingPeriod;
        _proposals[proposalId] = Proposal({
            kind: kind,
            proposer: msg.sender,
            expiry: expiry,
            executed: false,
            expired: false,
            payload: payload
        });
        emit ProposalCreated(proposalId, kind, msg.sender, expiry, payload);
    }

    /// @inheritdoc IConsortium
    function approve(uint256 proposalId) external onlyGovernor {
        _openProposal(proposalId);
        uint256 seat = _seat[msg.sender];
        if (_approvalSeat[proposalId][msg.sender] == seat)
            revert Consortium__AlreadyApproved(proposalId, msg.sender);
        _approvalSeat[proposalId][msg.sender] = seat;
        emit ProposalApproved(proposalId, msg.sender);
    }

    /// @inheritdoc IConsortium
    function execute(uint256 proposalId) external {
        Proposal storage p = _openProposal(proposalId);
        uint256 approvals = approvalCount(proposalId);
        if (approvals < _quorum) revert Consortium__QuorumNotReached(proposalId, approvals, _quorum);
        p.executed = true;
        _apply(p.kind, p.payload);
        emit ProposalExecuted(proposalId, p.kind);
    }

    /// @inheritdoc IConsortium
    function markExpired(uint256 proposalId) external {
        Proposal storage p = _proposals[proposalId];
        if (p.proposer == address(0)) revert Consortium__UnknownProposal(proposalId);
        if (p.executed) revert Consortium__ProposalAlreadyExecuted(proposalId);
        if (p.expired) revert Consortium__ProposalExpired(proposalId);
        if (block.timestamp <= p.expiry) revert Consortium__ProposalNotExpired(proposalId);
        p.expired = true;
        emit ProposalExpiredMarked(proposalId);
    }

    /// @inheritdoc IConsortium
    function requireTaskAccess(
        uint256 taskId,
        address account,
        uint8 role,
        uint8 operation
    ) external view returns (uint32 policyVersion) {
        Member storage m = _members[account];
        if (m.status != MemberStatus.Active) {
            if (m.status == MemberStatus.Suspended) revert Consortium__MemberSuspended(account);
            if (m.status == MemberStatus.Removed) revert Consortium__MemberRemoved(account);
            revert Consortium__NotMember(account);
        }
        if (m.profile.roles & role == 0) revert Consortium__MissingRole(account, role);
        policyVersion = _policyVersion[taskId];
        if (policyVersion == 0) revert Consortium__UnknownTask(taskId);
        if (!_taskAccess[taskId][account]) revert Consortium__NotGrantedToTask(taskId, account);
        TaskPolicy storage policy = _policies[taskId][policyVersion];
        if (block.timestamp > policy.expiry) revert Consortium__PolicyExpired(taskId, policy.expiry);
        if (policy.allowedOperations & operation == 0)
            revert Consortium__OperationNotAllowed(taskId, operation);
    }

    /// @inheritdoc IConsortium
    function taskPolicy(uint256 taskId, uint32 version) external view returns (TaskPolicy memory) {
        if (version == 0 || version > _policyVersion[taskId]) revert Consortium__UnknownTask(taskId);
        return _policies[taskId][version];
    }

    /// @inheritdoc IConsortium
    function currentPolicyVersion(uint256 taskId) external view returns (uint32) {
        return _policyVersion[taskId];
    }

    /// @inheritdoc IConsortium
    function member(address account) external view returns (Member memory) {
        return _members[account];
    }

    /// @inheritdoc IConsortium
    function hasTaskAccess(uint256 taskId, address account) external view returns (bool) {
        return _taskAccess[taskId][account];
    }

    /// @inheritdoc IConsortium
    function governors() external view returns (address[] memory) {
        return _governors;
    }

    /// @inheritdoc IConsortium
    function quorum() external view returns (uint256) {
        return _quorum;
    }

    /// @inheritdoc IConsortium
    function proposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortium
    function approvalCount(uint256 proposalId) public view returns (uint256 approvals) {
        // Only approvals given from a governor's current seat count: removing a governor can never leave a
        // proposal above quorum on an ex-governor's vote, and re-seating does not revive old approvals.
        uint256 n = _governors.length;
        for (uint256 i = 0; i < n; ++i) {
            address g = _governors[i];
            if (_approvalSeat[proposalId][g] == _seat[g]) ++approvals;
        }
    }

    /// @inheritdoc IConsortium
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    /// @inheritdoc IConsortium
    function taskCount() external view returns (uint256) {
        return _taskCount;
    }

    /// @inheritdoc IConsortium
    function disputeResolution(uint256 taskId, uint256 round) external view returns (DisputeResolution) {
        return _resolutions[taskId][round];
    }

    /// @inheritdoc IConsortium
    function disputeResolvedAtBlock(uint256 taskId, uint256 round) external view returns (uint256) {
        return _resolvedAtBlock[taskId][round];
    }

    /// @inheritdoc IConsortium
    function attestingAuditors(uint256 taskId) external view returns (uint256) {
        uint32 version = _policyVersion[taskId];
        if (version == 0) revert Consortium__UnknownTask(taskId);
        return _attestingAuditors(_policies[taskId][version].readers, address(0));
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.proposer == address(0)) revert Consortium__UnknownProposal(proposalId);
        if (p.executed) revert Consortium__ProposalAlreadyExecuted(proposalId);
        if (p.expired || block.timestamp > p.expiry) revert Consortium__ProposalExpired(proposalId);
    }

    function _apply(ProposalKind kind, bytes memory payload) private {
        if (kind == ProposalKind.AdmitMember) {
            (address account, MemberProfile memory profile) = abi.decode(payload, (address, MemberProfile));
            _admitMember(account, profile);
        } else if (kind == ProposalKind.SuspendMember) {
            _setMemberStatus(abi.decode(payload, (address)), MemberStatus.Active, MemberStatus.Suspended);
        } else if (kind == ProposalKind.ReinstateMember) {
            _setMemberStatus(abi.decode(payload, (address)), MemberStatus.Suspended, MemberStatus.Active);
        } else if (kind == ProposalKind.RemoveMember) {
            address account = abi.decode(payload, (address));
            MemberStatus status = _members[account].status;
            if (status != MemberStatus.Active && status != MemberStatus.Suspended) {
                revert Consortium__InvalidMemberStatus(account, status);
            }
            _members[account].status = MemberStatus.Removed;
            emit MemberStatusChanged(account, MemberStatus.Removed);
            _checkQuorumsWithout(account);
        } else if (kind == ProposalKind.AddGovernor) {
            _addGovernor(abi.decode(payload, (address)));
        } else if (kind == ProposalKind.RemoveGovernor) {
            _removeGovernor(abi.decode(payload, (address)));
        } else if (kind == ProposalKind.SetQuorum) {
            _setQuorum(abi.decode(payload, (uint256)));
        } else if (kind == ProposalKind.CreateTask) {
            TaskPolicy memory policy = abi.decode(payload, (TaskPolicy));
            uint256 taskId = ++_taskCount;
            _setPolicy(taskId, policy);
        } else if (kind == ProposalKind.UpdateTask) {
            (uint256 taskId, TaskPolicy memory policy) = abi.decode(payload, (uint256, TaskPolicy));
            if (_policyVersion[taskId] == 0) revert Consortium__UnknownTask(taskId);
            _setPolicy(taskId, policy);
        } else if (kind == ProposalKind.GrantTaskAccess) {
            (uint256 taskId, address account) = abi.decode(payload, (uint256, address));
            _setTaskAccess(taskId, account, true);
        } else if (kind == ProposalKind.RevokeTaskAccess) {
            (uint256 taskId, address account) = abi.decode(payload, (uint256, address));
            _setTaskAccess(taskId, account, false);
        } else if (kind == ProposalKind.RegisterVerifyingKey) {
            _registerVerifyingKey(payload);
        } else {
            // ResolveDispute: the enum has no other value left, and abi decoding of `kind` reverts on
            // out-of-range values before reaching here.
            (uint256 taskId, uint256 round, bool upholdModel, address[] memory suspend) = abi.decode(
                payload,
                (uint256, uint256, bool, address[])
            );
            _resolveDispute(taskId, round, upholdModel, suspend);
        }
    }

    function _registerVerifyingKey(bytes memory payload) private {
        (uint256[] memory key, IVerifyingKeyRegistry.CircuitShape memory shape, bool developmentOnly) = abi
            .decode(payload, (uint256[], IVerifyingKeyRegistry.CircuitShape, bool));
        verifyingKeys.register(key, shape, developmentOnly);
    }

    function _resolveDispute(
        uint256 taskId,
        uint256 round,
        bool upholdModel,
        address[] memory suspend
    ) private {
        if (_policyVersion[taskId] == 0) revert Consortium__UnknownTask(taskId);
        if (_resolutions[taskId][round] != DisputeResolution.None)
            revert Consortium__AlreadyResolved(taskId, round);
        DisputeResolution resolution =
            upholdModel ? DisputeResolution.ModelUpheld : DisputeResolution.DisputeConfirmed;
        _resolutions[taskId][round] = resolution;
        _resolvedAtBlock[taskId][round] = block.number;
        for (uint256 i = 0; i < suspend.length; ++i) {
            _setMemberStatus(suspend[i], MemberStatus.Active, MemberStatus.Suspended);
        }
        emit DisputeResolved(taskId, round, resolution, suspend);
    }

    function _admitMember(address account, MemberProfile memory profile) private {
        if (account == address(0)) revert Consortium__ZeroAddress();
        if (_members[account].status != MemberStatus.None) revert Consortium__AlreadyMember(account);
        if (profile.roles == 0 || profile.roles & ~ALL_ROLES != 0)
            revert Consortium__InvalidRoles(profile.roles);
        _members[account] = Member({profile: profile, status: MemberStatus.Active});
        emit MemberAdmitted(
            account,
            profile.roles,
            profile.kind,
            profile.encryptionKey,
            profile.metadataHash
        );
    }

    function _setMemberStatus(address account, MemberStatus from, MemberStatus to) private {
        MemberStatus status = _members[account].status;
        if (status == MemberStatus.None) revert Consortium__NotMember(account);
        if (status != from) revert Consortium__InvalidMemberStatus(account, status);
        _members[account].status = to;
        emit MemberStatusChanged(account, to);
        if (to != MemberStatus.Active) _checkQuorumsWithout(account);
    }

    /// @dev An auditor leaving must not leave any task it reads with a quorum above its auditors: such a
    /// task could never finalize again. Governance lowers the quorum (or adds an auditor) first.
    function _checkQuorumsWithout(address account) private view {
        if (_members[account].profile.roles & ROLE_AUDITOR == 0) return;
        uint256[] storage tasks = _readerTasks[account];
        for (uint256 i = 0; i < tasks.length; ++i) {
            uint256 taskId = tasks[i];
            TaskPolicy storage policy = _policies[taskId][_policyVersion[taskId]];
            uint256 auditors = _attestingAuditors(policy.readers, account);
            if (policy.attestationQuorum > auditors) {
                revert Consortium__QuorumExceedsAuditors(taskId, policy.attestationQuorum, auditors);
            }
        }
    }

    /// @dev Active readers with the auditor role (other than `leaving`), less one when any of them also
    /// aggregates: the aggregator of a round can never attest it.
    function _attestingAuditors(
        address[] memory readers,
        address leaving
    ) private view returns (uint256 count) {
        bool dualRole = false;
        for (uint256 i = 0; i < readers.length; ++i) {
            address r = readers[i];
            if (r == leaving) continue;
            Member storage m = _members[r];
            if (m.status != MemberStatus.Active || m.profile.roles & ROLE_AUDITOR == 0) continue;
            ++count;
            if (m.profile.roles & ROLE_AGGREGATOR != 0) dualRole = true;
        }
        if (dualRole) --count;
    }

    function _addGovernor(address account) private {
        if (account == address(0)) revert Consortium__ZeroAddress();
        if (_isGovernor[account]) revert Consortium__AlreadyGovernor(account);
        _isGovernor[account] = true;
        _seat[account] = ++_seatCount;
        _governors.push(account);
        emit GovernorAdded(account);
    }

    function _removeGovernor(address account) private {
        if (!_isGovernor[account]) revert Consortium__NotGovernor(account);
        uint256 n = _governors.length;
        if (_quorum > n - 1) revert Consortium__QuorumOutOfRange(_quorum, n - 1);
        for (uint256 i = 0; i < n; ++i) {
            if (_governors[i] == account) {
                _governors[i] = _governors[n - 1];
                _governors.pop();
                break;
            }
        }
        _isGovernor[account] = false;
        _seat[account] = 0;
        emit GovernorRemoved(account);
    }

    function _setQuorum(uint256 newQuorum) private {
        if (newQuorum == 0 || newQuorum > _governors.length) {
            revert Consortium__QuorumOutOfRange(newQuorum, _governors.length);
        }
        _quorum = newQuorum;
        emit QuorumChanged(newQuorum);
    }

    function _setTaskAccess(uint256 taskId, address account, bool granted) private {
        uint32 version = _policyVersion[taskId];
        if (version == 0) revert Consortium__UnknownTask(taskId);
        if (_members[account].status == MemberStatus.None) revert Consortium__NotMember(account);
        if (!granted && _members[account].profile.roles & ROLE_AUDITOR != 0) {
            // An auditor losing access leaves the task as surely as one suspended: the same quorum rule.
            TaskPolicy storage policy = _policies[taskId][version];
            uint256 auditors = _attestingAuditors(policy.readers, account);
            if (policy.attestationQuorum > auditors) {
                revert Consortium__QuorumExceedsAuditors(taskId, policy.attestationQuorum, auditors);
            }
        }
        _taskAccess[taskId][account] = granted;
        emit TaskAccessChanged(taskId, account, granted);
    }

    function _setPolicy(uint256 taskId, TaskPolicy memory policy) private {
        _validatePolicy(taskId, policy);
        uint32 version = _policyVersion[taskId] + 1;
        _policyVersion[taskId] = version;
        _policies[taskId][version] = policy;
        for (uint256 i = 0; i < policy.readers.length; ++i) {
            address reader = policy.readers[i];
            if (!_isReaderTask[reader][taskId]) {
                _isReaderTask[reader][taskId] = true;
                _readerTasks[reader].push(taskId);
            }
        }
        emit TaskPolicySet(taskId, version, policy);
    }

    function _validatePolicy(uint256 taskId, TaskPolicy memory policy) private view {
        if (bytes(policy.initialModelCid).length == 0)
            revert Consortium__InvalidPolicy("initialModelCid is empty");
        if (policy.dimension == 0) revert Consortium__InvalidPolicy("dimension is zero");
        if (policy.maxNonZeros == 0 || policy.maxNonZeros > policy.dimension) {
            revert Consortium__InvalidPolicy("maxNonZeros outside 1..dimension");
        }
        if (policy.lInfBound == 0 || policy.l2Bound == 0) revert Consortium__InvalidPolicy("zero bound");
        // l2Bound^2 must fit the 96 bits the proof reserves for it.
        if (uint256(policy.l2Bound) * uint256(policy.l2Bound) >= 1 << 96) {
            revert Consortium__InvalidPolicy("l2Bound squared exceeds 2^96");
        }
        if (policy.scale == 0) revert Consortium__InvalidPolicy("scale is zero");
        if (policy.aggregationRule > 6) revert Consortium__InvalidPolicy("unknown aggregation rule");
        if (policy.minParticipants == 0) revert Consortium__InvalidPolicy("minParticipants is zero");
        if (policy.maxCommits < policy.minParticipants || policy.maxCommits > MAX_COMMITS_PER_ROUND) {
            revert Consortium__InvalidPolicy("maxCommits outside minParticipants..MAX_COMMITS_PER_ROUND");
        }
        if (policy.attestationQuorum == 0) revert Consortium__InvalidPolicy("attestationQuorum is zero");
        if (policy.allowedOperations & ~ALL_OPERATIONS != 0)
            revert Consortium__InvalidPolicy("unknown operation");
        if (policy.expiry <= block.timestamp) revert Consortium__InvalidPolicy("expiry in the past");
        if (policy.maxRoundDuration == 0 || policy.publishWindow == 0 || policy.attestationWindow == 0) {
            revert Consortium__InvalidPolicy("zero round window");
        }
        if (policy.readerKey == bytes32(0)) revert Consortium__InvalidPolicy("readerKey is zero");
        _validateAgainstCircuit(policy);
        if (policy.readers.length == 0) revert Consortium__InvalidPolicy("no readers");
        for (uint256 i = 0; i < policy.readers.length; ++i) {
            // A reader listed twice would count twice toward the attestation quorum.
            for (uint256 j = 0; j < i; ++j) {
                if (policy.readers[j] == policy.readers[i])
                    revert Consortium__InvalidPolicy("duplicate reader");
            }
            Member storage reader = _members[policy.readers[i]];
            if (reader.status != MemberStatus.Active) revert Consortium__NotMember(policy.readers[i]);
            if (reader.profile.roles & (ROLE_AGGREGATOR | ROLE_AUDITOR) == 0) {
                revert Consortium__MissingRole(policy.readers[i], ROLE_AGGREGATOR | ROLE_AUDITOR);
            }
        }
        uint256 auditors = _attestingAuditors(policy.readers, address(0));
        if (policy.attestationQuorum > auditors) {
            revert Consortium__QuorumExceedsAuditors(taskId, policy.attestationQuorum, auditors);
        }
    }

    /// @dev The key must be registered, fit the bounds (an honest member could not prove otherwise, and the
    /// circuit's range checks are what make the bounds sound), and not be a development key in production.
    function _validateAgainstCircuit(TaskPolicy memory policy) private view {
        bytes32 keyHash = policy.verifyingKeyHash;
        IVerifyingKeyRegistry.KeyInfo memory info = verifyingKeys.keyInfo(keyHash);
        if (info.developmentOnly && !development) revert Consortium__DevelopmentKeyRefused(keyHash);
        IVerifyingKeyRegistry.CircuitShape memory shape = info.shape;
        // An update is proven in chunks of maxEntries, at most MAX_CHUNKS_PER_UPDATE of them.
        uint256 maxNonZeros = uint256(shape.maxEntries) * MAX_CHUNKS_PER_UPDATE;
        if (policy.maxNonZeros > maxNonZeros) {
            revert Consortium__PolicyExceedsCircuit(keyHash, "maxNonZeros", policy.maxNonZeros, maxNonZeros);
        }
        if (uint256(policy.dimension) > 1 << shape.indexBits) {
            revert Consortium__PolicyExceedsCircuit(
                keyHash,
                "dimension",
                policy.dimension,
                1 << shape.indexBits
            );
        }
        // The circuit range-checks value + lInf in VAL_BITS bits, so 2 * lInf must stay below 2^VAL_BITS.
        if (2 * uint256(policy.lInfBound) >= 1 << shape.valueBits) {
            revert Consortium__PolicyExceedsCircuit(
                keyHash,
                "lInfBound",
                policy.lInfBound,
                (uint256(1) << shape.valueBits) / 2 - 1
            );
        }
    }
}
