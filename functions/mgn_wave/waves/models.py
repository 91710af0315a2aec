"""The wave's models: the execution input of `MigrateWave` (docs/contracts.md §1), the servers as
SSM sees them, the resolved wave and its summary."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from mgn_wave.core import ids
from mgn_wave.core.server_result import ServerResult, _Model
from mgn_wave.core.validation import parse_model

# A wave name becomes part of tag values, execution names and S3 keys: keep it to a safe set.
WAVE_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,79}$"
MAX_WAVE_SERVERS = 1000

InstanceId = Annotated[str, Field(pattern=ids.full(ids.NODE_ID))]


class WaveInput(BaseModel):
    """`{"wave": "<name>"}` plus optional overrides. Unknown fields are refused: a typo such as
    `dryrun` must not silently run a real wave."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    wave: str = Field(pattern=WAVE_NAME_PATTERN)
    instance_ids: tuple[InstanceId, ...] | None = Field(
        default=None, alias="instanceIds", min_length=1, max_length=MAX_WAVE_SERVERS
    )
    dry_run: StrictBool = Field(default=False, alias="dryRun")
    force: StrictBool = False


def validate_wave_input(execution_input: Any) -> WaveInput:
    """The execution input, or InvalidInputError naming the field and the allowed form."""
    return parse_model(WaveInput, execution_input)


class ManagedNode(_Model):
    """A server as SSM sees it."""

    instance_id: str = Field(alias="instanceId")
    platform: str  # Linux | Windows | MacOS
    online: bool
    ping_status: str = Field(alias="pingStatus")
    computer_name: str | None = Field(default=None, alias="computerName")
    ip_address: str | None = Field(default=None, alias="ipAddress")


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
