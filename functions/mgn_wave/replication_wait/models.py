"""The replication verdict: where a source server's replication stands, and whether waiting is over.

`phase` says what MGN is doing; `outcome` says what the wave does about it (stop waiting with
success, stop waiting with failure, keep waiting). `reason` names the server, the step and the
error; `hint` says what to check on the private path. The error and step enums are MGN's own
values (docs/mgn-facts.md §1.9); tests hold them to the botocore model so a new AWS value cannot slip by.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel


class Phase(StrEnum):
    """Where replication stands, in the words an operator uses."""

    NOT_REGISTERED = "NOT_REGISTERED"  # MGN knows the server only from an import/discovery: no agent
    REGISTERING = "REGISTERING"  # the agent registered; replication has not reported a state yet
    INITIATING = "INITIATING"  # MGN builds the replication server and connects the agent (steps)
    SYNCING = "SYNCING"  # initial sync: every block of every disk is copied once
    RESCAN = "RESCAN"  # the agent re-reads the disks (after a restart or a lost change tracking)
    BACKLOG = "BACKLOG"  # writes arrive faster than they replicate; catching up
    CREATING_SNAPSHOT = "CREATING_SNAPSHOT"  # the first consistent snapshot of the staging disks
    SNAPSHOT_SHIPPING = "SNAPSHOT_SHIPPING"  # snapshot-shipping replication (not agent based)
    HEALTHY = "HEALTHY"  # continuous replication: the console's "Healthy"
    STALLED = "STALLED"
    PAUSED = "PAUSED"
    STOPPED = "STOPPED"
    DISCONNECTED = "DISCONNECTED"
    ARCHIVED = "ARCHIVED"
    UNKNOWN = "UNKNOWN"  # a state this code does not know (a newer MGN): keep waiting, poll again


class Outcome(StrEnum):
    SUCCEEDED = "SUCCEEDED"  # replication is healthy and the server can be launched for test
    FAILED = "FAILED"  # waiting longer will not help (or the deadline passed)
    WAITING = "WAITING"


class DataReplicationErrorCode(StrEnum):
    """`dataReplicationInfo.dataReplicationError.error` (botocore `DataReplicationErrorString`)."""

    AGENT_NOT_SEEN = "AGENT_NOT_SEEN"
    SNAPSHOTS_FAILURE = "SNAPSHOTS_FAILURE"
    NOT_CONVERGING = "NOT_CONVERGING"
    UNSTABLE_NETWORK = "UNSTABLE_NETWORK"
    FAILED_TO_CREATE_SECURITY_GROUP = "FAILED_TO_CREATE_SECURITY_GROUP"
    FAILED_TO_LAUNCH_REPLICATION_SERVER = "FAILED_TO_LAUNCH_REPLICATION_SERVER"
    FAILED_TO_BOOT_REPLICATION_SERVER = "FAILED_TO_BOOT_REPLICATION_SERVER"
    FAILED_TO_AUTHENTICATE_WITH_SERVICE = "FAILED_TO_AUTHENTICATE_WITH_SERVICE"
    FAILED_TO_DOWNLOAD_REPLICATION_SOFTWARE = "FAILED_TO_DOWNLOAD_REPLICATION_SOFTWARE"
    FAILED_TO_CREATE_STAGING_DISKS = "FAILED_TO_CREATE_STAGING_DISKS"
    FAILED_TO_ATTACH_STAGING_DISKS = "FAILED_TO_ATTACH_STAGING_DISKS"
    FAILED_TO_PAIR_REPLICATION_SERVER_WITH_AGENT = "FAILED_TO_PAIR_REPLICATION_SERVER_WITH_AGENT"
    FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER = "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"
    FAILED_TO_START_DATA_TRANSFER = "FAILED_TO_START_DATA_TRANSFER"
    UNSUPPORTED_VM_CONFIGURATION = "UNSUPPORTED_VM_CONFIGURATION"
    LAST_SNAPSHOT_JOB_FAILED = "LAST_SNAPSHOT_JOB_FAILED"
    FAILED_TO_SETUP_FSX_PROXY = "FAILED_TO_SETUP_FSX_PROXY"
    FAILED_TO_CREATE_FSX_SNAPSHOT = "FAILED_TO_CREATE_FSX_SNAPSHOT"


class InitiationStep(StrEnum):
    """`dataReplicationInitiation.steps[].name`, in the order MGN runs them (docs/mgn-facts.md §1.9)."""

    WAIT = "WAIT"
    CREATE_SECURITY_GROUP = "CREATE_SECURITY_GROUP"
    LAUNCH_REPLICATION_SERVER = "LAUNCH_REPLICATION_SERVER"
    BOOT_REPLICATION_SERVER = "BOOT_REPLICATION_SERVER"
    AUTHENTICATE_WITH_SERVICE = "AUTHENTICATE_WITH_SERVICE"
    DOWNLOAD_REPLICATION_SOFTWARE = "DOWNLOAD_REPLICATION_SOFTWARE"
    CREATE_STAGING_DISKS = "CREATE_STAGING_DISKS"
    ATTACH_STAGING_DISKS = "ATTACH_STAGING_DISKS"
    PAIR_REPLICATION_SERVER_WITH_AGENT = "PAIR_REPLICATION_SERVER_WITH_AGENT"
    CONNECT_AGENT_TO_REPLICATION_SERVER = "CONNECT_AGENT_TO_REPLICATION_SERVER"
    START_DATA_TRANSFER = "START_DATA_TRANSFER"
    SETUP_FSX_PROXY = "SETUP_FSX_PROXY"


class InitiationStepStatus(StrEnum):
    NOT_STARTED = "NOT_STARTED"
    IN_PROGRESS = "IN_PROGRESS"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class _VerdictModel(BaseModel):
    # camelCase on the wire (state data, reports), snake_case in Python
    model_config = ConfigDict(frozen=True, populate_by_name=True, alias_generator=to_camel)


class ReplicationError(_VerdictModel):
    """`dataReplicationError` as MGN reported it. `error` stays a string: a value newer than
    this code must still reach the report."""

    error: str
    raw_error: str | None = None


class ReplicationTimings(_VerdictModel):
    """The moments of the server's replication that MGN reports (absent until they happen)."""

    registered: datetime | None = None  # lifeCycle.addedToServiceDateTime
    initiation_started: datetime | None = None  # dataReplicationInitiation.startDateTime
    first_byte: datetime | None = None  # lifeCycle.firstByteDateTime
    last_snapshot: datetime | None = None  # dataReplicationInfo.lastSnapshotDateTime
    # Healthy at least since: the last snapshot of a server that is SUCCEEDED (MGN reports no
    # "became healthy" time; the first consistent snapshot ends the initial sync).
    healthy: datetime | None = None
    last_seen: datetime | None = None  # lifeCycle.lastSeenByServiceDateTime
    elapsed_replication: str | None = None  # lifeCycle.elapsedReplicationDuration (ISO-8601 duration)


class ReplicationVerdict(_VerdictModel):
    source_server_id: str | None = Field(default=None, alias="sourceServerId")
    hostname: str | None = None
    phase: Phase
    outcome: Outcome
    reason: str
    hint: str = ""
    data_replication_state: str | None = None
    life_cycle_state: str | None = None
    initiation_step: str | None = None  # the step in progress (or the one that failed)
    failed_step: str | None = None
    data_replication_error: ReplicationError | None = None
    progress_percent: float | None = Field(default=None, ge=0, le=100)
    eta_date_time: datetime | None = None
    lag_duration: str | None = None
    timings: ReplicationTimings = Field(default_factory=ReplicationTimings)
    classified_at: datetime
    # A stalled initiation MGN will try again (dataReplicationInitiation.nextAttemptDateTime), and
    # since when this wave has seen the server stalled: the grace period counts from there.
    next_attempt_date_time: datetime | None = None
    stalled_since: datetime | None = None

    @property
    def retrying_stall(self) -> bool:
        """Stalled, but MGN retries and the grace period has not run out: still waiting."""
        return (
            self.outcome is Outcome.WAITING and self.phase is Phase.STALLED and self.next_attempt_date_time is not None
        )
