"""MigrateWave run end to end in the local engine: ValidateInput → Preflight → EnforceTemplate."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mgn_wave_emu.scenario import MgnSpec, load_scenario

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.scenario import BuiltScenario


def _task_failures(events: list[dict]) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


def test_migrate_wave_clean_network_passes_preflight(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    assert result.status == "SUCCEEDED"
    assert result.states_entered == [
        "ValidateInput",
        "Preflight",
        "PathClear?",
        "EnforceTemplate",
        "WaveReady",
    ]
    assert result.output["preflight"]["ok"] is True
    assert result.output["preflight"]["blockers"] == 0
    assert result.output["input"] == {"wave": "wave-01", "instanceIds": None, "dryRun": False, "force": False}


def test_migrate_wave_output_carries_the_drift_report_and_a_rerun_finds_none(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: seed-clean's MGN holds the console-default template and two servers registered from it
    deployed("seed-clean")
    # When
    first = aws.run({"wave": "wave-01"}, name="first")
    second = aws.run({"wave": "wave-01"}, name="second")
    # Then: the first run fixed the template and both servers, field by field
    settings = first.output["replicationSettings"]
    private_fields = {"associateDefaultSecurityGroup", "createPublicIP", "dataPlaneRouting"}
    assert settings["template"]["action"] == "UPDATED"
    assert {c["field"] for c in settings["template"]["changes"]} == private_fields
    assert [s["action"] for s in settings["servers"]] == ["UPDATED", "UPDATED"]
    for server in aws.mgn.source_server_ids():
        assert aws.mgn.replication_configuration(server)["dataPlaneRouting"] == "PRIVATE_IP"
    # and the second found nothing to change
    again = second.output["replicationSettings"]
    assert again["template"] == {
        "resourceId": settings["template"]["resourceId"],
        "action": "UNCHANGED",
        "changes": [],
        "error": None,
    }
    assert [s["action"] for s in again["servers"]] == ["UNCHANGED", "UNCHANGED"]


def test_migrate_wave_dry_run_reports_without_writing(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    result = aws.run({"wave": "wave-01", "dryRun": True})
    assert result.status == "SUCCEEDED"
    assert result.output["replicationSettings"]["template"]["action"] == "WOULD_UPDATE"
    assert aws.mgn.calls["UpdateReplicationConfigurationTemplate"] == 0
    assert aws.mgn.calls["UpdateReplicationConfiguration"] == 0


def test_migrate_wave_mgn_not_initialised_stops_with_how_to_initialise(aws: EmulatedAws) -> None:
    # Given: a clean network, but MGN never set up in the Region
    aws.deploy_scenario(load_scenario("seed-clean").model_copy(update={"mgn": MgnSpec(initialized=False)}))
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: the path was proven, then the wave stopped with the reason and the way out
    assert result.status == "FAILED"
    assert result.error == "MgnNotInitializedError"
    assert "InitializeService" in (result.cause or "")
    assert result.states_entered[-3:] == ["EnforceTemplate", "ExplainStop", "Stopped"]


def test_migrate_wave_misconfigured_network_stops_with_every_finding(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-misconfigured")
    expected_codes = set(load_scenario("seed-misconfigured").expected_codes)
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: the execution fails at the verdict, and its cause carries the findings with their fixes
    assert result.status == "FAILED"
    assert result.error == "PreflightBlocked"
    assert result.states_entered == ["ValidateInput", "Preflight", "PathClear?", "PreflightBlocked"]
    findings = json.loads(result.cause or "[]")
    assert {f["code"] for f in findings if f["severity"] in ("BLOCKER", "WARNING")} == expected_codes
    assert all(f["fix"] and f["resource"] and f["message"] for f in findings)


def test_migrate_wave_bad_input_fails_at_validate_input_naming_the_field(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    # When
    result = aws.run({"wave": "wave-01", "instanceIds": ["i-0123456789abcdef0; reboot"]})
    # Then: nothing past ValidateInput ran, and the cause says which field and what form
    assert result.status == "FAILED"
    assert result.error == "InvalidInputError"
    assert result.cause is not None
    assert result.cause.startswith("instanceIds[0]: String should match pattern")
    assert "Preflight" not in result.states_entered
    assert _task_failures(result.events) == ["InvalidInputError"]
    assert aws.lambdas is not None
    assert [i.function_name for i in aws.lambdas.invocations] == ["mgn-wave-ValidateInputFunction"]


def test_migrate_wave_misconfigured_function_environment_fails_loudly(aws: EmulatedAws) -> None:
    # Given: a stack whose source range parameter is not a CIDR (CloudFormation's AllowedPattern
    # would refuse it; the function must too, naming the variable)
    built = aws.build_scenario("seed-clean")
    parameters = dict(built.stack_parameters)
    parameters["SourceCidrs"] = "10.0.0.0/33"
    aws.deploy(parameters)
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    assert result.status == "FAILED"
    assert result.error == "ConfigurationError"
    assert "SOURCE_CIDRS" in (result.cause or "")
