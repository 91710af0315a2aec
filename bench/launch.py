"""LaunchWave's figures for waves of N servers: StartTest calls (MGN allows 200 servers across
active jobs: ⌈N/200⌉ is the least there can be), state transitions per server for a test launch,
and the virtual time from the cutover's approval to its last verdict.

`python -m bench.launch [--sizes 10 100 1000]` writes them to bench/results.json and to the
"Launches" section of BENCHMARKS.md; `make bench` runs the same step."""

from __future__ import annotations

import argparse
import json
import math
import time
from dataclasses import dataclass
from pathlib import Path

from bench import results
from bench.results import record
from bench.wave import _TimedInvocations
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.operator import approve_when_asked

ROOT = Path(__file__).resolve().parents[1]
WAVE = "bench-launch"
SECTION_START, SECTION_END = "<!-- launch figures -->", "<!-- /launch figures -->"


@dataclass(frozen=True)
class LaunchRun:
    servers: int
    start_test_calls: int
    test_transitions: int
    approval_to_last_verdict_seconds: float
    passed: int
    wall_seconds: float

    @property
    def transitions_per_server(self) -> float:
        return self.test_transitions / self.servers


def _start(aws: EmulatedAws, stage: str, name: str) -> str:
    arn = aws.client("stepfunctions").start_execution(
        stateMachineArn=aws.state_machine_arns["LaunchWaveStateMachine"],
        name=name,
        input=json.dumps({"waveId": WAVE, "stage": stage}),
    )["executionArn"]
    return str(arn)


def measure(servers: int) -> LaunchRun:
    """N replicated servers (registered straight into the emulated MGN, replicated on the clock),
    a test launch, then an approved cutover."""
    started = time.perf_counter()
    with EmulatedAws() as aws:
        built = aws.build_scenario("seed-clean")
        # A target VPC of its own, with room for a test and a cutover instance per server
        ec2 = aws.client("ec2")
        vpc = ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
        subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.60.0.0/20")["Subnet"]["SubnetId"]
        group = ec2.create_security_group(GroupName="target", Description="bench", VpcId=vpc)["GroupId"]
        aws.deploy({**built.stack_parameters, "TargetSubnetId": subnet, "TargetSecurityGroupIds": group})
        assert aws.lambdas is not None and aws.stack is not None
        # These servers are not in the scenario's source network: their replication path is taken as clear
        aws.mgn.set_network_oracle(None)
        ids = [
            aws.mgn.register_source_server(hostname=f"srv-{n:04d}.corp.example", tags={"MigrationWave": WAVE})
            for n in range(servers)
        ]
        # The clock driver moves time only for a sleeper: two virtual hours replicate 8 GiB disks
        aws.clock.sleep(2 * 3600)
        if any(aws.mgn.source_server(s)["lifeCycle"]["state"] != "READY_FOR_TEST" for s in ids):
            states = {aws.mgn.source_server(s)["dataReplicationInfo"]["dataReplicationState"] for s in ids}
            raise RuntimeError(f"{servers} servers did not replicate in 2 virtual hours: {states}")
        invocations = _TimedInvocations(aws.clock)
        aws.lambdas.invocations = invocations
        before = sum(aws.state_entries.values())
        calls_before = aws.mgn.calls["StartTest"]
        tested = aws.wait(_start(aws, "test", "bench-test"), timeout_seconds=1200)
        if tested.status != "SUCCEEDED":
            raise RuntimeError(f"test launch {tested.status}: {tested.error} {tested.cause}")
        test_transitions = sum(aws.state_entries.values()) - before
        start_test_calls = aws.mgn.calls["StartTest"] - calls_before
        sfn = aws.client("stepfunctions")
        with aws.clock.busy():  # the operator approves in real time: the clock waits for them
            arn = _start(aws, "cutover", "bench-cutover")
            if not approve_when_asked(
                aws, WAVE, lambda: sfn.describe_execution(executionArn=arn)["status"] == "RUNNING", "bench"
            ):
                ended = aws.wait(arn)
                raise RuntimeError(f"the cutover ended before its approval: {ended.error} {ended.cause}")
            approved_at = aws.clock.now()
        cut = aws.wait(arn, timeout_seconds=1200)
        if cut.status != "SUCCEEDED":
            raise RuntimeError(f"cutover {cut.status}: {cut.error} {cut.cause}")
        conclude = aws.stack.functions["ConcludeLaunchFunction"].function_name
        last = max(t for i, t in zip(invocations, invocations.times, strict=True) if i.function_name == conclude)
        passed = int(cut.output["summary"]["totals"]["PASSED"])
    return LaunchRun(
        servers=servers,
        start_test_calls=start_test_calls,
        test_transitions=test_transitions,
        approval_to_last_verdict_seconds=(last - approved_at).total_seconds(),
        passed=passed,
        wall_seconds=time.perf_counter() - started,
    )


def section(runs: list[LaunchRun]) -> str:
    sizes = " / ".join(str(r.servers) for r in runs)
    rows = [
        "| measurement | ours | baseline (same run) | goal |",
        "| --- | --- | --- | --- |",
        f"| StartTest calls, test launch of {sizes} servers | {' / '.join(str(r.start_test_calls) for r in runs)} | "
        f"{' / '.join(str(r.servers) for r in runs)} (one call per server) | "
        f"⌈N/200⌉ = {' / '.join(str(math.ceil(r.servers / 200)) for r in runs)}: "
        f"{'met' if all(r.start_test_calls == math.ceil(r.servers / 200) for r in runs) else '**not met**'} |",
        f"| LaunchWave state transitions per server, test launch | "
        f"{' / '.join(f'{r.transitions_per_server:.2f}' for r in runs)} | "
        f"{' / '.join(str(r.test_transitions) for r in runs)} in all | |",
        f"| approval → last cutover verdict, virtual time | "
        f"{' / '.join(f'{r.approval_to_last_verdict_seconds / 60:.0f} min' for r in runs)} | "
        f"job quota: {' / '.join(str(math.ceil(r.servers / 200)) for r in runs)} job(s) one after another | |",
        f"| servers finalized / wall time | {' / '.join(f'{r.passed} / {r.wall_seconds:.0f} s' for r in runs)} | | |",
    ]
    return "\n".join(
        [
            SECTION_START,
            "## Launches (LaunchWave)",
            "",
            f"Reproduce: `.venv/bin/python -m bench.launch` (also a step of `make bench`). Waves of {sizes} "
            "servers registered straight into the emulated MGN and replicated on the virtual clock; a test "
            "launch, then a cutover approved as soon as it asks. A launch job takes 15 virtual minutes "
            "(`LaunchTiming`), instances get `InstanceCheckSeconds` to pass their checks.",
            "",
            *rows,
            SECTION_END,
        ]
    )


def write_section(text: str, path: Path = ROOT / "BENCHMARKS.md") -> None:
    results.write_section(text, SECTION_START, SECTION_END, path)


def record_runs(runs: list[LaunchRun]) -> None:
    record(
        {
            f"launch_{r.servers}": {
                "start_test_calls": r.start_test_calls,
                "start_test_calls_goal": math.ceil(r.servers / 200),
                "transitions_per_server_test": round(r.transitions_per_server, 3),
                "approval_to_last_verdict_virtual_seconds": r.approval_to_last_verdict_seconds,
                "finalized": r.passed,
            }
            for r in runs
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 100, 1000])
    args = parser.parse_args()
    runs = []
    for size in args.sizes:
        run = measure(size)
        print(f"{size} servers: {run}", flush=True)
        runs.append(run)
        # After each size, so a larger wave that does not finish leaves the smaller ones' figures
        record_runs(runs)
        write_section(section(runs))
    print(section(runs))


if __name__ == "__main__":
    main()
