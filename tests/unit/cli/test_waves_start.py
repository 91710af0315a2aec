"""Starting a wave from the command line: the input the flags make, the execution's name, and
what an ended execution tells about itself."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mgn_wave.core.errors import InvalidInputError
from mgn_wave_cli.waves import EXECUTION_ARN_PATTERN, STATE_MACHINE_ARN_PATTERN, Execution, execution_name, wave_input

NOW = datetime(2026, 1, 5, 9, 0, 42, tzinfo=UTC)
EXECUTION_NAME = re.compile(r"^[A-Za-z0-9_-]{1,80}$")
FINDING = {
    "code": "REPLICATION_SG_BLOCKS_1500",
    "severity": "BLOCKER",
    "resource": "sg-0123456789abcdef0",
    "message": "no TCP 1500 from 10.10.0.0/16",
    "fix": "Add an inbound rule: TCP 1500 from 10.10.0.0/16.",
}


def _execution(status: str = "SUCCEEDED", **fields: object) -> Execution:
    values: dict[str, object] = {
        "arn": "arn:aws:states:us-east-1:123456789012:execution:mgn-wave-MigrateWave:wave-01-20260105T0900Z-3f9a",
        "name": "wave-01-20260105T0900Z-3f9a",
        "status": status,
        "started": NOW,
        "stopped": NOW + timedelta(hours=30),
        "input": {"wave": "wave-01"},
        "output": None,
        "error": None,
        "cause": None,
    }
    values.update(fields)
    return Execution(**values)  # type: ignore[arg-type]


def test_wave_input_minimal_flags_make_the_minimal_input() -> None:
    assert wave_input(wave="wave-01", instance_ids=None, dry_run=False, force=False) == {"wave": "wave-01"}


def test_wave_input_every_flag_lands_in_its_camel_case_field() -> None:
    # When
    execution_input = wave_input(wave="wave-01", instance_ids=["i-0123456789abcdef0"], dry_run=True, force=True)
    # Then
    assert execution_input == {"wave": "wave-01", "instanceIds": ["i-0123456789abcdef0"], "dryRun": True, "force": True}


@pytest.mark.parametrize(
    ("wave", "instance_ids", "flag", "problem"),
    [
        ("bad wave", None, "--wave", "pattern"),
        ("", None, "--wave", "pattern"),
        ("wave-01; rm -rf /", None, "--wave", "pattern"),
        ("w" * 81, None, "--wave", "pattern"),
        ("wave-01", ["i-0123456789abcdef0", "i-12"], "--instance-id #2", "pattern"),
        ("wave-01", ["mi-0123456789abcdef0 ; reboot"], "--instance-id #1", "pattern"),
    ],
)
def test_wave_input_bad_flag_value_is_refused_naming_the_flag(
    wave: str, instance_ids: list[str] | None, flag: str, problem: str
) -> None:
    with pytest.raises(InvalidInputError) as raised:
        wave_input(wave=wave, instance_ids=instance_ids, dry_run=False, force=False)
    assert raised.value.field == flag
    assert problem in str(raised.value)
    assert str(raised.value).startswith(f"{flag}: ")


def test_wave_input_over_1000_servers_is_refused_naming_the_flag() -> None:
    ids = [f"i-{n:017x}" for n in range(1001)]
    with pytest.raises(InvalidInputError, match=r"^--instance-id: "):
        wave_input(wave="wave-01", instance_ids=ids, dry_run=False, force=False)


def test_execution_name_reads_as_wave_utc_minute_and_suffix() -> None:
    # Given: a local time east of UTC
    local = NOW.astimezone(timezone(timedelta(hours=9)))
    # When
    name = execution_name("wave-01", now=local, suffix="3f9a")
    # Then
    assert name == "wave-01-20260105T0900Z-3f9a"


def test_execution_name_default_suffix_is_four_hex_digits() -> None:
    name = execution_name("wave-01", now=NOW)
    assert re.fullmatch(r"wave-01-20260105T0900Z-[0-9a-f]{4}", name)


@pytest.mark.parametrize("wave", ["w" * 80, "wave.01.db", "W_1", "a"])
def test_execution_name_any_valid_wave_fits_step_functions_names(wave: str) -> None:
    # When
    name = execution_name(wave, now=NOW, suffix="beef")
    # Then: at most 80 characters of [A-Za-z0-9_-], the time and suffix kept whole
    assert EXECUTION_NAME.fullmatch(name)
    assert name.endswith("-20260105T0900Z-beef")


def test_arn_patterns_tell_state_machines_from_executions() -> None:
    machine = "arn:aws:states:us-east-1:123456789012:stateMachine:mgn-wave-MigrateWave"
    execution = "arn:aws:states:us-east-1:123456789012:execution:mgn-wave-MigrateWave:wave-01-20260105T0900Z-3f9a"
    assert STATE_MACHINE_ARN_PATTERN.match(machine)
    assert not STATE_MACHINE_ARN_PATTERN.match(execution)
    assert EXECUTION_ARN_PATTERN.match(execution)
    assert not EXECUTION_ARN_PATTERN.match(machine)


@pytest.mark.parametrize("key", ["report", "summary"])
def test_execution_report_location_found_under_report_or_summary(key: str) -> None:
    # Given: a Report state's output, or Summarize's that writes the report itself
    location = {
        "bucket": "mgn-wave-wavebucket",
        "jsonKey": "waves/w/x/report.json",
        "markdownKey": "waves/w/x/report.md",
    }
    execution = _execution(output={key: {"wave": "wave-01", "totals": {"total": 0}, **location}})
    # When / Then
    assert execution.report == location


def test_execution_running_has_no_report() -> None:
    assert _execution("RUNNING", stopped=None, output=None).report is None


def test_execution_preflight_blocked_carries_its_findings() -> None:
    # Given
    execution = _execution("FAILED", error="PreflightBlocked", cause=json.dumps([FINDING]))
    # When
    findings = execution.blocking_findings
    # Then
    assert [(f.code, f.resource) for f in findings] == [("REPLICATION_SG_BLOCKS_1500", "sg-0123456789abcdef0")]


def test_execution_other_failure_has_no_findings_but_keeps_its_cause() -> None:
    execution = _execution("FAILED", error="GuardrailViolationError", cause="subnet-1 is outside vpc-1")
    assert execution.blocking_findings == []
    assert execution.as_json("Stopped")["cause"] == "subnet-1 is outside vpc-1"


def test_execution_summary_without_servers_keeps_the_totals() -> None:
    # Given: Summarize's output holds the totals; the servers are in the JSON report
    totals = {"SUCCEEDED": 2, "FAILED": 1, "SKIPPED": 1, "total": 4}
    execution = _execution(output={"summary": {"wave": "wave-01", "totals": totals}})
    # When / Then
    assert execution.summary is None
    assert execution.totals == totals
    assert execution.as_json("WaveDone")["summary"] == {"totals": totals}
