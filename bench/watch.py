"""Issue 16's figures: the wave-level watch against the 5-minute polling loop, from one run.

- `verdict_latency_events_lost_max_s` (and with events flowing): READY_FOR_TEST → verdict, one
  server, a 24-hour initial sync;
- `mgn_calls_per_server`, `transitions_per_server` (parent share included): a 500-server wave,
  24-hour sync, every event lost;
- `cost_per_server_usd`: transitions at the Standard price, Lambda requests and GB-seconds at the
  arm64 price, DynamoDB on-demand requests (prices and sources: docs/aws-facts.md).

Run alone: .venv/bin/python -m bench.watch [--servers 500]"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.results import record
from bench.scenarios import DAY_OF_SYNC_GIB, fleet_scenario
from bench.wave import WaveRun, run_in_subprocess, run_wave

# Prices, us-east-1 (docs/aws-facts.md, "Prices for the cost figure").
TRANSITION_USD = 0.025 / 1000  # Standard workflows, per state transition
LAMBDA_REQUEST_USD = 0.20 / 1_000_000
LAMBDA_ARM64_GB_SECOND_USD = 0.0000133334
DYNAMODB_REQUEST_USD = 0.625 / 1_000_000  # a write request unit (reads cost less: an upper bound)
# The emulator does not measure billed duration: each invocation is charged this long at 512 MB.
ASSUMED_BILLED_SECONDS = 0.2
MEMORY_GB = 0.5


def cost_per_server(run: WaveRun) -> float:
    transitions = sum(run.state_entries.values())
    invocations = sum(run.lambda_invocations.values())
    usd = (
        transitions * TRANSITION_USD
        + invocations * (LAMBDA_REQUEST_USD + ASSUMED_BILLED_SECONDS * MEMORY_GB * LAMBDA_ARM64_GB_SECOND_USD)
        + run.dynamodb_requests * DYNAMODB_REQUEST_USD
    )
    return usd / run.servers


def transitions_per_server(run: WaveRun) -> float:
    return sum(run.state_entries.values()) / run.servers


def measure(servers: int) -> dict[str, object]:
    one = fleet_scenario(1, disk_gib=DAY_OF_SYNC_GIB)
    events, lost, poll = (
        run_wave(one),
        run_wave(one, lose_events=True),
        run_wave(one, baseline=True),
    )
    # Recorded at once: the large wave below takes long, and these figures stand on their own.
    record(
        {
            "verdict_latency_events_lost_max_s": max(lost.ready_to_verdict_seconds, default=None),
            "verdict_latency_events_flowing_max_s": max(events.ready_to_verdict_seconds, default=None),
        }
    )
    print(
        f"1 server: lost {lost.ready_to_verdict_seconds}, flowing {events.ready_to_verdict_seconds}, "
        f"polling {poll.ready_to_verdict_seconds}; transitions {transitions_per_server(events):.1f} / "
        f"{transitions_per_server(lost):.1f} / {transitions_per_server(poll):.1f}; mgn calls "
        f"{events.mgn_calls_per_server:.1f} / {lost.mgn_calls_per_server:.1f} / {poll.mgn_calls_per_server:.1f}; "
        f"cost {cost_per_server(events):.6f} / {cost_per_server(lost):.6f} / {cost_per_server(poll):.6f}",
        flush=True,
    )
    big = run_in_subprocess(servers, disk_gib=DAY_OF_SYNC_GIB, lose_events=True, timeout_seconds=2400)
    figures: dict[str, object] = {
        "verdict_latency_events_lost_max_s": max(lost.ready_to_verdict_seconds, default=None),
        "verdict_latency_events_flowing_max_s": max(events.ready_to_verdict_seconds, default=None),
        "mgn_calls_per_server": round(big.mgn_calls_per_server, 2),
        "transitions_per_server": round(transitions_per_server(big), 2),
        "cost_per_server_usd": round(cost_per_server(big), 6),
        "baseline_poll_5min": {
            "verdict_latency_max_s": max(poll.ready_to_verdict_seconds, default=None),
            "mgn_calls_per_server": round(poll.mgn_calls_per_server, 2),
            "transitions_per_server": round(transitions_per_server(poll), 2),
            "cost_per_server_usd": round(cost_per_server(poll), 6),
            "servers": poll.servers,
        },
        "wave_servers": big.servers,
        "wave_verdicts": dict(big.verdicts),
    }
    return figures


def table(figures: dict[str, object]) -> str:
    base = figures["baseline_poll_5min"]
    assert isinstance(base, dict)
    n = figures["wave_servers"]
    rows = [
        (
            "verdict latency, every event lost, max (1 server, 24 h)",
            f"{figures['verdict_latency_events_lost_max_s']} s",
            f"{base['verdict_latency_max_s']} s",
            "≤ 300 s",
        ),
        ("verdict latency, events flowing, max", f"{figures['verdict_latency_events_flowing_max_s']} s", "", "≤ 1 s"),
        (
            f"MGN calls per server ({n} servers, 24 h, events lost)",
            str(figures["mgn_calls_per_server"]),
            f"{base['mgn_calls_per_server']} (1 server)",
            "≤ 2",
        ),
        (
            f"transitions per server, parent share included ({n} servers)",
            str(figures["transitions_per_server"]),
            f"{base['transitions_per_server']} (1 server)",
            "≤ 8",
        ),
        (
            f"cost per server, USD ({n} servers)",
            str(figures["cost_per_server_usd"]),
            f"{base['cost_per_server_usd']} (1 server)",
            "",
        ),
    ]
    lines = [
        "| measurement (wave-level watch) | ours | 5-minute polling (same run) | goal |",
        "| --- | --- | --- | --- |",
    ]
    lines += [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=500)
    parser.add_argument("--benchmarks", type=Path, default=Path(__file__).resolve().parents[1] / "BENCHMARKS.md")
    args = parser.parse_args()
    figures = measure(args.servers)
    record(figures)
    print(write_section(args.benchmarks, figures))


def write_section(benchmarks: Path, figures: dict[str, object]) -> str:
    """This step's table as its own section of BENCHMARKS.md (replacing an older one)."""
    text = table(figures)
    marker = "## The wave-level watch (`python -m bench.watch`)"
    body = benchmarks.read_text(encoding="utf-8") if benchmarks.exists() else "# Benchmarks\n"
    before, _, after = body.partition(marker)
    # Whatever follows this section (the next heading or marker comment) stays as it is.
    rest = re.search(r"^(## |<!-- )", after, flags=re.MULTILINE)
    following = after[rest.start() :] if rest else ""
    body = (
        before.rstrip()
        + "\n\n"
        + marker
        + "\n\n"
        + text
        + (
            "\n\nLambda duration is not measured by the emulator: each invocation is charged "
            f"{ASSUMED_BILLED_SECONDS * 1000:.0f} ms at 512 MB. DynamoDB requests are charged as write request units "
            "(reads cost less). The polling baseline runs one server. With events flowing, READY_FOR_TEST reaches "
            "ReplicationReady by asynchronous invocation after the emulator's 0.5 s delivery latency (AWS publishes "
            'none; README, "Verify on a real account") and decides with no MGN call.\n'
        )
        + ("\n" + following if following else "")
    )
    benchmarks.write_text(body, encoding="utf-8")
    return text


if __name__ == "__main__":
    main()
