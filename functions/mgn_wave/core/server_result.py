"""One server's journey through the wave, and its result (docs/contracts.md §3)."""

from __future__ import annotations

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
