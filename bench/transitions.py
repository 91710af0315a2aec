"""State transitions for one server over a 24-hour simulated initial sync: events flowing, and
every event lost (the fallback poll alone). Run: .venv/bin/python bench/transitions.py"""

from __future__ import annotations

import time

from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.scenario import DiskSpec, MgnSpec, load_scenario

# 100 Mbps (the emulator's default link) for 24 h moves about 1,006 GiB.
DISK_GIB = 1006
PER_SERVER_STATES = {
    "ConfigureServer",
    "AwaitReplication",
    "PollReplication",
    "Decided?",
    "ServerResult",
    "RecordResult",
}


def run(lose_events: bool) -> dict[str, object]:
    base = load_scenario("seed-clean")
    server = base.fleet[1].model_copy(update={"disks": (DiskSpec(device="/dev/xvda", gib=DISK_GIB),)})
    scenario = base.model_copy(update={"fleet": (server,), "mgn": MgnSpec(template={}, registered=(), wave="wave-01")})
    started = time.perf_counter()
    with EmulatedAws() as aws:
        aws.deploy_scenario(scenario)
        if lose_events:
            aws.mgn.event_faults(lose=1.0)
        result = aws.run({"wave": "wave-01"})
        simulated = aws.clock.elapsed
        verdict = next(iter(aws.server_results(result.output).values()))["status"]
        entries = aws.state_entries  # parent and child executions (Distributed Map) alike
    return {
        "status": result.status,
        "verdict": verdict,
        "transitions (whole execution)": sum(entries.values()),
        "transitions (per-server states)": sum(n for state, n in entries.items() if state in PER_SERVER_STATES),
        "parent history events": len(result.events),
        "simulated": str(simulated),
        "wall seconds": round(time.perf_counter() - started, 1),
    }


if __name__ == "__main__":
    for label, lose in (("events flowing", False), ("every event lost", True)):
        print(label, run(lose))
