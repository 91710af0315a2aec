"""State transitions per server over a 24-hour simulated initial sync — ours with events flowing,
ours with every event lost (the fallback poll alone), and the 5-minute polling baseline — and the
time from READY_FOR_TEST to the verdict. Run alone: .venv/bin/python -m bench.transitions (or bench/transitions.py)"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script (.venv/bin/python bench/transitions.py), as README says
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.scenarios import DAY_OF_SYNC_GIB, fleet_scenario
from bench.wave import WaveRun, run_wave


@dataclass
class Transitions:
    events: WaveRun
    lost: WaveRun
    baseline: WaveRun

    @property
    def reduction(self) -> float:
        return self.baseline.per_server_transitions / self.events.per_server_transitions


def measure(servers: int = 1, disk_gib: int = DAY_OF_SYNC_GIB) -> Transitions:
    scenario = fleet_scenario(servers, disk_gib=disk_gib)
    return Transitions(
        events=run_wave(scenario),
        lost=run_wave(scenario, lose_events=True),
        baseline=run_wave(scenario, baseline=True),
    )


if __name__ == "__main__":
    measured = measure()
    for label, run in (
        ("events flowing", measured.events),
        ("every event lost", measured.lost),
        ("5-minute polling", measured.baseline),
    ):
        print(
            f"{label}: {run.per_server_transitions:.0f} per-server transitions, "
            f"{sum(run.state_entries.values())} whole execution, READY_FOR_TEST→verdict "
            f"{run.ready_to_verdict_seconds} s, simulated {run.simulated_hours:.1f} h, {run.wall_seconds:.1f} s wall"
        )
    print(f"baseline / events: {measured.reduction:.1f}x")
