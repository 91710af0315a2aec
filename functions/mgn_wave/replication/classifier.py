"""The replication verdict over one SourceServer, exactly as `DescribeSourceServers` returns it.

Pure: no AWS calls, no clock of its own (`now` is given). It never raises on a strange server
(a newer MGN, a half-registered agent): unknown values mean "keep waiting and poll again", and
the tables below say what each known value means. Rules (docs/mgn-facts.md §1.5, §1.9):

- SUCCEEDED: `dataReplicationState == CONTINUOUS` and the lifecycle is READY_FOR_TEST or later;
  also a server whose cutover was finalized (lifecycle CUTOVER: its replication was
  disconnected on purpose, the migration is done).
- FAILED: archived; DISCONNECTED; STOPPED; an initiation step FAILED; STALLED with a
  `dataReplicationError`; or `now >= deadline` while still waiting (the reason keeps the phase).
- WAITING: everything else; also a stall MGN will retry on its own
  (`dataReplicationInitiation.nextAttemptDateTime` set) while the grace period since the wave
  first saw it stalled lasts (`stall_grace`): a firewall fixed ten minutes later must not end the
  wave as FAILED. After the grace period it is FAILED, its reason naming the grace.

One event decides on its own, with no `DescribeSourceServers`: MGN's `MGN Source Server Lifecycle
State Change` to READY_FOR_TEST (`ready_verdict`). MGN sends it only when the server reaches
READY_FOR_TEST for the first time (docs/mgn-facts.md §2), which is the end of the initial sync's
first consistent snapshot: the server can be launched for test, the success this wave waits for.
The event does not carry the data replication state (⚠️ CONTINUOUS at that moment is an inference,
listed in the README's "Verify on a real account").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mgn_wave import ids
from mgn_wave.models.mgn import DataReplicationState, LifeCycleState
from mgn_wave.models.source_server import SourceServerRecord, utc
from mgn_wave.models.verdict import (
    DataReplicationErrorCode,
    InitiationStep,
    Outcome,
    Phase,
    ReplicationTimings,
    ReplicationVerdict,
)

if TYPE_CHECKING:
    from datetime import timedelta

_Err = DataReplicationErrorCode
_Step = InitiationStep

# What each data replication state means for the wave. CONTINUOUS alone is not success: the
# lifecycle must say the server is launchable too.
PHASE_OF_STATE: dict[DataReplicationState, Phase] = {
    DataReplicationState.STOPPED: Phase.STOPPED,
    DataReplicationState.INITIATING: Phase.INITIATING,
    DataReplicationState.INITIAL_SYNC: Phase.SYNCING,
    DataReplicationState.BACKLOG: Phase.BACKLOG,
    DataReplicationState.CREATING_SNAPSHOT: Phase.CREATING_SNAPSHOT,
    DataReplicationState.CONTINUOUS: Phase.HEALTHY,
    DataReplicationState.PAUSED: Phase.PAUSED,
    DataReplicationState.RESCAN: Phase.RESCAN,
    DataReplicationState.STALLED: Phase.STALLED,
    DataReplicationState.DISCONNECTED: Phase.DISCONNECTED,
    DataReplicationState.PENDING_SNAPSHOT_SHIPPING: Phase.SNAPSHOT_SHIPPING,
    DataReplicationState.SHIPPING_SNAPSHOT: Phase.SNAPSHOT_SHIPPING,
}

# What each lifecycle state means. READY: launchable for test or further along (success when
# the data replication is continuous). A phase: the lifecycle alone decides it. None: the data
# replication state decides.
READY = "READY"
LIFECYCLE_ROLE: dict[LifeCycleState, Phase | str | None] = {
    LifeCycleState.STOPPED: Phase.STOPPED,
    LifeCycleState.NOT_READY: None,
    LifeCycleState.READY_FOR_TEST: READY,
    LifeCycleState.TESTING: READY,
    LifeCycleState.READY_FOR_CUTOVER: READY,
    LifeCycleState.CUTTING_OVER: READY,
    LifeCycleState.CUTOVER: READY,
    LifeCycleState.DISCONNECTED: Phase.DISCONNECTED,
    # Imported from an inventory or discovered in vCenter: MGN knows of it, no agent runs there.
    LifeCycleState.DISCOVERED: Phase.NOT_REGISTERED,
    LifeCycleState.PENDING_INSTALLATION: Phase.NOT_REGISTERED,
}

# The error a failed initiation step implies (docs/mgn-facts.md §1.9: step X ↔ error FAILED_TO_X).
STEP_ERRORS: dict[InitiationStep, DataReplicationErrorCode] = {
    # ⚠️ WAIT has no FAILED_TO_ twin. It is the step before MGN creates anything, waiting on the
    # agent's handshake, so its failure reads as the service not hearing from the agent.
    _Step.WAIT: _Err.AGENT_NOT_SEEN,
    _Step.CREATE_SECURITY_GROUP: _Err.FAILED_TO_CREATE_SECURITY_GROUP,
    _Step.LAUNCH_REPLICATION_SERVER: _Err.FAILED_TO_LAUNCH_REPLICATION_SERVER,
    _Step.BOOT_REPLICATION_SERVER: _Err.FAILED_TO_BOOT_REPLICATION_SERVER,
    _Step.AUTHENTICATE_WITH_SERVICE: _Err.FAILED_TO_AUTHENTICATE_WITH_SERVICE,
    _Step.DOWNLOAD_REPLICATION_SOFTWARE: _Err.FAILED_TO_DOWNLOAD_REPLICATION_SOFTWARE,
    _Step.CREATE_STAGING_DISKS: _Err.FAILED_TO_CREATE_STAGING_DISKS,
    _Step.ATTACH_STAGING_DISKS: _Err.FAILED_TO_ATTACH_STAGING_DISKS,
    _Step.PAIR_REPLICATION_SERVER_WITH_AGENT: _Err.FAILED_TO_PAIR_REPLICATION_SERVER_WITH_AGENT,
    _Step.CONNECT_AGENT_TO_REPLICATION_SERVER: _Err.FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER,
    _Step.START_DATA_TRANSFER: _Err.FAILED_TO_START_DATA_TRANSFER,
    _Step.SETUP_FSX_PROXY: _Err.FAILED_TO_SETUP_FSX_PROXY,
}

_MGN_PATH = (
    "the mgn interface endpoint in the staging VPC (state available, private DNS on, VPC "
    "enableDnsSupport and enableDnsHostnames on), its security group admitting TCP 443 from the "
    "replication security group or the staging subnet, the replication security group allowing "
    "outbound 443 to it, and the staging subnet's NACL allowing 443 out and ephemeral ports back"
)
_S3_PATH = (
    "the S3 gateway endpoint on the staging subnet's route table, its policy allowing s3:GetObject "
    "on the MGN buckets including al2023-repos-<region>-de612dc2, and the replication security "
    "group allowing outbound 443 to the S3 prefix list"
)
_AGENT_PATH = (
    "TCP 443 from the source server to the mgn endpoint: the name the agent uses (mgn.<region>."
    "amazonaws.com through a Resolver inbound endpoint, or the --endpoint vpce name) resolving to the "
    "endpoint's private IPs, the endpoint security group admitting 443 from the source range, the "
    "NACLs of the endpoint subnets, and the on-premises firewall and route to the staging VPC"
)
_DATA_PATH = (
    "TCP 1500 from the source server to the staging subnet: the replication security group admitting "
    "1500 from the source range, the staging subnet's NACL allowing 1500 in and ephemeral ports back "
    "out, the staging route table's return route to the source range (peering, TGW or VGW), the "
    "on-premises firewall, and dataPlaneRouting=PRIVATE_IP (PUBLIC_IP sends the agent to a public address)"
)

# What to check when MGN reports each error. Every value of the model has one (a test holds
# the table to botocore's enum), so a new AWS error fails a test instead of reaching an operator
# without advice.
ERROR_HINTS: dict[DataReplicationErrorCode, str] = {
    _Err.AGENT_NOT_SEEN: (
        "MGN has not heard from the AWS Replication Agent: check that the source server is up and the "
        f"agent service runs, then {_AGENT_PATH}."
    ),
    _Err.SNAPSHOTS_FAILURE: (
        "MGN could not snapshot the staging disks: check the ec2 interface endpoint from the staging "
        "subnet (443, private DNS), the KMS key policy of ebsEncryptionKeyArn when ebsEncryption=CUSTOM, "
        "and the account's EBS snapshot quotas."
    ),
    _Err.NOT_CONVERGING: (
        "The source writes faster than replication carries: raise or remove bandwidthThrottling, check "
        "the capacity and utilisation of the VPN/Direct Connect link, and consider a larger "
        "replicationServerInstanceType or useDedicatedReplicationServer."
    ),
    _Err.UNSTABLE_NETWORK: (
        "The agent's TCP 1500 sessions to the replication server keep dropping: check packet loss and "
        "MTU on the VPN/Direct Connect path, firewalls that time out idle 1500 sessions, and that the "
        "staging subnet's NACL lets ephemeral-port return traffic reach the source range."
    ),
    _Err.FAILED_TO_CREATE_SECURITY_GROUP: (
        "MGN could not create its default security group in the staging VPC: check the security-group "
        "quota of the VPC and the MGN service-linked role, or set associateDefaultSecurityGroup=false "
        "with a custom replication security group that admits TCP 1500 from the source range."
    ),
    _Err.FAILED_TO_LAUNCH_REPLICATION_SERVER: (
        "The replication server did not launch: check that stagingAreaSubnetId exists with free IP "
        "addresses, that replicationServersSecurityGroupsIDs exist in the same VPC, that the instance "
        "type is offered in the subnet's Availability Zone, and the EC2 quotas."
    ),
    _Err.FAILED_TO_BOOT_REPLICATION_SERVER: (
        "The replication server launched but did not boot: check the KMS key (grants for the MGN "
        "service-linked role when ebsEncryption=CUSTOM), capacity for the instance type in the "
        f"Availability Zone, and {_MGN_PATH}."
    ),
    _Err.FAILED_TO_AUTHENTICATE_WITH_SERVICE: (
        "The replication server could not reach MGN over TCP 443 from the staging subnet: check "
        f"{_MGN_PATH}; the ec2 interface endpoint needs the same (private DNS on, 443 admitted)."
    ),
    _Err.FAILED_TO_DOWNLOAD_REPLICATION_SOFTWARE: (
        f"The replication server could not download its software from S3: check {_S3_PATH}; and {_MGN_PATH}."
    ),
    _Err.FAILED_TO_CREATE_STAGING_DISKS: (
        "MGN could not create the staging EBS volumes: check the EBS quotas for defaultLargeStagingDiskType "
        "and the replicated disks' stagingDiskType, and the KMS key policy when ebsEncryption=CUSTOM; this "
        "is not a network problem."
    ),
    _Err.FAILED_TO_ATTACH_STAGING_DISKS: (
        "The staging disks could not be attached to the replication server: check the KMS grants when "
        "ebsEncryption=CUSTOM, the volumes-per-instance limit (useDedicatedReplicationServer for servers "
        "with many disks), and the ec2 interface endpoint from the staging subnet (443, private DNS)."
    ),
    _Err.FAILED_TO_PAIR_REPLICATION_SERVER_WITH_AGENT: (
        "MGN could not pair the agent with its replication server: both must reach the mgn endpoint. "
        f"Check {_AGENT_PATH}; and {_MGN_PATH}."
    ),
    _Err.FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER: f"The agent could not connect: check {_DATA_PATH}.",
    _Err.FAILED_TO_START_DATA_TRANSFER: (
        "The agent connected but data did not flow: check that nothing between the source and the "
        "staging subnet (firewall, IPS, proxy) inspects or resets TCP 1500 sessions, the MTU of the "
        "VPN/Direct Connect path, and free disk and CPU on the source server."
    ),
    _Err.UNSUPPORTED_VM_CONFIGURATION: (
        "MGN does not support this source server's configuration (operating system, boot mode or disk "
        "layout): check the MGN supported operating systems; this is not a network problem."
    ),
    _Err.LAST_SNAPSHOT_JOB_FAILED: (
        "The last snapshot job failed: check the ec2 interface endpoint from the staging subnet (443, "
        "private DNS), KMS key access when ebsEncryption=CUSTOM, and the EBS snapshot quotas."
    ),
    _Err.FAILED_TO_SETUP_FSX_PROXY: (
        "The FSx for ONTAP proxy could not be set up: check that the storage virtual machine is reachable "
        "from the staging subnet, the credentials secret (and a secretsmanager endpoint on a private "
        "network), and the FsxProxy roles."
    ),
    _Err.FAILED_TO_CREATE_FSX_SNAPSHOT: (
        "The FSx for ONTAP snapshot failed: check the storage virtual machine, its credentials secret "
        "and the FSx quotas."
    ),
}

# What to check when a server waits in a phase for too long (deadline) or cannot go on alone.
PHASE_HINTS: dict[Phase, str] = {
    Phase.NOT_REGISTERED: (
        "No agent has registered this server: run the install step again and read its output; the "
        f"installer needs {_AGENT_PATH}."
    ),
    Phase.REGISTERING: (
        "The agent registered but replication has not started: check that the agent service runs and "
        "that replication was not installed with --no-replication (StartReplication starts it)."
    ),
    Phase.INITIATING: "Initiation is slow or hanging: check the current step's requirements.",
    Phase.SYNCING: (
        "Initial sync copies every disk block once and is bounded by bandwidth: check bandwidthThrottling "
        "on the server's replication configuration and the capacity of the VPN/Direct Connect link; a "
        "later deadline may be all it needs."
    ),
    Phase.RESCAN: (
        "A rescan re-reads every disk block after a restart or lost change tracking: give it time, "
        "and check the source server's disk load."
    ),
    Phase.BACKLOG: ERROR_HINTS[_Err.NOT_CONVERGING],
    Phase.CREATING_SNAPSHOT: ERROR_HINTS[_Err.SNAPSHOTS_FAILURE],
    Phase.SNAPSHOT_SHIPPING: "Snapshot shipping replication is not agent based; follow it in the MGN console.",
    Phase.HEALTHY: (
        "Replication is continuous but the lifecycle is not yet READY_FOR_TEST: MGN sets it after the "
        "first consistent snapshot; poll again shortly."
    ),
    Phase.STALLED: (
        f"MGN reports a stall without an error yet: poll again shortly; if it persists, check {_DATA_PATH}."
    ),
    Phase.PAUSED: "Replication was paused (PauseReplication): ResumeReplication continues where it stopped.",
    Phase.STOPPED: (
        "Replication was stopped (StopReplication) and does not resume on its own: StartReplication "
        "starts it again (with a rescan)."
    ),
    Phase.DISCONNECTED: (
        "The server was disconnected from MGN (DisconnectFromService): reinstall the AWS Replication "
        "Agent to replicate it again."
    ),
    Phase.ARCHIVED: "The server is archived in MGN: remove it from the wave, or reinstall the agent to migrate it.",
    Phase.UNKNOWN: (
        "MGN reported a state this version of mgn-wave does not know: check the server in the MGN console "
        "and update mgn-wave."
    ),
}

_FAILED_PHASES = frozenset({Phase.ARCHIVED, Phase.DISCONNECTED, Phase.STOPPED})

# EventBridge (docs/mgn-facts.md §2): the three documented detail types, and the undocumented ones MGN sends.
LIFECYCLE_EVENT = "MGN Source Server Lifecycle State Change"
STALLED_EVENT = "MGN Source Server Data Replication Stalled Change"
LAUNCH_RESULT_EVENT = "MGN Source Server Launch Result"
_CLOUDTRAIL_EVENT = "AWS API Call via CloudTrail"
# API calls that change replication (through CloudTrail, when an operator acts in the console)
_REPLICATION_CALLS = frozenset(
    {
        "StartReplication",
        "StopReplication",
        "PauseReplication",
        "ResumeReplication",
        "RetryDataReplication",
        "DisconnectFromService",
        "FinalizeCutover",
        "MarkAsArchived",
        "DeleteSourceServer",
        "ChangeServerLifeCycleState",
    }
)


def classify(
    source_server: Mapping[str, Any],
    *,
    now: datetime,
    deadline: datetime | None = None,
    stall_grace: timedelta | None = None,
    stalled_since: datetime | None = None,
) -> ReplicationVerdict:
    """The verdict on one SourceServer (camelCase keys, ISO-8601 strings) at `now`.

    `deadline`: when waiting gives up; a verdict still WAITING at or after it is FAILED, and its
    reason says in which phase the server was left. `stall_grace`: how long a stall that MGN
    retries stays WAITING, counted from `stalled_since` (None: from `now`, the first sighting);
    without it a stall is FAILED at once. Never raises on the server's content."""
    now = utc(now)
    view = SourceServerRecord(source_server if isinstance(source_server, Mapping) else {})
    judged = _judge(view)
    next_attempt = view.next_attempt if judged.stalled else None
    since: datetime | None = None
    if next_attempt is not None and stall_grace is not None:
        since = utc(stalled_since) if stalled_since is not None else now
        judged = _graced(view, judged, now=now, since=since, grace=stall_grace, next_attempt=next_attempt)
    if judged.outcome is Outcome.WAITING and deadline is not None and now >= utc(deadline):
        judged = replace(
            judged,
            outcome=Outcome.FAILED,
            reason=f"{view.name} was still {_phase_text(judged)} when the deadline {_iso(deadline)} passed.",
        )
    return ReplicationVerdict(
        source_server_id=view.source_server_id,
        hostname=view.hostname,
        phase=judged.phase,
        outcome=judged.outcome,
        reason=judged.reason,
        hint=judged.hint,
        data_replication_state=view.replication_state,
        life_cycle_state=view.lifecycle,
        initiation_step=judged.step,
        failed_step=judged.failed_step,
        data_replication_error=view.error,
        progress_percent=view.progress_percent(judged.phase),
        eta_date_time=view.eta,
        lag_duration=view.lag_duration,
        timings=view.timings(healthy=judged.outcome is Outcome.SUCCEEDED),
        classified_at=now,
        next_attempt_date_time=next_attempt,
        stalled_since=since,
    )


def is_decisive(verdict: ReplicationVerdict) -> bool:
    """Whether waiting is over (success or failure) for this server."""
    return verdict.outcome is not Outcome.WAITING


def event_may_change_verdict(event: Mapping[str, Any]) -> bool:
    """Whether an EventBridge event may change a server's verdict, so it is worth one
    `DescribeSourceServers` call. Conservative: MGN events about replication, and the API calls
    that change it, say yes; launch results and other sources say no. Events are best effort
    (docs/mgn-facts.md §2): a no here never replaces the polling fallback."""
    if not isinstance(event, Mapping):
        return False
    detail_type = event.get("detail-type")
    if event.get("source") != "aws.mgn" or not isinstance(detail_type, str):
        return False
    if detail_type == _CLOUDTRAIL_EVENT:
        detail = event.get("detail")
        return isinstance(detail, Mapping) and detail.get("eventName") in _REPLICATION_CALLS
    # Lifecycle READY_FOR_TEST and stalled/not stalled are the documented triggers; the
    # undocumented replication detail types (no schema, docs/mgn-facts.md §2) may mean anything.
    return detail_type != LAUNCH_RESULT_EVENT


def ready_verdict(event: Mapping[str, Any], source_server_id: str, *, now: datetime) -> ReplicationVerdict | None:
    """The SUCCEEDED verdict a READY_FOR_TEST lifecycle event about `source_server_id` gives by
    itself; None for any other event (or one without a readable `time`), which needs MGN's word."""
    if not is_ready_event(event) or source_server_id not in source_server_ids_of(event):
        return None
    ready_at = event_time(event)
    if ready_at is None:
        return None
    return ReplicationVerdict(
        source_server_id=source_server_id,
        phase=Phase.HEALTHY,
        outcome=Outcome.SUCCEEDED,
        reason=(
            f"Source server {source_server_id} reached READY_FOR_TEST at {_iso(ready_at)} (MGN's lifecycle event): "
            "its initial sync is complete and it can be launched for test."
        ),
        life_cycle_state=LifeCycleState.READY_FOR_TEST.value,
        timings=ReplicationTimings(healthy=ready_at),
        classified_at=utc(now),
    )


def is_ready_event(event: Mapping[str, Any]) -> bool:
    """MGN's lifecycle event for READY_FOR_TEST (sent the first time a server gets there)."""
    if not isinstance(event, Mapping) or event.get("source") != "aws.mgn":
        return False
    detail = event.get("detail")
    return (
        event.get("detail-type") == LIFECYCLE_EVENT
        and isinstance(detail, Mapping)
        and detail.get("state") == LifeCycleState.READY_FOR_TEST.value
    )


def event_time(event: Mapping[str, Any]) -> datetime | None:
    """An EventBridge event's `time` (whole seconds, UTC); None when absent or unreadable."""
    text = event.get("time") if isinstance(event, Mapping) else None
    if not isinstance(text, str):
        return None
    try:
        return utc(datetime.fromisoformat(text.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return None


_SOURCE_SERVER_ARN = re.compile(ids.SOURCE_SERVER_ARN)


def source_server_ids_of(event: Mapping[str, Any]) -> list[str]:
    """The source server IDs an `aws.mgn` event is about (its `resources`); anything else: none."""
    if not isinstance(event, Mapping) or event.get("source") != "aws.mgn":
        return []
    resources = event.get("resources")
    if not isinstance(resources, list):
        return []
    matches = (_SOURCE_SERVER_ARN.fullmatch(r) for r in resources if isinstance(r, str))
    return [m.group("source_server_id") for m in matches if m]


# --- judging -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Judgement:
    phase: Phase
    outcome: Outcome
    reason: str
    hint: str = ""
    step: str | None = None  # the initiation step in progress or failed
    failed_step: str | None = None
    stalled: bool = False  # failed by a stall or a failed initiation step, which MGN may retry


def _judge(view: SourceServerRecord) -> _Judgement:  # noqa: PLR0911 - one return per rule reads best
    name = view.name
    lifecycle_role = _lifecycle_role(view.lifecycle)
    state_phase = _state_phase(view.replication_state)
    if view.archived:
        return _failed(Phase.ARCHIVED, f"{name} is archived in MGN; an archived server does not replicate.")
    if view.lifecycle == LifeCycleState.CUTOVER:
        return _Judgement(
            phase=state_phase or Phase.DISCONNECTED,
            outcome=Outcome.SUCCEEDED,
            reason=f"{name} was cut over and finalized; its replication ended on purpose.",
        )
    if lifecycle_role == READY and view.replication_state == DataReplicationState.CONTINUOUS:
        return _Judgement(
            phase=Phase.HEALTHY,
            outcome=Outcome.SUCCEEDED,
            reason=f"{name} replicates continuously and is {view.lifecycle}: it can be launched for test.",
        )
    if Phase.DISCONNECTED in (state_phase, lifecycle_role):
        return _failed(
            Phase.DISCONNECTED, f"{name} was disconnected from MGN; its replication stopped and will not resume."
        )
    if Phase.STOPPED in (state_phase, lifecycle_role):
        return _failed(Phase.STOPPED, f"{name}: replication was stopped and does not resume on its own.")
    failed = view.failed_step
    if failed is not None:
        return _failed_step(view, failed, state_phase)
    if state_phase is Phase.STALLED:
        return _stalled(view)
    if view.source_server_id is None and view.replication_state is None and view.lifecycle is None:
        return _waiting(view, Phase.NOT_REGISTERED, "MGN returned nothing about this source server.")
    if lifecycle_role is Phase.NOT_REGISTERED:
        return _waiting(view, Phase.NOT_REGISTERED, f"{name} is {view.lifecycle}: no agent has registered it.")
    if view.replication_state is None:
        return _waiting(view, Phase.REGISTERING, f"{name} is registered; replication has not reported a state.")
    if state_phase is None:
        return _waiting(
            view, Phase.UNKNOWN, f"{name} is in data replication state {view.replication_state}, unknown here."
        )
    return _in_progress(view, state_phase)


def _failed(phase: Phase, reason: str) -> _Judgement:
    return _Judgement(phase=phase, outcome=Outcome.FAILED, reason=reason, hint=PHASE_HINTS[phase])


def _failed_step(view: SourceServerRecord, step: str, state_phase: Phase | None) -> _Judgement:
    error = view.error.error if view.error else _step_error(step)
    where = "stalled" if state_phase is Phase.STALLED else "failed"
    return _Judgement(
        phase=Phase.STALLED if state_phase is Phase.STALLED else Phase.INITIATING,
        outcome=Outcome.FAILED,
        reason=f"{view.name} {where} at initiation step {step}" + (f" with {error}." if error else "."),
        hint=_error_hint(error) or PHASE_HINTS[Phase.STALLED],
        step=step,
        failed_step=step,
        stalled=True,
    )


def _stalled(view: SourceServerRecord) -> _Judgement:
    if view.error is None:
        # MGN can stall for a moment before it names the error: not decisive yet.
        return _waiting(view, Phase.STALLED, f"{view.name} is stalled; MGN has not reported an error yet.")
    error = view.error.error
    return _Judgement(
        phase=Phase.STALLED,
        outcome=Outcome.FAILED,
        reason=f"{view.name} is stalled with {error}.",
        hint=_error_hint(error) or PHASE_HINTS[Phase.STALLED],
        step=view.current_step,
        stalled=True,
    )


def _graced(
    view: SourceServerRecord,
    judged: _Judgement,
    *,
    now: datetime,
    since: datetime,
    grace: timedelta,
    next_attempt: datetime,
) -> _Judgement:
    """A stall MGN retries: WAITING (phase STALLED) until `since + grace`, FAILED after."""
    ends = since + grace
    stall = judged.reason.rstrip(".")
    if now < ends:
        return replace(
            judged,
            phase=Phase.STALLED,
            outcome=Outcome.WAITING,
            reason=(
                f"{stall}; MGN retries at {_iso(next_attempt)}. Still waiting: the wave fails it at {_iso(ends)} "
                "unless replication recovers."
            ),
        )
    minutes = int(grace.total_seconds() // 60)
    return replace(
        judged,
        reason=(
            f"{stall}; MGN kept retrying (next attempt {_iso(next_attempt)}) but it had not recovered "
            f"{minutes} minutes after the wave first saw it stalled ({_iso(since)})."
        ),
    )


def _waiting(view: SourceServerRecord, phase: Phase, reason: str) -> _Judgement:
    return _Judgement(phase=phase, outcome=Outcome.WAITING, reason=reason, hint=PHASE_HINTS[phase])


def _in_progress(view: SourceServerRecord, phase: Phase) -> _Judgement:
    name = view.name
    if phase is Phase.INITIATING:
        step = view.current_step
        position = view.step_position
        detail = f": step {step} ({position})" if step else ""
        error = _step_error(step)
        hint = f"Should {step} fail, MGN reports {error}. {_error_hint(error)}" if error else ""
        return _Judgement(
            phase=phase,
            outcome=Outcome.WAITING,
            reason=f"{name} is initiating replication{detail}.",
            hint=hint or PHASE_HINTS[phase],
            step=step,
        )
    if phase in (Phase.SYNCING, Phase.RESCAN):
        percent = view.progress_percent(phase)
        done = f", {percent:.1f}% done" if percent is not None else ""
        eta = f", ETA {_iso(view.eta)}" if view.eta else ""
        what = "initial sync" if phase is Phase.SYNCING else "a rescan"
        return _waiting(view, phase, f"{name} is in {what}{done}{eta}.")
    if phase is Phase.HEALTHY:
        return _waiting(
            view, phase, f"{name} replicates continuously; its lifecycle is {view.lifecycle}, not yet launchable."
        )
    text = {
        Phase.BACKLOG: "is catching up on a backlog",
        Phase.CREATING_SNAPSHOT: "is creating its first consistent snapshot",
        Phase.SNAPSHOT_SHIPPING: "replicates by snapshot shipping",
        Phase.PAUSED: "is paused",
    }.get(phase, f"is in data replication state {view.replication_state}")
    return _waiting(view, phase, f"{name} {text}.")


def _phase_text(judged: _Judgement) -> str:
    if judged.phase is Phase.INITIATING and judged.step:
        return f"initiating at step {judged.step}"
    return judged.phase.value


def _step_error(step: str | None) -> str | None:
    try:
        return STEP_ERRORS[InitiationStep(step)].value if step else None
    except ValueError:
        return None


def _error_hint(error: str | None) -> str:
    try:
        return ERROR_HINTS[DataReplicationErrorCode(error)] if error else ""
    except ValueError:
        return ""


def _lifecycle_role(lifecycle: str | None) -> Phase | str | None:
    try:
        return LIFECYCLE_ROLE[LifeCycleState(lifecycle)] if lifecycle else None
    except ValueError:
        return None


def _state_phase(state: str | None) -> Phase | None:
    try:
        return PHASE_OF_STATE[DataReplicationState(state)] if state else None
    except ValueError:
        return None


# --- reading the SourceServer defensively --------------------------------------------------------


def _iso(moment: datetime) -> str:
    return utc(moment).isoformat().replace("+00:00", "Z")
