"""Run one wave on the emulated AWS and keep what the measurements read from it."""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

from bench.baseline import POLL_SECONDS, polling_definition
from bench.scenarios import SMALL_DISK_GIB, WAVE, fleet_scenario
from mgn_wave_emu.harness import ACCOUNT_ID, EmulatedAws

if TYPE_CHECKING:
    from datetime import datetime

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.scenario import Scenario

READY_EVENT = "MGN Source Server Lifecycle State Change"
# The functions whose invocation can decide a server's verdict.
DECIDERS = (
    "ReplicationWatchFunction",
    "ReplicationEventFunction",
    "ReplicationReadyFunction",
    "PollReplicationFunction",
)


class _TimedInvocations(list[Any]):
    """Stands in for `LambdaRouter.invocations`: remembers the virtual time of every append (the
    router appends when an invocation ends, under its lock)."""

    def __init__(self, clock: VirtualClock) -> None:
        super().__init__()
        self.clock = clock
        self.times: list[datetime] = []

    def append(self, item: Any) -> None:
        self.times.append(self.clock.now())
        super().append(item)


@dataclass
class WaveRun:
    servers: int
    status: str
    wall_seconds: float
    simulated_hours: float
    state_entries: Counter[str]
    per_server_state_names: frozenset[str]
    parent_events: int
    mgn_calls: Counter[str]
    send_commands: Counter[str]  # platform -> SendCommand calls
    verdicts: Counter[str]
    ready_to_verdict_seconds: list[float] = field(default_factory=list)
    lambda_invocations: Counter[str] = field(default_factory=Counter)
    peak_rss_mib: float = 0.0
    # The longest virtual time between two PollReplication calls (the baseline's loop must show
    # 300 s; more means the clock driver jumped past a Wait, see BENCHMARKS.md).
    longest_poll_gap_seconds: float = 0.0
    # Polls a 5-minute loop would have made in the gaps longer than one interval.
    skipped_polls: int = 0
    # The largest state input, output, task result or Map result the strict emulator checked.
    largest_state_payload_bytes: int = 0
    dynamodb_requests: int = 0  # by the functions and the state machine (not the harness)
    # CPU seconds (user + system) of this process and the scripts it ran, from start to verdict:
    # unlike wall time, it hardly depends on what else the machine runs.
    cpu_seconds: float = 0.0

    @property
    def per_server_transitions(self) -> float:
        """States entered in the per-server (child) executions, per server."""
        total = sum(n for state, n in self.state_entries.items() if state in self.per_server_state_names)
        return total / self.servers

    @property
    def mgn_calls_per_server(self) -> float:
        return sum(self.mgn_calls.values()) / self.servers


def run_wave(
    scenario: Scenario,
    *,
    lose_events: bool = False,
    baseline: bool = False,
    script_workers: int = 1,
    timeout_seconds: float = 600,
) -> WaveRun:
    """Deploy `scenario`, run MigrateWave on wave-01 (or the 5-minute polling baseline) to its end."""
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    with EmulatedAws() as aws:
        aws.deploy_scenario(scenario)
        stack = aws.stack
        assert stack is not None and aws.lambdas is not None and aws.fleet is not None
        definition = stack.state_machine_definition
        if baseline:
            definition = polling_definition(definition)
            created = aws.client("stepfunctions").create_state_machine(
                name=f"{stack.state_machine_name}-Poll5Min",
                definition=definition,
                roleArn=f"arn:aws:iam::{ACCOUNT_ID}:role/{stack.stack_name}-StateMachineRole",
            )
            aws.state_machine_arn = created["stateMachineArn"]
        if lose_events:
            aws.mgn.event_faults(lose=1.0)
        aws.fleet.script_workers = script_workers
        invocations = _TimedInvocations(aws.clock)
        aws.lambdas.invocations = invocations
        result = aws.wait(aws.start({"wave": WAVE}, "bench-1"), timeout_seconds=timeout_seconds)
        wall = time.perf_counter() - started
        cpu = _cpu_seconds() - cpu_started
        verdicts: Counter[str] = Counter()
        if result.output:
            verdicts.update(s["status"] for s in aws.wave_report(result.output)["summary"]["servers"])
        node_platform = {node.node_id: node.platform for node in aws.fleet.nodes.values()}
        send_commands: Counter[str] = Counter()
        for command in aws.fleet.ssm.commands():
            platforms = {node_platform.get(i, "?") for i in command.instance_ids}
            send_commands[",".join(sorted(platforms))] += 1
        names = {stack.functions[logical].function_name: logical for logical in stack.functions}
        gaps = _gaps(invocations, names, "PollReplicationFunction")
        return WaveRun(
            servers=len(scenario.fleet),
            status=result.status,
            wall_seconds=wall,
            simulated_hours=aws.clock.elapsed.total_seconds() / 3600,
            state_entries=Counter(aws.state_entries),
            per_server_state_names=_child_states(definition),
            parent_events=len(result.events),
            mgn_calls=Counter(aws.mgn.calls),
            send_commands=send_commands,
            verdicts=verdicts,
            ready_to_verdict_seconds=_ready_to_verdict(aws, invocations, names),
            lambda_invocations=Counter(names.get(i.function_name, i.function_name) for i in invocations),
            peak_rss_mib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            longest_poll_gap_seconds=max(gaps, default=0.0),
            skipped_polls=sum(max(0, round(g / POLL_SECONDS) - 1) for g in gaps) if baseline else 0,
            largest_state_payload_bytes=aws.limits.payloads.largest,
            dynamodb_requests=sum(1 for c in aws.calls.calls if c.service_id == "dynamodb" and c.principal != "driver"),
            cpu_seconds=cpu,
        )


def _cpu_seconds() -> float:
    """User + system CPU of this process and its ended children (the install scripts)."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _gaps(invocations: _TimedInvocations, names: dict[str, str], logical: str) -> list[float]:
    moments = [t for i, t in zip(invocations, invocations.times, strict=True) if names.get(i.function_name) == logical]
    return [(b - a).total_seconds() for a, b in itertools.pairwise(moments)]


def _child_states(definition: str) -> frozenset[str]:
    parsed = json.loads(definition)
    return frozenset(parsed["States"]["ForEachServer"]["ItemProcessor"]["States"])


def _ready_to_verdict(aws: EmulatedAws, invocations: _TimedInvocations, names: dict[str, str]) -> list[float]:
    """Per server that reached READY_FOR_TEST: virtual seconds from that moment (when MGN sent the
    event, to the microsecond, recorded before any event is lost) to the first later invocation
    that decided its verdict."""
    ready: dict[str, datetime] = {}
    replication = aws.mgn.replication
    for event, sent in zip(replication.emitted, replication.emitted_at, strict=True):
        if event["detail-type"] == READY_EVENT and event["detail"].get("state") == "READY_FOR_TEST":
            server_id = event["resources"][0].rsplit("/", 1)[1]
            ready.setdefault(server_id, sent)
    decided: dict[str, datetime] = {}
    for invocation, at in zip(invocations, invocations.times, strict=True):
        logical = names.get(invocation.function_name)
        if logical not in DECIDERS or invocation.error_type is not None:
            continue
        for server_id in _decided_servers(logical, invocation.event, invocation.result):
            since = ready.get(server_id)
            if since is not None and at >= since and server_id not in decided:
                decided[server_id] = at
    return sorted((decided[s] - ready[s]).total_seconds() for s in decided)


def _decided_servers(logical: str, event: Any, result: Any) -> list[str]:
    if not isinstance(result, dict) or not isinstance(event, dict):
        return []
    if logical in ("ReplicationEventFunction", "ReplicationReadyFunction", "ReplicationWatchFunction"):
        return [s for s in result.get("decidedServers", []) if isinstance(s, str)]
    if result.get("outcome") in (None, "WAITING"):
        return []
    server_id = event.get("sourceServerId")
    return [server_id] if isinstance(server_id, str) else []


def run_in_subprocess(
    servers: int,
    *,
    disk_gib: int = SMALL_DISK_GIB,
    lose_events: bool = False,
    baseline: bool = False,
    script_workers: int = 1,
    timeout_seconds: float = 600,
) -> WaveRun:
    """`run_wave` on a fleet scenario in a fresh interpreter: its peak memory is its own."""
    import subprocess  # noqa: PLC0415
    import sys  # noqa: PLC0415

    argv = [sys.executable, "-m", "bench.wave", str(servers), "--disk-gib", str(disk_gib)]
    argv += ["--script-workers", str(script_workers), "--timeout", str(timeout_seconds)]
    argv += ["--lose-events"] * lose_events + ["--baseline"] * baseline
    completed = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=timeout_seconds + 120)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[1:])} failed:\n{completed.stderr[-3000:]}")
    return from_json(completed.stdout.strip().splitlines()[-1])


def to_json(run: WaveRun) -> str:
    data = {f.name: getattr(run, f.name) for f in fields(run)}
    data["per_server_state_names"] = sorted(run.per_server_state_names)
    return json.dumps(data)


def from_json(text: str) -> WaveRun:
    data = json.loads(text)
    for key in ("state_entries", "mgn_calls", "send_commands", "verdicts", "lambda_invocations"):
        data[key] = Counter(data[key])
    data["per_server_state_names"] = frozenset(data["per_server_state_names"])
    return WaveRun(**data)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one emulated wave; print its measurements as JSON.")
    parser.add_argument("servers", type=int)
    parser.add_argument("--disk-gib", type=int, default=SMALL_DISK_GIB)
    parser.add_argument("--lose-events", action="store_true")
    parser.add_argument("--baseline", action="store_true", help="the 5-minute polling variant")
    parser.add_argument("--script-workers", type=int, default=1)
    parser.add_argument("--timeout", type=float, default=600)
    args = parser.parse_args()
    run = run_wave(
        fleet_scenario(args.servers, disk_gib=args.disk_gib),
        lose_events=args.lose_events,
        baseline=args.baseline,
        script_workers=args.script_workers,
        timeout_seconds=args.timeout,
    )
    print(to_json(run))


if __name__ == "__main__":
    main()
