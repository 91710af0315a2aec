"""A stall MGN retries on its own (nextAttemptDateTime) waits out the grace period; after it,
or when MGN will not retry, it is FAILED with the error's hint."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mgn_wave.replication_wait.classifier import classify
from mgn_wave.replication_wait.models import Outcome, Phase

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
GRACE = timedelta(minutes=120)
STEPS = [
    {"name": "WAIT", "status": "SUCCEEDED"},
    {"name": "CONNECT_AGENT_TO_REPLICATION_SERVER", "status": "FAILED"},
    {"name": "START_DATA_TRANSFER", "status": "NOT_STARTED"},
]


def _stalled(next_attempt: str | None = "2026-01-05T12:05:00Z") -> dict[str, Any]:
    initiation: dict[str, Any] = {"startDateTime": "2026-01-05T11:40:00Z", "steps": STEPS}
    if next_attempt is not None:
        initiation["nextAttemptDateTime"] = next_attempt
    return {
        "sourceServerID": "s-1234567890abcdefg",
        "lifeCycle": {"state": "NOT_READY"},
        "dataReplicationInfo": {
            "dataReplicationState": "STALLED",
            "dataReplicationError": {"error": "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"},
            "dataReplicationInitiation": initiation,
        },
    }


def test_stall_first_seen_with_a_retry_scheduled_keeps_waiting_with_error_hint_and_next_attempt() -> None:
    verdict = classify(_stalled(), now=NOW, stall_grace=GRACE)
    assert (verdict.outcome, verdict.phase) == (Outcome.WAITING, Phase.STALLED)
    assert verdict.retrying_stall
    assert verdict.stalled_since == NOW  # the grace starts at the first sighting
    assert verdict.next_attempt_date_time == datetime(2026, 1, 5, 12, 5, tzinfo=UTC)
    assert verdict.data_replication_error is not None
    assert verdict.data_replication_error.error == "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"
    assert "1500" in verdict.hint
    assert "MGN retries at 2026-01-05T12:05:00Z" in verdict.reason
    assert "14:00:00Z" in verdict.reason  # when the wave gives up on it


def test_stall_still_within_grace_keeps_waiting() -> None:
    verdict = classify(_stalled(), now=NOW, stall_grace=GRACE, stalled_since=NOW - timedelta(minutes=119))
    assert verdict.outcome is Outcome.WAITING


def test_stall_past_grace_fails_naming_the_grace() -> None:
    verdict = classify(_stalled(), now=NOW, stall_grace=GRACE, stalled_since=NOW - timedelta(minutes=120))
    assert (verdict.outcome, verdict.phase) == (Outcome.FAILED, Phase.STALLED)
    assert "120 minutes after the wave first saw it stalled" in verdict.reason
    assert "1500" in verdict.hint


def test_stall_without_a_scheduled_retry_fails_at_once() -> None:
    verdict = classify(_stalled(next_attempt=None), now=NOW, stall_grace=GRACE)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.next_attempt_date_time is None


def test_stall_without_a_grace_fails_at_once_but_shows_the_next_attempt() -> None:
    verdict = classify(_stalled(), now=NOW)
    assert verdict.outcome is Outcome.FAILED
    assert verdict.next_attempt_date_time is not None  # for `mgn-wave status`


def test_stall_in_grace_still_fails_at_the_deadline() -> None:
    verdict = classify(_stalled(), now=NOW, deadline=NOW, stall_grace=GRACE)
    assert verdict.outcome is Outcome.FAILED
    assert "deadline" in verdict.reason
