"""Wave totals, and which servers an MGN event is about."""

from __future__ import annotations

from mgn_wave.replication_wait.classifier import source_server_ids_of as source_servers_of
from mgn_wave.waves.summary import summarize

ARN = "arn:aws:mgn:us-east-1:111122223333:source-server/s-12345678901234567"


def test_summarize_later_stage_wins_and_totals_add_up() -> None:
    # Given: a server rejected early, one skipped, one failing at install then ... and one replicated
    lists = [
        [{"instanceId": "mi-00000000000000001", "status": "FAILED", "stage": "RESOLVE", "reason": "offline"}],
        [{"instanceId": "mi-00000000000000002", "status": "SKIPPED", "stage": "INSTALL", "reason": "registered"}],
        [{"instanceId": "mi-00000000000000003", "status": "FAILED", "stage": "PROBE", "reason": "443"}],
        [
            {
                "instanceId": "mi-00000000000000004",
                "sourceServerId": "s-12345678901234567",
                "status": "SUCCEEDED",
                "stage": "REPLICATION",
                "reason": "healthy",
                "phase": "HEALTHY",
                "timings": {"healthy": "2026-01-05T12:00:00Z"},
            }
        ],
    ]
    # When
    summary = summarize("wave-01", lists)
    # Then
    assert summary.totals == {"SUCCEEDED": 1, "FAILED": 2, "SKIPPED": 1, "total": 4}
    assert [s.instance_id for s in summary.servers] == [f"mi-0000000000000000{n}" for n in (1, 2, 3, 4)]


def test_source_servers_of_reads_mgn_resources_only() -> None:
    assert source_servers_of({"source": "aws.mgn", "resources": [ARN]}) == ["s-12345678901234567"]
    assert source_servers_of({"source": "aws.ec2", "resources": [ARN]}) == []
    assert source_servers_of({"source": "aws.mgn", "resources": ["arn:aws:mgn:us-east-1:1:job/mgnjob-1"]}) == []
    assert source_servers_of({"source": "aws.mgn", "resources": "not-a-list"}) == []


def test_source_servers_of_the_sample_events_in_events_folder() -> None:
    import json
    from pathlib import Path

    events = Path(__file__).resolve().parents[3] / "events"
    for name in ("replication_event_ready_for_test.json", "replication_event_stalled.json"):
        event = json.loads((events / name).read_text())
        assert source_servers_of(event) == ["s-12345678901234567"]


def test_unaccounted_server_gets_a_failed_result_naming_why() -> None:
    from mgn_wave.core.server_result import ServerResult, ServerStatus, Stage
    from mgn_wave.waves.summary import unaccounted

    recorded = [
        ServerResult(
            instance_id="mi-00000000000000001", status=ServerStatus.SUCCEEDED, stage=Stage.REPLICATION, reason="ok"
        )
    ]
    missing = unaccounted(["mi-00000000000000001", "mi-00000000000000002"], recorded)
    assert [(m.instance_id, m.status) for m in missing] == [("mi-00000000000000002", ServerStatus.FAILED)]
    assert "no result was recorded" in missing[0].reason
