"""Pure rules of the tag trigger: which server joined which wave, and the execution's name."""

from __future__ import annotations

import hashlib
import re
from typing import Any

from pydantic import BaseModel, ConfigDict

from mgn_wave import ids
from mgn_wave.models.wave import WAVE_NAME_PATTERN

_RESOURCE_ARN = re.compile(ids.NODE_ARN)
_EXECUTION_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")


class TagJoin(BaseModel):
    """A server that got the wave tag: start its wave for it alone."""

    model_config = ConfigDict(frozen=True)

    wave: str
    instance_id: str
    execution_name: str


def join_from_event(event: dict[str, Any], wave_tag_key: str) -> TagJoin | None:
    """The wave a `Tag Change on Resource` event puts a server into, or None when the event is not
    about our tag on an EC2 instance or SSM managed node (removed tag, other key, other resource).

    The execution name is derived from the event's ID, which EventBridge keeps across redeliveries:
    a duplicated event names the same execution, and Step Functions refuses to start it twice."""
    if event.get("source") != "aws.tag" or event.get("detail-type") != "Tag Change on Resource":
        return None
    detail = event.get("detail") or {}
    if wave_tag_key not in (detail.get("changed-tag-keys") or []):
        return None
    wave = (detail.get("tags") or {}).get(wave_tag_key)
    resources = event.get("resources") or []
    if not isinstance(wave, str) or not re.fullmatch(WAVE_NAME_PATTERN, wave) or len(resources) != 1:
        return None
    match = _RESOURCE_ARN.fullmatch(str(resources[0]))
    if match is None or not re.fullmatch(ids.NODE_ID, match.group("id")):
        return None
    instance_id = match.group("id")
    digest = hashlib.sha256(str(event.get("id", "")).encode()).hexdigest()[:16]
    name = _EXECUTION_NAME_CHARS.sub("-", f"tag-{wave}-{instance_id}-{digest}")[:80]
    return TagJoin(wave=wave, instance_id=instance_id, execution_name=name)
