"""The same answer on a busy machine: representative waves run beside two CPU-bound processes give
the verdicts, state transitions and MGN/SSM calls they give on an idle machine, run after run.

The virtual clock moves only when every actor of the emulation waits on it (`clock.py`), so how
fast the machine runs them cannot change what happens, only how long it takes in real time."""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from mgn_wave_emu.harness import EmulatedAws

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.scenarios import fleet_scenario  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mgn_wave_emu.scenario import Scenario

# Each CPU burner ends on its own after this many real seconds, whatever happens to the test.
BURNER_LIFETIME_SECONDS = 600
BURNERS = 2
RUNS_UNDER_LOAD = 2


@dataclass(frozen=True)
class WaveFingerprint:
    """What a user of the wave would notice, and what a bill or a throttle would count."""

    status: str
    verdicts: dict[str, tuple[str, str, str | None]]  # server -> (status, stage, phase)
    state_entries: dict[str, int]
    mgn_calls: dict[str, int]
    ssm_calls: dict[str, int]
    virtual_seconds: float


def _run(scenario: Scenario | str, *, lose_events: bool = False, timeout_seconds: float = 300) -> WaveFingerprint:
    with EmulatedAws() as aws:
        aws.deploy_scenario(scenario)
        if lose_events:
            aws.mgn.event_faults(lose=1.0)
        result = aws.wait(aws.start({"wave": "wave-01"}, "load-1"), timeout_seconds=timeout_seconds)
        servers = aws.server_results(result.output) if result.output else {}
        calls = Counter((call.service_id, call.operation_name) for call in aws.calls.calls)
        return WaveFingerprint(
            status=result.status,
            verdicts={name: (s["status"], s["stage"], s.get("phase")) for name, s in sorted(servers.items())},
            state_entries=dict(sorted(aws.state_entries.items())),
            mgn_calls={op: n for (service, op), n in sorted(calls.items()) if service == "mgn"},
            ssm_calls={op: n for (service, op), n in sorted(calls.items()) if service == "ssm"},
            virtual_seconds=aws.clock.elapsed.total_seconds(),
        )


@pytest.fixture
def busy_machine() -> Iterator[Callable[[], None]]:
    """Call it to start two CPU-bound processes; they are stopped when the test ends."""
    burners: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        program = f"import time\nend = time.monotonic() + {BURNER_LIFETIME_SECONDS}\nwhile time.monotonic() < end: pass"
        burners.extend(subprocess.Popen([sys.executable, "-c", program]) for _ in range(BURNERS))

    yield start
    for burner in burners:
        burner.kill()
        burner.wait(timeout=10)


def _differences(idle: WaveFingerprint, loaded: WaveFingerprint) -> dict[str, Any]:
    return {
        name: (getattr(idle, name), getattr(loaded, name))
        for name in WaveFingerprint.__dataclass_fields__
        if getattr(idle, name) != getattr(loaded, name)
    }


WAVES: dict[str, Callable[[], WaveFingerprint]] = {
    "clean": lambda: _run("seed-clean"),
    "mixed failures": lambda: _run("wave-demo"),
    "every event lost": lambda: _run("seed-clean", lose_events=True),
}


@pytest.mark.parametrize("wave", sorted(WAVES))
def test_a_wave_gives_the_same_answer_beside_cpu_bound_processes(wave: str, busy_machine: Callable[[], None]) -> None:
    # Given: the wave's fingerprint on this machine before any load
    idle = WAVES[wave]()
    assert idle.status == "SUCCEEDED"
    # When: the same wave runs again, repeatedly, beside two CPU-bound processes
    busy_machine()
    loaded = [WAVES[wave]() for _ in range(RUNS_UNDER_LOAD)]
    # Then: every run under load is the idle run, verdict for verdict and call for call
    for run in loaded:
        assert _differences(idle, run) == {}


def test_a_100_server_wave_gives_the_same_answer_beside_cpu_bound_processes(
    busy_machine: Callable[[], None],
) -> None:
    scenario = fleet_scenario(100)
    started = time.perf_counter()
    idle = _run(scenario)
    idle_wall = time.perf_counter() - started
    assert idle.status == "SUCCEEDED"
    assert len(idle.verdicts) == 100
    busy_machine()
    loaded = _run(scenario, timeout_seconds=max(300, 10 * idle_wall))
    assert _differences(idle, loaded) == {}


def _demo(folder: Path) -> str:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("mgn-wave")), "demo"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        env={"COLUMNS": "100", "PATH": "/usr/bin:/bin", "HOME": str(folder)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # Everything but how long it took in real time (and the panel width that follows from it).
    text = re.sub(r"in [0-9.]+s( wall time)?", "in …s", completed.stdout)
    return re.sub(r" +│", " │", re.sub(r"─+", "─", text))


def test_make_demo_prints_the_same_under_load(busy_machine: Callable[[], None], tmp_path: Path) -> None:
    (tmp_path / "idle").mkdir()
    (tmp_path / "loaded").mkdir()
    idle = _demo(tmp_path / "idle")
    assert "MigrateWave SUCCEEDED" in idle
    busy_machine()
    assert _demo(tmp_path / "loaded") == idle
