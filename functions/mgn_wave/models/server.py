"""One server's journey through the wave, and its result (docs/contracts.md §3)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class ServerStatus(StrEnum):
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"


class Stage(StrEnum):
    """Where a server's journey ended."""

    RESOLVE = "RESOLVE"  # finding it as an SSM managed node
    PROBE = "PROBE"  # DNS, 443, disk, root on the server itself
    INSTALL = "INSTALL"  # the replication agent install
    CONFIGURE = "CONFIGURE"  # its per-server replication settings
    REPLICATION = "REPLICATION"  # waiting for healthy replication


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class ManagedNode(_Model):
    """A server as SSM sees it."""

    instance_id: str = Field(alias="instanceId")
    platform: str  # Linux | Windows | MacOS
    online: bool
    ping_status: str = Field(alias="pingStatus")
    computer_name: str | None = Field(default=None, alias="computerName")
    ip_address: str | None = Field(default=None, alias="ipAddress")


class ServerResult(_Model):
    """`{instanceId, sourceServerId, status, stage, reason, hint, timings}` plus the probe findings."""

    instance_id: str = Field(alias="instanceId")
    source_server_id: str | None = Field(default=None, alias="sourceServerId")
    status: ServerStatus
    stage: Stage
    reason: str
    hint: str = ""
    phase: str | None = None  # the replication phase at the verdict
    findings: tuple[dict[str, Any], ...] = ()
    timings: dict[str, Any] = Field(default_factory=dict)

    # The one way the Python steps build a result that is not a replication verdict (the verdict's
    # result is built by the state machine's ServerResult state; tests/static/test_server_result.py
    # holds the state machine's three result states to this model).
    @classmethod
    def failed(
        cls,
        instance_id: str,
        stage: Stage,
        reason: str,
        hint: str = "",
        *,
        source_server_id: str | None = None,
        findings: tuple[dict[str, Any], ...] = (),
    ) -> ServerResult:
        return cls(
            instance_id=instance_id,
            source_server_id=source_server_id,
            status=ServerStatus.FAILED,
            stage=stage,
            reason=reason,
            hint=hint,
            findings=findings,
        )

    @classmethod
    def skipped(
        cls, instance_id: str, stage: Stage, reason: str, hint: str = "", *, source_server_id: str | None = None
    ) -> ServerResult:
        return cls(
            instance_id=instance_id,
            source_server_id=source_server_id,
            status=ServerStatus.SKIPPED,
            stage=stage,
            reason=reason,
            hint=hint,
        )


class ResolvedWave(_Model):
    servers: tuple[ManagedNode, ...]
    results: tuple[ServerResult, ...]  # servers that cannot take part, with the reason
    deadline: datetime  # when waiting for replication gives up
    # How long a server's wait lasts at most: to the deadline (the watch decides long before)
    wait_seconds: int = Field(alias="waitSeconds")


class WaveSummary(_Model):
    wave: str
    totals: dict[str, int]
    servers: tuple[ServerResult, ...]


class WaveServers(_Model):
    """ResolveServers' answer: where the server list is, and the wave's clock."""

    servers_key: str = Field(alias="serversKey")
    server_count: int = Field(alias="serverCount")
    deadline: datetime
    wait_seconds: int = Field(alias="waitSeconds")
    server_concurrency: int = Field(alias="serverConcurrency")  # child executions at a time
    # The TTL (epoch seconds) the state machine's RecordResult writes on each server's result: the
    # same rule as the Python writer's, taken at the wave's deadline (the latest a result is written).
    results_expire_at: int = Field(alias="resultsExpireAt")
