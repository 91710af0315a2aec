"""Does a trail feed EventBridge the CloudTrail events the hybrid-node tag trigger listens for?

"To record events with a detail-type value of AWS API Call via CloudTrail, a CloudTrail trail
with logging enabled is required" (docs/aws-facts.md). Without one, tagging a managed node still
starts its wave, but only at the next scheduled reconciliation: a WARNING, not a BLOCKER.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.preflight.findings import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mgn_wave.preflight.trail_info import TrailInfo

CLOUDTRAIL_TRAIL_MISSING = "CLOUDTRAIL_TRAIL_MISSING"


def check_trail_for_tag_events(trails: Sequence[TrailInfo], region: str) -> list[Finding]:
    if any(t.is_logging and t.logs_management_writes for t in trails):
        return []
    if not trails:
        state = "has no CloudTrail trail"
        fix = (
            f"Create a trail that logs management events (Read/Write: All or Write) and applies to {region} "
            "(aws cloudtrail create-trail --is-multi-region-trail, then start-logging)."
        )
    else:
        described = ", ".join(
            f"{t.name} ({'logging' if t.is_logging else 'not logging'}, "
            f"{'management writes' if t.logs_management_writes else 'no management writes'})"
            for t in trails
        )
        state = f"has no trail that is logging management write events (trails: {described})"
        stopped = next((t for t in trails if t.logs_management_writes and not t.is_logging), None)
        fix = (
            f"Start logging on {stopped.name} (aws cloudtrail start-logging --name {stopped.arn})."
            if stopped
            else f"Add management events (Read/Write: All or Write) to the event selectors of {trails[0].name}."
        )
    return [
        Finding(
            code=CLOUDTRAIL_TRAIL_MISSING,
            severity=Severity.WARNING,
            resource=trails[0].arn if trails else region,
            message=(
                f"The Region {region} {state}: EventBridge gets no 'AWS API Call via CloudTrail' event when a "
                "hybrid node (mi-…) is tagged with the wave, so its wave starts only at the next scheduled "
                "reconciliation (TagReconcileSchedule)."
            ),
            fix=fix,
        )
    ]
