"""MGN's source-server record, read in one place: the replication verdict, the install step
(which servers MGN already knows, how many replicate against the quota), the replication settings
(which servers belong to the wave), the launch stage (which servers can take part) and the CLI's
live view all read it through `SourceServerRecord`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mgn_wave.models.verdict import InitiationStepStatus, Phase, ReplicationError, ReplicationTimings


def utc(moment: datetime) -> datetime:
    # A naive datetime is taken as UTC (MGN's timestamps all are), so comparisons never raise.
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _count(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _moment(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return utc(datetime.fromisoformat(value.replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        return None


class SourceServerRecord:
    """Typed, forgiving access to one SourceServer as `DescribeSourceServers` returns it
    (docs/mgn-facts.md §1.5): a missing part, or a value of the wrong type, reads as None (or
    empty), never as an exception, so a newer MGN or a half-registered agent cannot break a wave."""

    def __init__(self, server: Mapping[str, Any]) -> None:
        self._server = server
        self._info = _map(server.get("dataReplicationInfo"))
        self._life = _map(server.get("lifeCycle"))
        self._hints = _map(_map(server.get("sourceProperties")).get("identificationHints"))
        initiation = _map(self._info.get("dataReplicationInitiation"))
        raw_steps = initiation.get("steps")
        self._steps = [
            (name, _text(step.get("status")))
            for step in (raw_steps if isinstance(raw_steps, list) else [])
            if isinstance(step, Mapping) and (name := _text(step.get("name")))
        ]
        self._initiation_started = _moment(initiation.get("startDateTime"))

    @property
    def source_server_id(self) -> str | None:
        return _text(self._server.get("sourceServerID"))

    @property
    def user_provided_id(self) -> str | None:
        """What the installer's `--user-provided-id` set: the managed-node ID we install with."""
        return _text(self._server.get("userProvidedID"))

    @property
    def aws_instance_id(self) -> str | None:
        """The EC2 instance ID MGN reads on a source that is itself an EC2 instance."""
        return _text(self._hints.get("awsInstanceID"))

    @property
    def instance_ids(self) -> tuple[str, ...]:
        """The instance IDs this server is known by: the user-provided ID, then the AWS hint."""
        return tuple(i for i in (self.user_provided_id, self.aws_instance_id) if i)

    @property
    def tags(self) -> Mapping[str, Any]:
        return _map(self._server.get("tags"))

    @property
    def hostname(self) -> str | None:
        return _text(self._hints.get("hostname"))

    @property
    def name(self) -> str:
        server_id = self.source_server_id or "(no ID)"
        return f"Source server {server_id} ({self.hostname})" if self.hostname else f"Source server {server_id}"

    @property
    def archived(self) -> bool:
        return self._server.get("isArchived") is True

    @property
    def replication_state(self) -> str | None:
        return _text(self._info.get("dataReplicationState"))

    @property
    def lifecycle(self) -> str | None:
        return _text(self._life.get("state"))

    @property
    def error(self) -> ReplicationError | None:
        raw = _map(self._info.get("dataReplicationError"))
        error = _text(raw.get("error"))
        if error is None:
            return None
        return ReplicationError(error=error, raw_error=_text(raw.get("rawError")))

    @property
    def failed_step(self) -> str | None:
        return next((name for name, status in self._steps if status == InitiationStepStatus.FAILED), None)

    @property
    def current_step(self) -> str | None:
        """The step in progress; else the first not started; else the last one."""
        for wanted in (InitiationStepStatus.IN_PROGRESS, InitiationStepStatus.NOT_STARTED):
            found = next((name for name, status in self._steps if status == wanted), None)
            if found is not None:
                return found
        return self._steps[-1][0] if self._steps else None

    @property
    def step_position(self) -> str:
        step = self.current_step
        names = [name for name, _ in self._steps]
        return f"{names.index(step) + 1} of {len(names)}" if step in names else ""

    @property
    def next_attempt(self) -> datetime | None:
        """When MGN retries a stalled initiation on its own (absent: it will not)."""
        initiation = _map(self._info.get("dataReplicationInitiation"))
        return _moment(initiation.get("nextAttemptDateTime"))

    @property
    def eta(self) -> datetime | None:
        return _moment(self._info.get("etaDateTime"))

    @property
    def lag_duration(self) -> str | None:
        return _text(self._info.get("lagDuration"))

    @property
    def launched_instance_id(self) -> str | None:
        """The EC2 instance the last test or cutover launch started (absent: none)."""
        return _text(_map(self._server.get("launchedInstance")).get("ec2InstanceID"))

    @property
    def launched_job_id(self) -> str | None:
        """The MGN job that launched `launched_instance_id`."""
        return _text(_map(self._server.get("launchedInstance")).get("jobID"))

    def progress_percent(self, phase: Phase) -> float | None:
        """Replicated (or, in a rescan, rescanned) bytes over total bytes of the replicated disks."""
        counter = "rescannedStorageBytes" if phase is Phase.RESCAN else "replicatedStorageBytes"
        disks = self._info.get("replicatedDisks")
        total = done = 0
        for disk in disks if isinstance(disks, list) else []:
            size = _count(_map(disk).get("totalStorageBytes"))
            if size is None:
                continue
            total += size
            done += min(size, _count(_map(disk).get(counter)) or 0)
        if total == 0:
            return None
        return round(100 * done / total, 1)

    def timings(self, *, healthy: bool) -> ReplicationTimings:
        last_snapshot = _moment(self._info.get("lastSnapshotDateTime"))
        return ReplicationTimings(
            registered=_moment(self._life.get("addedToServiceDateTime")),
            initiation_started=self._initiation_started,
            first_byte=_moment(self._life.get("firstByteDateTime")),
            last_snapshot=last_snapshot,
            healthy=last_snapshot if healthy else None,
            last_seen=_moment(self._life.get("lastSeenByServiceDateTime")),
            elapsed_replication=_text(self._life.get("elapsedReplicationDuration")),
        )
