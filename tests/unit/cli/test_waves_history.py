"""What an execution history says: the state a wave is in, and where each of its servers is."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave_cli.waves import HistoryReader, WaveProgress, current_state, server_rows

if TYPE_CHECKING:
    from tests.unit.cli.conftest import FakeSfn, History

WEB, APP, DB = "mi-0123456789abcdef0", "mi-0123456789abcdef1", "mi-0123456789abcdef2"
WEB_SOURCE, APP_SOURCE = "s-0123456789abcdef0", "s-0123456789abcdef1"


def _installed_wave(history: History) -> None:
    """ResolveServers, InstallAgents and CheckInstalls as the inline-Map flow reports them: web and
    app installed, db offline."""
    history.run_task(
        "ResolveServers",
        {
            "servers": [
                {
                    "instanceId": WEB,
                    "platform": "Linux",
                    "online": True,
                    "pingStatus": "Online",
                    "computerName": "web-1",
                },
                {
                    "instanceId": APP,
                    "platform": "Linux",
                    "online": True,
                    "pingStatus": "Online",
                    "computerName": "app-1",
                },
            ],
            "results": [
                {"instanceId": DB, "status": "FAILED", "stage": "RESOLVE", "reason": "the SSM Agent is ConnectionLost"}
            ],
        },
    )
    history.run_task("InstallAgents", {"commands": [{"commandId": "c-1", "instanceIds": [WEB, APP]}], "results": []})
    history.run_task(
        "CheckInstalls",
        {
            "pending": False,
            "installed": [
                {"instanceId": WEB, "sourceServerId": WEB_SOURCE},
                {"instanceId": APP, "sourceServerId": APP_SOURCE},
            ],
            "results": [],
        },
    )


def _item(instance_id: str, source_server_id: str) -> dict[str, Any]:
    return {"input": {"wave": "wave-01"}, "instanceId": instance_id, "sourceServerId": source_server_id}


def _verdict(outcome: str, phase: str, percent: float | None = None) -> dict[str, Any]:
    return {"outcome": outcome, "phase": phase, "progressPercent": percent, "reason": f"{phase} says so"}


def test_current_state_running_wave_is_the_last_state_entered(history: History) -> None:
    # Given: Preflight passed, EnforceTemplate is running
    history.run_task("ValidateInput", {"wave": "wave-01"})
    history.run_task("Preflight", {"ok": True, "findings": []})
    history.enter("EnforceTemplate")
    # When
    state = current_state(history.events)
    # Then
    assert state == "EnforceTemplate"


def test_current_state_no_state_entered_yet_is_none(history: History) -> None:
    assert current_state(history.events) is None


def test_wave_progress_inside_a_map_names_the_map_and_the_state(history: History) -> None:
    # Given: the servers' Map runs, one iteration awaits its verdict
    _installed_wave(history)
    history.enter("ForEachServer", kind="Map")
    history.add("MapStateStarted")
    history.enter("AwaitReplication", _item(WEB, WEB_SOURCE))
    progress = WaveProgress()
    # When
    progress.apply(history.events)
    # Then
    assert progress.state == "AwaitReplication"
    assert progress.where == "ForEachServer > AwaitReplication"
    assert not progress.finished


def test_server_rows_resolved_and_installed_servers_have_names_steps_and_source_servers(history: History) -> None:
    # Given
    _installed_wave(history)
    # When
    rows = {row.instance_id: row for row in server_rows(history.events)}
    # Then: web and app wait for replication; db ended at RESOLVE with the reason
    assert (rows[WEB].name, rows[WEB].source_server_id, rows[WEB].step, rows[WEB].status) == (
        "web-1",
        WEB_SOURCE,
        "agent installed",
        None,
    )
    assert rows[APP].source_server_id == APP_SOURCE
    assert (rows[DB].status, rows[DB].step, rows[DB].reason) == ("FAILED", "RESOLVE", "the SSM Agent is ConnectionLost")


def test_server_rows_interleaved_iterations_each_verdict_goes_to_its_own_server(history: History) -> None:
    # Given: both iterations enter AwaitReplication, then their task events interleave
    _installed_wave(history)
    history.enter("ForEachServer", kind="Map")
    map_started = history.add("MapStateStarted")
    web = history.enter("AwaitReplication", _item(WEB, WEB_SOURCE), after=map_started)
    app = history.enter("AwaitReplication", _item(APP, APP_SOURCE), after=map_started)
    # app's fallback poll says 42 % synced (lambda:invoke output), web's event decides it (callback output)
    app_poll = history.enter("PollReplication", _item(APP, APP_SOURCE), after=history.timed_out(app))
    history.task(app_poll, _verdict("WAITING", "SYNCING", 42.0))
    history.task(web, _verdict("SUCCEEDED", "HEALTHY", 100.0), lambda_invoke=False)
    # When
    rows = {row.instance_id: row for row in server_rows(history.events)}
    # Then
    assert (rows[WEB].status, rows[WEB].phase, rows[WEB].progress_percent) == ("SUCCEEDED", "HEALTHY", 100.0)
    assert (rows[APP].status, rows[APP].phase, rows[APP].progress_percent) == (None, "SYNCING", 42.0)
    assert rows[APP].step == "polling MGN"


def test_server_rows_iteration_result_decides_the_verdict_with_stage_and_reason(history: History) -> None:
    # Given: app's configuration failed; its iteration ended with a FAILED result
    _installed_wave(history)
    history.enter("ForEachServer", kind="Map")
    history.add("MapStateStarted")
    configure = history.enter("ConfigureServer", _item(APP, APP_SOURCE))
    failed = history.enter("ConfigureFailed", _item(APP, APP_SOURCE), kind="Pass", after=configure)
    result = {
        "instanceId": APP,
        "sourceServerId": APP_SOURCE,
        "status": "FAILED",
        "stage": "CONFIGURE",
        "reason": "AccessDenied on UpdateReplicationConfiguration",
    }
    history.exit("ConfigureFailed", failed, result, kind="Pass")
    # When
    rows = {row.instance_id: row for row in server_rows(history.events)}
    # Then
    assert (rows[APP].status, rows[APP].step) == ("FAILED", "CONFIGURE")
    assert "AccessDenied" in rows[APP].reason


def test_server_rows_truncated_output_is_skipped_not_fatal(history: History) -> None:
    # Given: an output cut at 256 KiB is not JSON
    entered = history.enter("ResolveServers")
    history.task(entered, '{"StatusCode": 200, "Payload": {"servers": [{"instanceId": "mi-0', lambda_invoke=False)
    # When
    rows = server_rows(history.events)
    # Then
    assert rows == []


def test_wave_progress_failed_execution_is_finished_with_its_status(history: History) -> None:
    # Given
    history.run_task("Preflight", {"ok": False, "findings": []})
    history.enter("PreflightBlocked", kind="Fail")
    history.add("ExecutionFailed", {"executionFailedEventDetails": {"error": "PreflightBlocked", "cause": "[]"}})
    progress = WaveProgress()
    # When
    progress.apply(history.events)
    # Then
    assert (progress.finished, progress.status, progress.state) == (True, "FAILED", "PreflightBlocked")


def test_wave_progress_distributed_map_counts_say_how_many_servers_are_done(history: History) -> None:
    # Given: the servers run as a Distributed Map's child executions
    history.enter("ForEachServer", kind="Map")
    history.add("MapStateStarted")
    history.add("MapRunStarted", {"mapRunStartedEventDetails": {"mapRunArn": "arn:aws:states:us-east-1:1:mapRun:x"}})
    progress = WaveProgress()
    progress.apply(history.events)
    # When: DescribeMapRun's item counts arrive
    progress.map_counts = {"pending": 0, "running": 1, "succeeded": 2, "failed": 1, "total": 4}
    # Then
    assert progress.map_run_arn == "arn:aws:states:us-east-1:1:mapRun:x"
    assert progress.map_run_open
    assert progress.map_done == "3 of 4 servers done (1 failed)"


def test_history_reader_reverse_pages_stop_at_the_events_already_read(
    history: History, fake_sfn: type[FakeSfn]
) -> None:
    # Given: 250 events read once, then 30 more
    for number in range(125):
        history.enter(f"State{number}")
        history.exit(f"State{number}", history.last)
    sfn = fake_sfn(history.events)
    reader = HistoryReader(sfn, "arn:aws:states:us-east-1:123456789012:execution:sm:x")  # type: ignore[arg-type]
    first = reader.read_new()
    for number in range(15):
        history.enter(f"Later{number}")
        history.exit(f"Later{number}", history.last)
    sfn.requests.clear()
    # When
    second = reader.read_new()
    # Then: the news only, oldest first, from one small page
    assert [e["id"] for e in first] == list(range(1, 252))
    assert [e["id"] for e in second] == list(range(252, 282))
    assert len(sfn.requests) == 1
    assert sfn.requests[0]["reverseOrder"] is True


def test_history_reader_service_ignoring_reverse_order_still_reads_each_event_once(
    history: History, fake_sfn: type[FakeSfn]
) -> None:
    # Given: a service (moto) that answers everything, oldest first
    history.enter("Preflight")
    sfn = fake_sfn(history.events, honours_order=False)
    reader = HistoryReader(sfn, "arn:aws:states:us-east-1:123456789012:execution:sm:x")  # type: ignore[arg-type]
    reader.read_new()
    history.enter("EnforceTemplate", after=history.last)
    # When
    news = reader.read_new()
    # Then
    assert [e["stateEnteredEventDetails"]["name"] for e in news] == ["EnforceTemplate"]
    assert reader.read_new() == []
