"""The largest state payload of a wave, as the strict emulated AWS measures it (mgn_wave_emu.limits):
every state input and output, task result and Map result is checked against Step Functions'
256 KiB and the largest is kept. Nothing per server may travel through the wave's state, so the
figure must stay flat in the wave's size.

`make bench` records it from the wave-size step's runs; alone:
`python -m bench.payloads --sizes 10 100` (each wave in its own interpreter)."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from bench.results import record
from bench.wave import run_in_subprocess
from mgn_wave_emu.limits import STATE_PAYLOAD_BYTES

if TYPE_CHECKING:
    from bench.wave import WaveRun

FLAT_BYTES = 64
GOAL_BYTES = 32 * 1024  # at 1,000 servers, an eighth of the limit: room for what the wave's input carries


def figures(runs: dict[int, WaveRun | None]) -> dict[str, dict[str, int]]:
    """`largest_state_payload_bytes` by wave size, for bench/results.json."""
    return {"largest_state_payload_bytes": {str(n): r.largest_state_payload_bytes for n, r in runs.items() if r}}


def row(runs: dict[int, WaveRun | None]) -> tuple[str, str, str, str]:
    """The BENCHMARKS.md row: ours, Step Functions' limit, the goal."""
    done = {n: r.largest_state_payload_bytes for n, r in runs.items() if r is not None}
    # Flat: the figure may differ by the digits of a count, not by anything per server.
    flat = len(done) == len(runs) and max(done.values()) - min(done.values()) <= FLAT_BYTES
    top = max(runs)
    within = top in done and done[top] <= GOAL_BYTES
    return (
        "largest state payload (input, output or Map result; strict emulator), waves of "
        + " / ".join(str(n) for n in runs),
        " / ".join(f"{done[n]:,} B" if n in done else "did not finish" for n in runs),
        f"limit {STATE_PAYLOAD_BYTES:,} B (States.DataLimitExceeded)",
        f"flat (within {FLAT_BYTES} B): {'met' if flat else '**not met**'}; "
        f"≤ 32 KiB at {top}: {'met' if within else '**not met**'}",
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100])
    args = parser.parse_args()
    runs: dict[int, WaveRun | None] = {}
    for size in args.sizes:
        runs[size] = run_in_subprocess(size, script_workers=os.cpu_count() or 1, timeout_seconds=900)
        print(f"{size} servers: {runs[size].largest_state_payload_bytes:,} bytes, {runs[size].status}", flush=True)  # type: ignore[union-attr]
    print(row(runs))
    record(figures(runs))


if __name__ == "__main__":
    main()
