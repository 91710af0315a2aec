"""What CloudTrail says about the trails of a Region, as far as the tag trigger cares."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class TrailInfo(BaseModel):
    """A trail that applies to the Region (its own, or a multi-Region one homed elsewhere)."""

    model_config = ConfigDict(frozen=True)

    name: str
    arn: str
    home_region: str
    is_logging: bool
    # Does it record management write events (AddTagsToResource is one)? From its event
    # selectors: basic ones with IncludeManagementEvents and ReadWriteType All/WriteOnly, or an
    # advanced one selecting eventCategory Management and not only read-only events.
    logs_management_writes: bool
