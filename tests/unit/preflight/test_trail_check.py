"""Preflight's word on the trail the CloudTrail tag trigger needs."""

from __future__ import annotations

import pytest

from mgn_wave.adapters.cloudtrail import logs_management_writes
from mgn_wave.preflight.findings import Severity
from mgn_wave.preflight.trail import CLOUDTRAIL_TRAIL_MISSING, check_trail_for_tag_events
from mgn_wave.preflight.trail_info import TrailInfo

ARN = "arn:aws:cloudtrail:us-east-1:123456789012:trail/management-events"


def _trail(*, logging: bool = True, writes: bool = True) -> TrailInfo:
    return TrailInfo(
        name="management-events", arn=ARN, home_region="us-east-1", is_logging=logging, logs_management_writes=writes
    )


@pytest.mark.parametrize(
    ("selectors", "expected"),
    [
        ({}, True),  # a trail without selectors logs every management event
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]}, False),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
        (
            {"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]},
            True,
        ),
        (
            {
                "AdvancedEventSelectors": [
                    {
                        "FieldSelectors": [
                            {"Field": "eventCategory", "Equals": ["Management"]},
                            {"Field": "readOnly", "Equals": ["true"]},
                        ]
                    }
                ]
            },
            False,
        ),
        ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}, False),
    ],
)
def test_event_selectors_decide_whether_management_writes_are_logged(selectors, expected) -> None:
    assert logs_management_writes(selectors) is expected


def test_a_logging_trail_with_management_writes_is_enough() -> None:
    assert check_trail_for_tag_events([_trail(logging=False), _trail()], "us-east-1") == []


def test_no_trail_warns_and_says_how_to_create_one() -> None:
    (finding,) = check_trail_for_tag_events([], "us-east-1")
    assert (finding.code, finding.severity, finding.resource) == (
        CLOUDTRAIL_TRAIL_MISSING,
        Severity.WARNING,
        "us-east-1",
    )
    assert "has no CloudTrail trail" in finding.message
    assert "next scheduled reconciliation" in finding.message
    assert finding.fix.startswith("Create a trail that logs management events")


def test_stopped_trail_warns_and_says_to_start_it() -> None:
    (finding,) = check_trail_for_tag_events([_trail(logging=False)], "us-east-1")
    assert "management-events (not logging, management writes)" in finding.message
    assert finding.fix == f"Start logging on management-events (aws cloudtrail start-logging --name {ARN})."


def test_trail_without_management_writes_warns_to_add_them() -> None:
    (finding,) = check_trail_for_tag_events([_trail(writes=False)], "us-east-1")
    assert finding.fix.startswith("Add management events (Read/Write: All or Write) to the event selectors")
