// SPDX-License-Identifier: Apache-2.0
pragma solidity 0.8.28;

import {
    IConsortium,
    ROLE_AGGREGATOR,
    ROLE_AUDITOR,
    ALL_ROLES,
    ALL_OPERATIONS
} from "./interfaces/IConsortium.sol";

/// @title Consortium
/// @notice Governors (M of N) admit members and set task policies; see IConsortium.
/// @dev There is no owner: the deployer only chooses the first governors and quorum.
contract Consortium is IConsortium {
    /// @notice Longest approval window a proposal may ask for.
    uint64 public constant MAX_VOTING_PERIOD = 30 days;

    address[] private _governors;
    mapping(address account => bool) private _isGovernor;
    uint256 private _quorum;

    mapping(address account => Member) private _members;

    uint256 private _proposalCount;
    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(address governor => bool)) private _approved;

    uint256 private _taskCount;
    mapping(uint256 taskId => uint32) private _policyVersion;
    mapping(uint256 taskId => mapping(uint32 version => TaskPolicy)) private _policies;
    mapping(uint256 taskId => mapping(address account => bool)) private _taskAccess;

    modifier onlyGovernor() {
        if (!_isGovernor[msg.sender]) revert Consortium__NotGovernor(msg.sender);
        _;
    }

    /// @param initialGovernors The first governors (distinct, non-zero).
    /// @param initialQuorum Approvals needed per proposal, between 1 and the number of governors.
    constructor(address[] memory initialGovernors, uint256 initialQuorum) {
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
        if (_approved[proposalId][msg.sender]) revert Consortium__AlreadyApproved(proposalId, msg.sender);
        _approved[proposalId][msg.sender] = true;
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
        // Only approvals of governors who still hold the seat count, so removing a governor can never
        // leave a proposal above quorum on the strength of an ex-governor's vote.
        uint256 n = _governors.length;
        for (uint256 i = 0; i < n; ++i) {
            if (_approved[proposalId][_governors[i]]) ++approvals;
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
        } else {
            // RevokeTaskAccess: the enum has no other value left, and abi decoding of `kind` reverts on
            // out-of-range values before reaching here.
            (uint256 taskId, address account) = abi.decode(payload, (uint256, address));
            _setTaskAccess(taskId, account, false);
        }
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
    }

    function _addGovernor(address account) private {
        if (account == address(0)) revert Consortium__ZeroAddress();
        if (_isGovernor[account]) revert Consortium__AlreadyGovernor(account);
        _isGovernor[account] = true;
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
        if (_policyVersion[taskId] == 0) revert Consortium__UnknownTask(taskId);
        if (_members[account].status == MemberStatus.None) revert Consortium__NotMember(account);
        _taskAccess[taskId][account] = granted;
        emit TaskAccessChanged(taskId, account, granted);
    }

    function _setPolicy(uint256 taskId, TaskPolicy memory policy) private {
        _validatePolicy(policy);
        uint32 version = _policyVersion[taskId] + 1;
        _policyVersion[taskId] = version;
        _policies[taskId][version] = policy;
        emit TaskPolicySet(taskId, version, policy);
    }

    function _validatePolicy(TaskPolicy memory policy) private view {
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
        if (policy.aggregationRule > 4) revert Consortium__InvalidPolicy("unknown aggregation rule");
        if (policy.minParticipants == 0) revert Consortium__InvalidPolicy("minParticipants is zero");
        if (policy.attestationQuorum == 0) revert Consortium__InvalidPolicy("attestationQuorum is zero");
        if (policy.allowedOperations & ~ALL_OPERATIONS != 0)
            revert Consortium__InvalidPolicy("unknown operation");
        if (policy.expiry <= block.timestamp) revert Consortium__InvalidPolicy("expiry in the past");
        if (policy.verifier.code.length == 0) revert Consortium__InvalidPolicy("verifier has no code");
        if (policy.readers.length == 0) revert Consortium__InvalidPolicy("no readers");
        for (uint256 i = 0; i < policy.readers.length; ++i) {
            Member storage reader = _members[policy.readers[i]];
            if (reader.status != MemberStatus.Active) revert Consortium__NotMember(policy.readers[i]);
            if (reader.profile.roles & (ROLE_AGGREGATOR | ROLE_AUDITOR) == 0) {
                revert Consortium__MissingRole(policy.readers[i], ROLE_AGGREGATOR | ROLE_AUDITOR);
            }
        }
    }
}
