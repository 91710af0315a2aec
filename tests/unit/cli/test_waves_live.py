"""Following a wave: sync % straight from MGN, and what an operator sees in a log or a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rich.console import Console

from mgn_wave.core.errors import AwsAccessError, TransientAwsError
from mgn_wave_cli.render import ProgressLog, progress_table
from mgn_wave_cli.waves import MgnLiveProgress, WaveProgress

if TYPE_CHECKING:
    from collections.abc import Callable

    from tests.unit.cli.conftest import FakeMgn, History

WEB, APP = "mi-0123456789abcdef0", "mi-0123456789abcdef1"
WAVE_TAG = {"MigrationWave": "wave-01"}


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _live(mgn: FakeMgn, clock: Clock | None = None) -> MgnLiveProgress:
    return MgnLiveProgress(
        mgn,  # type: ignore[arg-type]
        wave="wave-01",
        wave_tag_key="MigrationWave",
        every_seconds=30,
        clock=clock or Clock(),
    )


def test_mgn_live_progress_wave_servers_get_rows_with_phase_and_percent_but_no_verdict(
    fake_mgn: type[FakeMgn], mgn_server: Callable[..., dict[str, Any]]
) -> None:
    # Given: two of the wave's servers syncing, and one of another wave
    mgn = fake_mgn(
        [
            mgn_server("s-0123456789abcdef0", WEB, "web-1.corp.example", percent=25, tags=WAVE_TAG),
            mgn_server("s-0123456789abcdef1", APP, "app-1.corp.example", percent=90, tags=WAVE_TAG),
            mgn_server("s-0123456789abcdef2", "mi-0123456789abcdef2", "other", percent=5, tags={"MigrationWave": "w2"}),
        ]
    )
    progress = WaveProgress()
    # When
    _live(mgn).refresh(progress)
    # Then: the verdict stays the state machine's to give
    rows = {row.instance_id: row for row in progress.servers}
    assert set(rows) == {WEB, APP}
    assert (rows[WEB].name, rows[WEB].phase, rows[WEB].progress_percent) == ("web-1.corp.example", "SYNCING", 25.0)
    assert rows[APP].progress_percent == 90.0
    assert {row.status for row in rows.values()} == {None}


def test_mgn_live_progress_decided_server_keeps_the_state_machines_verdict(
    history: History, fake_mgn: type[FakeMgn], mgn_server: Callable[..., dict[str, Any]]
) -> None:
    # Given: the history says web was SKIPPED at install; MGN still shows it syncing
    history.run_task(
        "InstallAgents",
        {"commands": [], "results": [{"instanceId": WEB, "status": "SKIPPED", "stage": "INSTALL", "reason": "known"}]},
    )
    progress = WaveProgress()
    progress.apply(history.events)
    # When
    _live(fake_mgn([mgn_server("s-0123456789abcdef0", WEB, "web-1", percent=40, tags=WAVE_TAG)])).refresh(progress)
    # Then
    (row,) = progress.servers
    assert (row.status, row.step, row.progress_percent) == ("SKIPPED", "INSTALL", None)


def test_mgn_live_progress_reads_mgn_at_most_every_interval(
    fake_mgn: type[FakeMgn], mgn_server: Callable[..., dict[str, Any]]
) -> None:
    # Given
    mgn = fake_mgn([mgn_server("s-0123456789abcdef0", WEB, "web-1", percent=40, tags=WAVE_TAG)])
    clock = Clock()
    live = _live(mgn, clock)
    progress = WaveProgress()
    # When: three polls in 40 seconds
    for now in (0.0, 10.0, 40.0):
        clock.now = now
        live.refresh(progress)
    # Then
    assert mgn.calls == 2


def test_mgn_live_progress_access_denied_turns_it_off_with_a_note(fake_mgn: type[FakeMgn]) -> None:
    # Given
    mgn = fake_mgn([], error=AwsAccessError("MGN DescribeSourceServers was denied"))
    clock = Clock()
    live = _live(mgn, clock)
    # When
    live.refresh(WaveProgress())
    clock.now = 60.0
    live.refresh(WaveProgress())
    # Then: asked once, and says why there is no live %
    assert mgn.calls == 1
    assert live.note is not None
    assert "denied" in live.note


def test_mgn_live_progress_throttled_read_is_tried_again_next_round(fake_mgn: type[FakeMgn]) -> None:
    mgn = fake_mgn([], error=TransientAwsError("ThrottlingException"))
    clock = Clock()
    live = _live(mgn, clock)
    live.refresh(WaveProgress())
    clock.now = 60.0
    live.refresh(WaveProgress())
    assert (mgn.calls, live.note) == (2, None)


def test_progress_log_prints_each_state_change_and_verdict_once(history: History) -> None:
    # Given: a log (not a terminal), fed the same progress twice
    console = Console(record=True, width=120, force_terminal=False)
    log = ProgressLog(console)
    history.run_task(
        "InstallAgents",
        {"commands": [], "results": [{"instanceId": WEB, "status": "SKIPPED", "stage": "INSTALL", "reason": "known"}]},
    )
    progress = WaveProgress()
    progress.apply(history.events)
    # When
    log(progress)
    log(progress)
    # Then
    text = console.export_text()
    assert text.count("state InstallAgents") == 1
    assert text.count(f"SKIPPED   {WEB}") == 1


def test_progress_table_shows_every_server_with_its_sync_percent(
    fake_mgn: type[FakeMgn], mgn_server: Callable[..., dict[str, Any]]
) -> None:
    # Given
    progress = WaveProgress(state="ForEachServer")
    _live(fake_mgn([mgn_server("s-0123456789abcdef0", WEB, "web-1", percent=25, tags=WAVE_TAG)])).refresh(progress)
    console = Console(record=True, width=160)
    # When
    console.print(progress_table(progress, "wave-01-20260105T0900Z-3f9a"))
    # Then
    text = console.export_text()
    assert "wave-01-20260105T0900Z-3f9a · ForEachServer" in text
    assert "web-1" in text
    assert "SYNCING" in text
    assert " 25 " in text


def test_progress_table_shows_a_stalled_server_mgn_retries_with_error_next_attempt_and_hint(
    fake_mgn: type[FakeMgn], mgn_server: Callable[..., dict[str, Any]]
) -> None:
    # Given: web-1 stalled connecting to its replication server; MGN tries again at 09:35
    server = mgn_server("s-0123456789abcdef0", WEB, "web-1", percent=0, tags=WAVE_TAG)
    server["dataReplicationInfo"] = {
        "dataReplicationState": "STALLED",
        "dataReplicationError": {"error": "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"},
        "dataReplicationInitiation": {
            "steps": [{"name": "CONNECT_AGENT_TO_REPLICATION_SERVER", "status": "FAILED"}],
            "nextAttemptDateTime": "2026-01-05T09:35:00Z",
        },
    }
    progress = WaveProgress(state="ForEachServer")
    _live(fake_mgn([server])).refresh(progress)
    console = Console(record=True, width=400)
    # When
    console.print(progress_table(progress, "wave-01"))
    # Then: still no verdict; the error, the next attempt and what to check
    text = console.export_text()
    assert "STALLED FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER, next attempt 2026-01-05T09:35:00Z" in text
    assert "web-1 stalled:" in text and "1500" in text
    assert {row.status for row in progress.servers} == {None}
