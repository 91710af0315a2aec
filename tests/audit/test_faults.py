"""Faults from one place, the router's FaultPlan: a seeded fraction of each service's calls answered
with that service's own throttling error or a 5xx, or answered late, before any emulator or moto
sees them; and a function killed right after a call of it succeeded (a crashed Lambda). The SDK's
standard retries (clients.CLIENT_CONFIG, max_attempts 5), the state machine's Retry and the
install's own recovery of its sends must absorb them.

SSM delivery failures per node (Undeliverable, TimedOut) are the fleet's knobs and are covered in
tests/e2e/test_wave_install.py (test_install_undeliverable_node_fails_with_a_hint_and_the_wave_goes_on)
and tests/integration/fleet; they are not repeated here."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from pathlib import Path
from typing import Any

import figures
import pytest

from mgn_wave_emu.harness import EmulatedAws, ExecutionResult
from mgn_wave_emu.hooks import FaultPlan, throttling_error

FAULTED = ("mgn", "ec2", "ssm", "sts", "dynamodb")
ASL = Path(__file__).resolve().parents[2] / "statemachine" / "migrate_wave.asl.json"
Verdicts = dict[str, tuple[str, str | None]]


@dataclass(frozen=True)
class Wave:
    """What one seed-clean wave left behind."""

    status: str
    verdicts: Verdicts  # server → (status, stage)
    calls: int  # AWS calls of the functions and the state machine
    sends: int  # SendCommand calls that reached SSM
    installs: dict[str, int]  # server → install commands it received (its invocations, all commands)
    script_runs: dict[str, int]  # server → runs of the install script on it (Linux; Windows cannot run here)


def _verdicts(aws: EmulatedAws, result: ExecutionResult) -> Verdicts:
    return {name: (r["status"], r.get("stage")) for name, r in aws.server_results(result.output).items()}


def _names(aws: EmulatedAws) -> list[str]:
    assert aws.fleet is not None
    return [node.name for node in aws.fleet.nodes.values()]


def _script_runs(aws: EmulatedAws) -> dict[str, int]:
    assert aws.fleet is not None
    return {name: len(aws.fleet.sandbox(name).run_history) for name in _names(aws)}


def _installs(aws: EmulatedAws) -> dict[str, int]:
    assert aws.fleet is not None
    installs = dict.fromkeys(_names(aws), 0)
    for command in aws.fleet.ssm.commands():
        for invocation in command.invocations:
            installs[invocation.node.name] += 1
    return installs


def _wave_on(aws: EmulatedAws, plan: FaultPlan | None) -> Wave:
    aws.deploy_scenario("seed-clean")
    aws.inject_faults(plan)
    result = aws.run({"wave": "wave-01"})
    aws.inject_faults(None)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    return Wave(
        status=result.status,
        verdicts=_verdicts(aws, result),
        calls=len([c for c in aws.calls.calls if c.principal != "driver"]),
        sends=sum(1 for c in aws.calls.of("ssm", "SendCommand") if c.faulted is None),
        installs=_installs(aws),
        script_runs=_script_runs(aws),
    )


def _wave(plan: FaultPlan | None) -> Wave:
    """A seed-clean wave on a fresh emulated AWS."""
    with EmulatedAws() as aws:
        return _wave_on(aws, plan)


@cache
def _fault_free() -> Wave:
    return _wave(None)


def _retried(state: str, error: str) -> bool:
    """Whether the state machine's Retry on `state` matches `error` (and not only its Catch)."""
    retriers: list[dict[str, Any]] = json.loads(ASL.read_text())["States"][state].get("Retry", [])
    return any({error, "States.ALL", "States.TaskFailed"} & set(r["ErrorEquals"]) for r in retriers)


def test_faults_throttling_errors_are_each_services_own() -> None:
    assert throttling_error("ec2") == ("RequestLimitExceeded", 503)
    assert throttling_error("mgn") == ("ThrottlingException", 429)
    assert throttling_error("dynamodb") == ("ThrottlingException", 400)
    assert throttling_error("sts") == ("Throttling", 400)
    assert throttling_error("s3") == ("SlowDown", 503)


def test_faults_seed_clean_wave_under_30_percent_throttling_gives_the_fault_free_verdicts() -> None:
    # Given: the fault-free verdicts
    expected = _fault_free().verdicts
    # When: 30 % of every mgn, ec2, ssm, sts and dynamodb call of the functions and the state machine throttles
    plan = FaultPlan(throttle=dict.fromkeys(FAULTED, 0.3), seed=7)
    wave = _wave(plan)
    # Then: the same verdict for every server, and the faults really were answered
    assert wave.verdicts == expected
    # (sts makes one AssumeRole a wave: whether it is drawn depends on the seed; mgn/ec2/ssm/dynamodb always are)
    assert {call.service_id for call in plan.injected} >= {"mgn", "ec2", "ssm", "dynamodb"}
    figures.record(
        f"\nfaults: {len(plan.injected)} throttled of {wave.calls} calls; verdicts {sorted(wave.verdicts.items())}"
    )


def test_faults_5xx_on_mgn_ec2_and_ssm_are_retried_to_the_same_verdicts() -> None:
    expected = _fault_free().verdicts
    plan = FaultPlan(server_errors=dict.fromkeys(("mgn", "ec2", "ssm"), 0.2), seed=11)
    assert _wave(plan).verdicts == expected
    assert plan.injected


def test_faults_slow_mgn_and_ssm_responses_give_the_fault_free_verdicts() -> None:
    # Given
    expected = _fault_free().verdicts
    # When: 30 % of the mgn and ssm calls answer 20-50 ms late (real time: the threads interleave differently)
    plan = FaultPlan(slow={"mgn": 0.3, "ssm": 0.3}, slow_seconds=(0.02, 0.05), seed=5)
    started = time.monotonic()
    wave = _wave(plan)
    elapsed = time.monotonic() - started
    # Then: the same verdicts, and the delays really happened, on both services
    assert wave.verdicts == expected
    assert {call.service_id for call in plan.delayed} == {"mgn", "ssm"}
    figures.record(f"\nfaults: {len(plan.delayed)} slow of {wave.calls} calls; wave {elapsed:.1f} s; verdicts equal")


@pytest.mark.xfail(
    not (
        _retried("InstallAgents", "Runtime.ExitError")
        and _retried("InstallAgents", "IdempotencyAlreadyInProgressError")
    ),
    reason="statemachine: InstallAgents must retry a crashed function (Runtime.ExitError, Lambda.Unknown) and "
    "IdempotencyAlreadyInProgressError until the crashed attempt's in-progress record expires (the function timeout)",
    strict=True,
)
def test_faults_install_agents_crash_right_after_send_command_never_sends_twice() -> None:
    # Given: the fault-free wave
    expected = _fault_free()
    # When: InstallAgents dies right after its first SendCommand succeeded (the command is on its way)
    plan = FaultPlan(crash_after={"ssm:SendCommand": 1})
    with EmulatedAws() as aws:
        wave = _wave_on(aws, plan)
        assert aws.lambdas is not None and aws.stack is not None
        attempts = aws.lambdas.of("InstallAgentsFunction")
        timeout = timedelta(seconds=aws.stack.functions["InstallAgentsFunction"].timeout_seconds)
    # Then: it did crash once, and a retry took over
    assert [(c.principal, c.action) for c in plan.crashed] == [("InstallAgentsFunction", "ssm:SendCommand")]
    assert attempts[0].error_type == "Runtime.ExitError"
    assert attempts[-1].error_type is None
    # The crashed attempt's idempotency record stayed INPROGRESS (no except clause ran), so Powertools
    # refused every retry until the function's timeout had passed since the crash, as on AWS
    refused = attempts[1:-1]
    assert all(a.error_type == "IdempotencyAlreadyInProgressError" for a in refused)
    assert attempts[0].started is not None and attempts[-1].started is not None
    assert attempts[-1].started - attempts[0].started >= timeout
    # The retry found the command the crashed attempt sent: one SendCommand per batch in the whole
    # wave, each node got one install command and ran the script once, and the verdicts are the same
    assert wave.sends == expected.sends
    assert wave.installs == expected.installs
    assert wave.script_runs == expected.script_runs
    assert wave.verdicts == expected.verdicts
    figures.record(
        f"\nfaults: crash after SendCommand: {len(plan.crashed)} crash, {wave.sends} SendCommand calls, "
        f"{max(wave.script_runs.values())} script runs per node "
        f"({len(refused)} retries refused as in progress; verdicts equal)"
    )


def test_faults_rerun_after_a_crashed_wave_skips_the_registered_and_installs_the_rest() -> None:
    # Given: a wave whose InstallAgents dies after every successful SendCommand: the execution fails
    # after the first batch (Linux: app-1, api-1) went out, or later if the state machine retries
    expected = _fault_free().verdicts
    with EmulatedAws() as aws:
        aws.deploy_scenario("seed-clean")
        assert aws.fleet is not None
        aws.inject_faults(FaultPlan(crash_after={"ssm:SendCommand": 100}))
        crashed = aws.run({"wave": "wave-01"}, name="crashed")
        aws.inject_faults(None)
        first_commands = len(aws.fleet.ssm.commands())
        # When: the wave is started again
        rerun = aws.run({"wave": "wave-01"}, name="rerun")
        servers = aws.server_results(rerun.output)
        installs = _installs(aws)
        rerun_targets = {
            aws.fleet.node(instance_id).name
            for command in aws.fleet.ssm.commands()
            if command.request.get("Comment", "").startswith("mgn-wave install rerun ")
            for instance_id in command.instance_ids
        }
        script_runs = _script_runs(aws)
    # Then: the first execution died, after its commands went out
    assert crashed.status == "FAILED"
    assert crashed.error in {"Runtime.ExitError", "IdempotencyAlreadyInProgressError"}
    assert first_commands >= 1
    # the re-run reports every server of the wave: nothing lost
    assert rerun.status == "SUCCEEDED", (rerun.error, rerun.cause)
    assert set(servers) == set(expected)
    # the servers the crashed run registered (and web-1, registered before) are skipped, with the reason
    skipped = {name for name, s in servers.items() if s["status"] == "SKIPPED"}
    assert skipped == {"web-1", "app-1", "api-1"}
    assert all("already registered with MGN" in servers[name]["reason"] for name in skipped)
    # and never installed twice; the one not done (db-1: its install never succeeded) is installed by the re-run
    assert installs["app-1"] == installs["api-1"] == 1
    assert script_runs["app-1"] == script_runs["api-1"] == 1
    assert rerun_targets == {"db-1"}
    assert (servers["db-1"]["status"], servers["db-1"].get("stage")) == expected["db-1"]
    figures.record(
        f"\nfaults: re-run after a crash ({crashed.error}): {len(skipped)} skipped, "
        f"{sorted(rerun_targets)} installed, {len(servers)} of {len(expected)} servers in the report"
    )
