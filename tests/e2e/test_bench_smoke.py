"""The benchmark code cannot rot: the transitions measurement for one server, small enough for a
test (a ~2-hour initial sync instead of 24 h), still shows the event-driven wait under its goal
and the 5-minute polling baseline above it."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scenarios import fleet_scenario  # noqa: E402
from bench.wave import run_wave  # noqa: E402

DISK_GIB = 80  # about 2 hours at the emulator's 100 Mbps: ~20 polls of the baseline


def test_event_driven_wait_beats_the_polling_baseline() -> None:
    scenario = fleet_scenario(1, disk_gib=DISK_GIB)
    ours = run_wave(scenario, timeout_seconds=60)
    baseline = run_wave(scenario, baseline=True, timeout_seconds=60)
    assert ours.status == baseline.status == "SUCCEEDED"
    assert ours.verdicts == baseline.verdicts == {"SUCCEEDED": 1}
    assert ours.per_server_transitions <= 30
    assert baseline.per_server_transitions > ours.per_server_transitions
    assert "PollEvery5Minutes" in baseline.state_entries
    assert "AwaitReplication" not in baseline.state_entries
