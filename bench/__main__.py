"""`make bench`: every measurement on the emulated AWS, each figure next to its baseline from the
same run; prints the table and writes it to BENCHMARKS.md with the command and the machine."""

from __future__ import annotations

import argparse
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench import coldstart, install_script, launch, payloads, transitions, watch
from bench.results import record
from bench.scenarios import DAY_OF_SYNC_GIB
from bench.wave import WaveRun, run_in_subprocess

ROOT = Path(__file__).resolve().parents[1]
COMMAND = "make bench"
SCRIPT_WORKERS = os.cpu_count() or 1
HISTORY_LIMIT = 25_000
WAVE_WALL_GOAL_SECONDS = 120  # issue 12: the 1,000-server emulated wave on 2 cores
STARTED = time.perf_counter()


def progress(message: str) -> None:
    print(f"[{time.perf_counter() - STARTED:6.1f} s] {message}", flush=True)


def hours(seconds: list[float]) -> str:
    if not seconds:
        return "n/a"
    worst = max(seconds)
    median = statistics.median(seconds)
    return "0 s (immediate)" if worst == 0 else f"median {median / 3600:.2f} h, max {worst / 3600:.2f} h"


def wave(servers: int, notes: list[str], **options: Any) -> WaveRun | None:
    """A wave in its own interpreter; None (with a note) when it fails or runs out of time."""
    try:
        return run_in_subprocess(servers, **options)
    except (RuntimeError, subprocess.TimeoutExpired) as error:
        notes.append(f"{servers}-server wave {options}: did not finish: {str(error).strip().splitlines()[-1]}")
        progress(f"    {servers} servers: did not finish ({type(error).__name__})")
        return None


def ok(met: bool) -> str:
    return "met" if met else "**not met**"


def launch_figures(sizes: list[int], notes: list[str]) -> list[launch.LaunchRun]:
    runs = []
    for size in sizes:
        try:
            runs.append(launch.measure(size))
        except RuntimeError as error:
            notes.append(f"{size}-server launch: did not finish: {error}")
    if runs:
        launch.record_runs(runs)
    return runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mgn-servers", type=int, default=500)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    rows: list[tuple[str, str, str, str]] = []  # measurement, ours, baseline, goal
    notes: list[str] = []

    progress("1/7 state transitions, 1 server, 24 h initial sync: events / events lost / 5-minute polling")
    measured = transitions.measure()
    ours, lost, poll = measured.events, measured.lost, measured.baseline
    corrected = poll.per_server_transitions + 3 * poll.skipped_polls
    ratio = corrected / ours.per_server_transitions
    rows.append(
        (
            "state transitions per server, 24 h initial sync (per-server states)",
            f"{ours.per_server_transitions:.0f} with events; {lost.per_server_transitions:.0f} with every event lost",
            f"{poll.per_server_transitions:.0f} measured, {corrected:.0f} without the clock's jumps "
            f"(5-minute polling; {ratio:.0f}x ours)",
            f"≤ 30: {ok(ours.per_server_transitions <= 30)}; ≥ 25x fewer: {ok(ratio >= 25)}",
        )
    )
    if poll.skipped_polls:
        notes.append(
            f"The polling baseline's loop showed gaps of up to {poll.longest_poll_gap_seconds / 3600:.1f} h between "
            f"polls (the emulator's clock driver jumped past {poll.skipped_polls} of its 5-minute Waits while the "
            "child thread was between two states). The corrected figure adds the 3 states (Wait, PollReplication, "
            "Decided?) of each skipped poll; the measured one is a lower bound."
        )
    progress("2/7 READY_FOR_TEST → verdict (virtual time)")
    rows.append(
        (
            "READY_FOR_TEST → verdict, virtual time (1 server)",
            f"{hours(ours.ready_to_verdict_seconds)} with events; {hours(lost.ready_to_verdict_seconds)} lost",
            f"{hours(poll.ready_to_verdict_seconds)} (5-minute polling: ≤ 5 min)",
            "events: immediate; lost: ≤ ReplicationPollMinutes (6 h)",
        )
    )

    progress(f"3/7 MGN API calls, {args.mgn_servers} servers, 24 h initial sync, events flowing / lost")
    big = wave(args.mgn_servers, notes, disk_gib=DAY_OF_SYNC_GIB, script_workers=SCRIPT_WORKERS, timeout_seconds=900)
    big_lost = wave(
        args.mgn_servers,
        notes,
        disk_gib=DAY_OF_SYNC_GIB,
        lose_events=True,
        script_workers=SCRIPT_WORKERS,
        timeout_seconds=900,
    )

    def either(run: WaveRun | None, text: str) -> str:
        return text if run is not None else "did not finish"

    rows.append(
        (
            f"MGN API calls per server, {args.mgn_servers}-server wave, 24 h (events / lost)",
            either(big, f"{big.mgn_calls_per_server:.2f}" if big else "")
            + " / "
            + either(big_lost, f"{big_lost.mgn_calls_per_server:.2f}" if big_lost else ""),
            f"{poll.mgn_calls_per_server:.0f} (5-minute polling, 1 server, {poll.skipped_polls} polls skipped)",
            "",
        )
    )
    rows.append(
        (
            f"per-server transitions, {args.mgn_servers}-server wave, 24 h (events / lost)",
            either(big, f"{big.per_server_transitions:.1f}" if big else "")
            + " / "
            + either(big_lost, f"{big_lost.per_server_transitions:.1f}" if big_lost else ""),
            "",
            f"≤ 30: {ok(big is not None and big.per_server_transitions <= 30)}",
        )
    )
    rows.append(
        (
            f"READY_FOR_TEST → verdict, {args.mgn_servers}-server wave (events / lost)",
            either(big, hours(big.ready_to_verdict_seconds) if big else "")
            + " / "
            + either(big_lost, hours(big_lost.ready_to_verdict_seconds) if big_lost else ""),
            "",
            "",
        )
    )
    for run, label in ((big, "events"), (big_lost, "lost")):
        if run is not None and run.verdicts.get("SUCCEEDED", 0) != run.servers:
            notes.append(f"{args.mgn_servers}-server wave ({label}): verdicts {dict(run.verdicts)}.")

    progress(f"4/7 wave sizes {args.sizes}: parent history, child transitions, SendCommand, wall time, memory")
    sized: dict[int, WaveRun | None] = {}
    for size in args.sizes:
        sized[size] = wave(size, notes, script_workers=SCRIPT_WORKERS, timeout_seconds=900)
        if sized[size] is not None:
            progress(f"    {size} servers: {sized[size].wall_seconds:.0f} s, {sized[size].status}")  # type: ignore[union-attr]
    done = {n: r for n, r in sized.items() if r is not None}
    parents = [r.parent_events for r in done.values()]
    flat = len(done) == len(sized) and len(set(parents)) == 1 and max(parents) < HISTORY_LIMIT / 10
    rows.append(
        (
            "parent execution history events, waves of " + " / ".join(str(n) for n in sized),
            " / ".join(str(r.parent_events) if r else "did not finish" for r in sized.values()),
            f"limit {HISTORY_LIMIT:,}",
            f"flat and far under: {ok(flat)}",
        )
    )
    rows.append(
        (
            "child transitions (per-server states / N), same waves",
            " / ".join(f"{r.per_server_transitions:.2f}" if r else "did not finish" for r in sized.values()),
            "",
            "",
        )
    )
    largest_n = max(sized)
    largest = sized[largest_n]
    rows.append(
        (
            f"wall time / CPU time / peak RSS, emulated {largest_n}-server wave ({SCRIPT_WORKERS} script workers)",
            f"{largest.wall_seconds:.0f} s / {largest.cpu_seconds:.0f} s / {largest.peak_rss_mib:.0f} MiB"
            if largest
            else "did not finish in 900 s",
            "",
            # Wall time on an idle machine; the CPU time stays a fair figure on a busy one.
            f"≤ 120 s wall on 2 cores: {ok(largest is not None and largest.wall_seconds <= WAVE_WALL_GOAL_SECONDS)}",
        )
    )
    rows.append(payloads.row(sized))
    record(payloads.figures(sized))
    if largest is not None:
        record(
            {
                f"wave_{largest_n}_wall_seconds": round(largest.wall_seconds, 1),
                f"wave_{largest_n}_cpu_seconds": round(largest.cpu_seconds, 1),
            }
        )
    progress("6/7 SendCommand calls")
    rows.append(
        (
            "SendCommand calls for N installs, same waves",
            " / ".join(f"{sum(r.send_commands.values())}" if r else "n/a" for r in sized.values()),
            " / ".join(str(math.ceil(n / 50)) for n in sized) + " (⌈N/50⌉, Linux only)",
            ok(all(sum(r.send_commands.values()) == math.ceil(n / 50) for n, r in done.items())),
        )
    )

    progress("7/7 handler cold init (fresh interpreter each, median of 3)")
    base, handlers = coldstart.measure()
    for item in handlers:
        ratio_init = item.total_seconds / base.total_seconds
        same = item.same_clients_seconds or base.total_seconds
        ratio_same = item.total_seconds / same
        rows.append(
            (
                f"cold init `{item.module.rsplit('.', 1)[1]}` ({len(item.clients)} clients)",
                f"{item.total_seconds * 1000:.0f} ms (import {item.import_seconds * 1000:.0f} ms)",
                f"{base.total_seconds * 1000:.0f} ms (`import boto3` + 1 client): {ratio_init:.2f}x; "
                f"{same * 1000:.0f} ms (`import boto3` + the same clients): {ratio_same:.2f}x",
                f"≤ 1.5x: {ok(ratio_init <= 1.5)}; same clients: {ok(ratio_same <= 1.5)}",
            )
        )
    if any(item.total_seconds > 1.5 * base.total_seconds for item in handlers):
        notes.append(
            "Cold init is measured in the Lambda runtime's environment (tracing on, as deployed). The goal's "
            "baseline creates one client; a handler that needs several pays for each (ec2's model is the "
            "largest) whatever its own code does, so the second baseline, `import boto3` + the same clients, "
            "shows what this project adds: Powertools, X-Ray's botocore patch and the pydantic models."
        )

    progress(f"launch figures: LaunchWave test launch and approved cutover, waves of {args.sizes}")
    launch_runs = launch_figures(args.sizes, notes)
    progress("install script: CPU per run of the real Linux script in one node sandbox")
    script = install_script.measure()
    install_script.record_figures(script)

    table = ["| measurement | ours | baseline (same run) | goal |", "| --- | --- | --- | --- |"]
    table += [f"| {m} | {o} | {b} | {g} |" for m, o, b, g in rows]
    total = time.perf_counter() - STARTED
    machine = f"`{' '.join(platform.uname())}`, {os.cpu_count()} CPUs, Python {platform.python_version()}"
    text = "\n".join(
        [
            "# Benchmarks",
            "",
            f"Reproduce: `{COMMAND}` (runs `python -m bench` on the emulated AWS; {total:.0f} s here).",
            "",
            f"Machine: {machine}.",
            "",
            *table,
            "",
            *([("## Notes"), "", *[f"- {n}" for n in notes], ""] if notes else []),
            *([launch.section(launch_runs), ""] if launch_runs else []),
            install_script.section(script),
            "",
        ]
    )
    print("\n".join(table))
    for note in notes:
        print("note:", note)
    args.output.write_text(text + "\n", encoding="utf-8")
    progress(f"wrote {args.output}")
    progress(f"wave-level watch: 1 server 24 h (events / lost / 5-minute polling), {args.mgn_servers} servers lost")
    figures = watch.measure(args.mgn_servers)
    record(figures)
    print(watch.write_section(args.output, figures))
    sys.exit(0)


if __name__ == "__main__":
    main()
