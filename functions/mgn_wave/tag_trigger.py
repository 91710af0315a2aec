"""Pure rules of the tag trigger: which server joined which wave, and the execution's name.

Three ways tell that a server got the wave tag, and all three name the execution they start the
same way, from the wave and the server alone, so Step Functions starts it once whichever comes
first (a name is unique per state machine for 90 days; docs/aws-facts.md):

- the `aws.tag` "Tag Change on Resource" event (documented with EC2 samples; for SSM managed nodes
  nothing public shows it, so it is not the only way);
- the CloudTrail record of `ssm:AddTagsToResource` on a managed node, delivered to EventBridge as
  "AWS API Call via CloudTrail" (needs a trail: Preflight warns when there is none);
- the scheduled reconciliation, which starts the tagged nodes no wave has taken yet.

A server tagged twice with the same wave therefore joins it once; to run it again, start the wave
for it by hand (`mgn-wave start --instance-id`).
"""

from __future__ import annotations

import hashlib
import re
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from mgn_wave import ids
from mgn_wave.models.wave import WAVE_NAME_PATTERN

if TYPE_CHECKING:
    from collections.abc import Collection, Iterable, Mapping

_RESOURCE_ARN = re.compile(ids.NODE_ARN)
_EXECUTION_NAME_CHARS = re.compile(r"[^A-Za-z0-9_-]")
MAX_EXECUTION_NAME = 80  # StartExecution `name`: 1..80 characters

TAG_EVENT_SOURCE = "aws.tag"
TAG_DETAIL_TYPE = "Tag Change on Resource"
CLOUDTRAIL_SOURCE = "aws.ssm"
CLOUDTRAIL_DETAIL_TYPE = "AWS API Call via CloudTrail"
CLOUDTRAIL_EVENT_SOURCE = "ssm.amazonaws.com"
CLOUDTRAIL_EVENT_NAME = "AddTagsToResource"
MANAGED_INSTANCE = "ManagedInstance"  # AddTagsToResource ResourceType of a hybrid node


class TagJoin(BaseModel):
    """A server that got the wave tag: start its wave for it alone."""

    model_config = ConfigDict(frozen=True)

    wave: str
    instance_id: str
    execution_name: str


def execution_name_for(wave: str, instance_id: str) -> str:
    """`tag-<wave>-<server>-<digest>`: the same for every way the join is seen. The digest of the
    exact wave keeps `wave.01` and `wave-01` apart once the name's alphabet folds `.` into `-`."""
    digest = hashlib.sha256(f"{wave}\n{instance_id}".encode()).hexdigest()[:10]
    readable = _EXECUTION_NAME_CHARS.sub("-", wave)[: MAX_EXECUTION_NAME - len(instance_id) - len(digest) - 7]
    return f"tag-{readable}-{instance_id}-{digest}"


def join(wave: Any, instance_id: Any) -> TagJoin | None:
    """The join of `instance_id` to `wave`, or None when either is not of its allowed form."""
    if not isinstance(wave, str) or not re.fullmatch(WAVE_NAME_PATTERN, wave):
        return None
    if not isinstance(instance_id, str) or not re.fullmatch(ids.NODE_ID, instance_id):
        return None
    return TagJoin(wave=wave, instance_id=instance_id, execution_name=execution_name_for(wave, instance_id))


def _join_from_tag_change(event: Mapping[str, Any], wave_tag_key: str) -> TagJoin | None:
    detail = event.get("detail") or {}
    if wave_tag_key not in (detail.get("changed-tag-keys") or []):
        return None
    resources = event.get("resources") or []
    if len(resources) != 1:
        return None
    match = _RESOURCE_ARN.fullmatch(str(resources[0]))
    if match is None:
        return None
    return join((detail.get("tags") or {}).get(wave_tag_key), match.group("id"))


def _field(values: Mapping[str, Any], name: str) -> Any:
    """`resourceId` or `ResourceId`: CloudTrail's samples spell request fields in lower camel case,
    the SSM API in upper camel case; no AWS sample shows this call's record, so read either."""
    lower = name[0].lower() + name[1:]
    return values[lower] if lower in values else values.get(name)


def _join_from_cloudtrail(event: Mapping[str, Any], wave_tag_key: str) -> TagJoin | None:
    detail = event.get("detail") or {}
    if detail.get("eventSource") != CLOUDTRAIL_EVENT_SOURCE or detail.get("eventName") != CLOUDTRAIL_EVENT_NAME:
        return None
    if detail.get("errorCode"):
        return None  # the call failed: nothing was tagged
    parameters = detail.get("requestParameters") or {}
    if not isinstance(parameters, dict) or _field(parameters, "ResourceType") != MANAGED_INSTANCE:
        return None
    tags = _field(parameters, "Tags") or []
    values = [_field(t, "Value") for t in tags if isinstance(t, dict) and _field(t, "Key") == wave_tag_key]
    if len(values) != 1:
        return None
    return join(values[0], _field(parameters, "ResourceId"))


def join_from_event(event: Mapping[str, Any], wave_tag_key: str) -> TagJoin | None:
    """The wave an event puts a server into, or None when the event is not about our tag being set
    on an EC2 instance or SSM managed node (a removed tag, another key, another resource, a failed
    call, a value that is no wave name)."""
    source, detail_type = event.get("source"), event.get("detail-type")
    if (source, detail_type) == (TAG_EVENT_SOURCE, TAG_DETAIL_TYPE):
        return _join_from_tag_change(event, wave_tag_key)
    if (source, detail_type) == (CLOUDTRAIL_SOURCE, CLOUDTRAIL_DETAIL_TYPE):
        return _join_from_cloudtrail(event, wave_tag_key)
    return None


def plan_reconciliation(
    tagged: Mapping[str, str],
    known_to_mgn: Collection[str],
    running: Iterable[Mapping[str, Any]],
) -> list[TagJoin]:
    """The tagged nodes no wave has taken yet, each joined to its wave, in ID order.

    `tagged`: node → the wave tag's value. A node is taken when MGN already knows it (some wave
    installed its agent), or when a running execution covers it: one that names it in
    `instanceIds`, or one for its whole wave (that wave resolves its servers by the tag)."""
    covered: set[str] = set()
    running_waves: set[str] = set()
    for execution_input in running:
        instance_ids = execution_input.get("instanceIds")
        if instance_ids:
            covered.update(str(i) for i in instance_ids)
        elif isinstance(execution_input.get("wave"), str):
            running_waves.add(execution_input["wave"])
    joins = []
    for instance_id, wave in sorted(tagged.items()):
        if instance_id in known_to_mgn or instance_id in covered or wave in running_waves:
            continue
        joined = join(wave, instance_id)
        if joined is not None:
            joins.append(joined)
    return joins
