"""The execution input of `LaunchWave`, and each server's launch record as the steps pass it on
through the wave bucket (a wave of 1,000 servers does not fit in a state's 256 KiB)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from mgn_wave.core import ids
from mgn_wave.core.errors import InvalidInputError
from mgn_wave.core.validation import parse_model
from mgn_wave.waves.models import MAX_WAVE_SERVERS, WAVE_NAME_PATTERN

SourceServerId = Annotated[str, Field(pattern=ids.full(ids.SOURCE_SERVER_ID))]


class LaunchStage(StrEnum):
    TEST = "test"  # StartTest, check each test instance, mark the passing servers READY_FOR_CUTOVER
    CUTOVER = "cutover"  # after an approval: StartCutover, check, FinalizeCutover the passing ones
    FINALIZE = "finalize"  # check the cutover instances already launched, FinalizeCutover the passing ones
    REVERT = "revert"  # back to READY_FOR_TEST and terminate the test instances


def stage_of(value: Any) -> LaunchStage:
    """A step's `stage` field (the plan's, passed on by the state machine), or InvalidInputError."""
    try:
        return LaunchStage(str(value))
    except ValueError:
        raise InvalidInputError("stage", f"one of {', '.join(s.value for s in LaunchStage)}") from None


class LaunchInput(BaseModel):
    """`{"waveId": "<wave>", "stage": "test"}` plus optional overrides; unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    wave_id: str = Field(alias="waveId", pattern=WAVE_NAME_PATTERN)
    stage: LaunchStage
    source_server_ids: tuple[SourceServerId, ...] | None = Field(
        default=None, alias="sourceServerIds", min_length=1, max_length=MAX_WAVE_SERVERS
    )
    dry_run: StrictBool = Field(default=False, alias="dryRun")
    archive: StrictBool = False  # MarkAsArchived after a finalized cutover


def validate_launch_input(execution_input: Any) -> LaunchInput:
    """The execution input, or InvalidInputError naming the field and the allowed form."""
    return parse_model(LaunchInput, execution_input)


class Verdict(StrEnum):
    PENDING = "PENDING"  # not decided yet
    PASSED = "PASSED"  # launched and every check passed; the stage's next step was done
    FAILED = "FAILED"  # the launch or a check failed: reported, never finalized
    SKIPPED = "SKIPPED"  # not in a state this stage can act on
    REVERTED = "REVERTED"  # test instance terminated, back to READY_FOR_TEST


class ServerLaunch(BaseModel):
    """One server through one stage."""

    model_config = ConfigDict(populate_by_name=True)

    source_server_id: str = Field(alias="sourceServerId")
    hostname: str = ""
    lifecycle: str = ""
    job_id: str | None = Field(default=None, alias="jobId")
    launch_status: str | None = Field(default=None, alias="launchStatus")
    instance_id: str | None = Field(default=None, alias="instanceId")
    # TCP ports the check probes on the launched instance (the server's `mgn-wave:check-ports` tag)
    check_ports: list[int] = Field(default_factory=list, alias="checkPorts")
    # How many post-launch actions MGN runs for this stage (its launch configuration), and how they went
    post_launch_expected: int = Field(default=0, alias="postLaunchExpected")
    post_launch_actions: list[dict[str, str]] = Field(default_factory=list, alias="postLaunchActions")
    verdict: Verdict = Verdict.PENDING
    reason: str = ""
    hint: str = ""

    def dump(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True)
