"""MigrateWave run end to end in the local engine: the real ASL, the real handlers, a shipped
scenario's network, fleet and MGN state."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mgn_wave_emu.scenario import MgnSpec, load_scenario

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.scenario import BuiltScenario

FRONT = ["ValidateInput", "Preflight", "PathClear?", "EnforceTemplate", "ResolveServers", "InstallAgents"]


def _task_failures(events: list[dict]) -> list[str]:
    return [e["taskFailedEventDetails"]["error"] for e in events if e["type"] == "TaskFailed"]


def test_migrate_wave_clean_network_runs_the_whole_wave(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: seed-clean - web-1 registered earlier, app-1 and api-1 (Linux) and db-1 (Windows) new
    deployed("seed-clean")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: every stage ran once, and each server has its verdict
    assert result.status == "SUCCEEDED"
    assert result.states_entered[: len(FRONT)] == FRONT
    assert result.states_entered[-4:] == ["ForEachServer", "Summarize", "Notify", "WaveDone"]
    # per-server states run in child executions: the wave's own history stays flat
    assert "AwaitReplication" not in result.states_entered
    assert aws.state_entries["AwaitReplication"] == 2
    assert result.output["preflight"]["ok"] is True
    servers = aws.server_results(result.output)
    assert {name: (s["status"], s["stage"]) for name, s in servers.items()} == {
        "web-1": ("SKIPPED", "INSTALL"),  # already registered and replicating: not reinstalled
        "app-1": ("SUCCEEDED", "REPLICATION"),
        "api-1": ("SUCCEEDED", "REPLICATION"),
        "db-1": ("FAILED", "INSTALL"),  # the emulator cannot run PowerShell, and says so
    }
    assert "PowerShell" in servers["db-1"]["reason"]
    assert servers["app-1"]["phase"] == "HEALTHY"
    assert servers["app-1"]["timings"]["healthy"]
    assert result.output["summary"]["totals"] == {"SUCCEEDED": 2, "FAILED": 1, "SKIPPED": 1, "total": 4}


def test_migrate_wave_drift_report_is_in_the_wave_report_and_a_rerun_finds_none(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: seed-clean's MGN holds the console-default template and one server registered from it
    deployed("seed-clean")
    # When
    first = aws.run({"wave": "wave-01"}, name="first")
    second = aws.run({"wave": "wave-01"}, name="second")
    # Then: the first run fixed the template and the registered server, field by field; the
    # execution's state keeps the counts, the per-server drift is in the wave report
    state = first.output["replicationSettings"]
    assert (state["serversChecked"], state["serversChanged"]) == (1, 1)
    assert "servers" not in state
    settings = aws.wave_report(first.output)["replicationSettings"]
    private_fields = {"associateDefaultSecurityGroup", "createPublicIP", "dataPlaneRouting"}
    assert settings["template"]["action"] == "UPDATED"
    assert {c["field"] for c in settings["template"]["changes"]} == private_fields
    assert [s["action"] for s in settings["servers"]] == ["UPDATED"]
    for server in aws.mgn.source_server_ids():
        assert aws.mgn.replication_configuration(server)["dataPlaneRouting"] == "PRIVATE_IP"
    # and the second found nothing to change, and reinstalled only the server that had failed
    again = aws.wave_report(second.output)["replicationSettings"]
    assert second.output["replicationSettings"]["serversChanged"] == 0
    assert again["template"]["action"] == "UNCHANGED"
    assert {s["action"] for s in again["servers"]} == {"UNCHANGED"}
    commands = _install_commands(aws, second.output)
    assert [c["platform"] for c in commands] == ["Windows"]
    servers = aws.server_results(second.output)
    assert {name for name, s in servers.items() if s["status"] == "SKIPPED"} == {"web-1", "app-1", "api-1"}


def test_migrate_wave_dry_run_reports_without_writing_or_installing(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    result = aws.run({"wave": "wave-01", "dryRun": True})
    assert result.status == "SUCCEEDED"
    assert result.output["replicationSettings"]["template"]["action"] == "WOULD_UPDATE"
    assert aws.mgn.calls["UpdateReplicationConfigurationTemplate"] == 0
    assert aws.mgn.calls["UpdateReplicationConfiguration"] == 0
    assert result.output["install"]["commandCount"] == 0
    assert _install_commands(aws, result.output) == []
    assert aws.fleet is not None
    assert aws.fleet.ssm.commands() == []


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
    assert aws.lambdas is not None and aws.stack is not None
    assert [i.function_name for i in aws.lambdas.invocations] == [aws.stack.physical_name("ValidateInputFunction")]


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


def _install_commands(aws: EmulatedAws, output: dict[str, Any]) -> list[dict[str, Any]]:
    """The commands InstallAgents sent, from the wave bucket (the state holds only their key)."""
    assert aws.stack is not None
    body = aws.client("s3").get_object(
        Bucket=aws.stack.physical_name("WaveBucket"), Key=output["install"]["commandsKey"]
    )["Body"]
    commands: list[dict[str, Any]] = json.loads(body.read())
    return commands
