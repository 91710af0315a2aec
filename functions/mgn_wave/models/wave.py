"""The execution input of `MigrateWave` (docs/contracts.md §1)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from mgn_wave import ids
from mgn_wave.models.validation import parse_model

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
