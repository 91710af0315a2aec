"""CloudTrail, read-only: the trails that apply to this Region, whether they log, and whether they
record management write events (what EventBridge's "AWS API Call via CloudTrail" events need)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call
from mgn_wave.preflight.trail_info import TrailInfo

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mypy_boto3_cloudtrail import CloudTrailClient


def _basic_selectors_log_writes(selectors: list[Mapping[str, Any]]) -> bool:
    return any(
        s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") in ("All", "WriteOnly")
        for s in selectors
    )


def _advanced_selectors_log_writes(selectors: list[Mapping[str, Any]]) -> bool:
    for selector in selectors:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors", [])}
        category = fields.get("eventCategory", {})
        if "Management" not in category.get("Equals", []):
            continue
        read_only = fields.get("readOnly", {})
        if read_only.get("Equals") == ["true"] or "false" in read_only.get("NotEquals", []):
            continue  # read-only events alone
        return True
    return False


def logs_management_writes(selectors: Mapping[str, Any]) -> bool:
    """From a GetEventSelectors answer. A trail has basic or advanced selectors, never both; one
    with neither logs every management event, as a trail created without selectors does."""
    advanced = selectors.get("AdvancedEventSelectors")
    if advanced:
        return _advanced_selectors_log_writes(advanced)
    basic = selectors.get("EventSelectors")
    if basic:
        return _basic_selectors_log_writes(basic)
    return True


class CloudTrailAdapter:
    def __init__(self, client: CloudTrailClient) -> None:
        self._client = client

    def trails(self) -> list[TrailInfo]:
        with aws_call("cloudtrail:DescribeTrails"):
            described = self._client.describe_trails(includeShadowTrails=True)["trailList"]
        trails = []
        for trail in described:
            arn = trail.get("TrailARN")
            if not arn:
                continue
            with aws_call("cloudtrail:GetTrailStatus"):
                status = self._client.get_trail_status(Name=arn)
            with aws_call("cloudtrail:GetEventSelectors"):
                selectors = self._client.get_event_selectors(TrailName=arn)
            trails.append(
                TrailInfo(
                    name=str(trail.get("Name", arn)),
                    arn=arn,
                    home_region=str(trail.get("HomeRegion", "")),
                    is_logging=bool(status.get("IsLogging")),
                    logs_management_writes=logs_management_writes(selectors),
                )
            )
        return trails
