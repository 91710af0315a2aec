"""Faults from one place, the router's FaultPlan: a seeded fraction of each service's calls answered
with that service's own throttling error, before any emulator or moto sees them. The SDK's standard
retries (clients.CLIENT_CONFIG, max_attempts 5) and the state machine's Retry must absorb them.

SSM delivery failures per node (Undeliverable, TimedOut) are the fleet's knobs and are covered in
tests/e2e/test_wave_install.py (test_install_undeliverable_node_fails_with_a_hint_and_the_wave_goes_on)
and tests/integration/fleet; they are not repeated here."""

from __future__ import annotations

from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.hooks import FaultPlan, throttling_error

FAULTED = ("mgn", "ec2", "ssm", "sts", "dynamodb")


def _wave(plan: FaultPlan | None) -> tuple[str, dict[str, tuple[str, str | None]], int]:
    """A seed-clean wave on a fresh emulated AWS: (status, verdict per server, calls made)."""
    with EmulatedAws() as aws:
        aws.deploy_scenario("seed-clean")
        aws.inject_faults(plan)
        result = aws.run({"wave": "wave-01"})
        aws.inject_faults(None)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        verdicts = {name: (r["status"], r.get("stage")) for name, r in aws.server_results(result.output).items()}
        return result.status, verdicts, len(aws.calls.calls)


def test_faults_throttling_errors_are_each_services_own() -> None:
    assert throttling_error("ec2") == ("RequestLimitExceeded", 503)
    assert throttling_error("mgn") == ("ThrottlingException", 429)
    assert throttling_error("dynamodb") == ("ThrottlingException", 400)
    assert throttling_error("sts") == ("Throttling", 400)
    assert throttling_error("s3") == ("SlowDown", 503)


def test_faults_seed_clean_wave_under_30_percent_throttling_gives_the_fault_free_verdicts() -> None:
    # Given: the fault-free verdicts
    _status, expected, _calls = _wave(None)
    # When: 30 % of every mgn, ec2, ssm, sts and dynamodb call of the functions and the state machine throttles
    plan = FaultPlan(throttle=dict.fromkeys(FAULTED, 0.3), seed=7)
    _status, verdicts, calls = _wave(plan)
    # Then: the same verdict for every server, and the faults really were answered
    assert verdicts == expected
    # (sts makes one AssumeRole a wave: whether it is drawn depends on the seed; mgn/ec2/ssm/dynamodb always are)
    assert {call.service_id for call in plan.injected} >= {"mgn", "ec2", "ssm", "dynamodb"}
    print(f"\nfaults: {len(plan.injected)} throttled of {calls} calls; verdicts {sorted(verdicts.items())}")


def test_faults_5xx_on_mgn_ec2_and_ssm_are_retried_to_the_same_verdicts() -> None:
    _status, expected, _calls = _wave(None)
    plan = FaultPlan(server_errors=dict.fromkeys(("mgn", "ec2", "ssm"), 0.2), seed=11)
    _status, verdicts, _calls = _wave(plan)
    assert verdicts == expected
    assert plan.injected
