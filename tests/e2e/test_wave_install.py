"""The agent install inside MigrateWave: batching, skipping, failing alone, and no leaked keys."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mgn_wave.adapters.sts import INSTALL_SESSION_SECONDS
from mgn_wave_emu.stack import INSTALL_DOCUMENT

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.scenario import BuiltScenario


def test_install_sends_one_command_for_the_linux_nodes_and_skips_the_replicating_one(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    assert aws.fleet is not None
    commands = aws.fleet.ssm.commands()
    linux = [c for c in commands if len(c.instance_ids) == 2]
    assert len(commands) == 2  # one per platform: Linux (app-1, api-1) and Windows (db-1)
    assert {aws.fleet.node(i).name for i in linux[0].instance_ids} == {"app-1", "api-1"}
    assert aws.server_results(result.output)["web-1"]["reason"].startswith("already registered with MGN")


def test_install_probe_failure_fails_that_server_alone_with_the_code(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: api-1 has too little free disk for the agent
    deployed("seed-clean")
    assert aws.fleet is not None
    aws.fleet.set_free_disk("api-1", 100)
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: api-1 failed at the probe, nothing was downloaded there, app-1 still replicated
    servers = aws.server_results(result.output)
    assert (servers["api-1"]["status"], servers["api-1"]["stage"]) == ("FAILED", "PROBE")
    assert [f["code"] for f in servers["api-1"]["findings"]] == ["SOURCE_DISK_LOW"]
    assert aws.fleet.source_server_id("api-1") is None
    assert servers["app-1"]["status"] == "SUCCEEDED"


def test_install_undeliverable_node_fails_with_a_hint_and_the_wave_goes_on(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    assert aws.fleet is not None
    aws.fleet.fail_delivery("app-1")
    result = aws.run({"wave": "wave-01"})
    servers = aws.server_results(result.output)
    assert (servers["app-1"]["status"], servers["app-1"]["stage"]) == ("FAILED", "INSTALL")
    assert "SSM" in servers["app-1"]["hint"]
    assert servers["api-1"]["status"] == "SUCCEEDED"


def test_install_tampered_installer_never_runs(aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]) -> None:
    deployed("seed-clean")
    assert aws.fleet is not None
    aws.fleet.tamper_installer()
    result = aws.run({"wave": "wave-01"})
    servers = aws.server_results(result.output)
    for name in ("app-1", "api-1"):
        assert servers[name]["status"] == "FAILED"
        assert "SHA-512" in servers[name]["hint"]
        assert aws.fleet.source_server_id(name) is None


def test_install_credentials_appear_only_in_the_command_parameters(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given / When: a whole wave
    deployed("seed-clean")
    result = aws.run({"wave": "wave-01"})
    # Then: the one place SSM keeps them (documented exposure) holds 15-minute keys ...
    assert aws.fleet is not None
    parameters = aws.fleet.ssm.commands()[0].parameters
    secrets = [parameters[name][0] for name in ("AccessKeyId", "SecretAccessKey", "SessionToken")]
    assert secrets[0].startswith("ASIA")
    assert INSTALL_SESSION_SECONDS == 900
    # ... and no log line, state, output, history event or DynamoDB item holds any of them
    assert aws.lambdas is not None
    places = {
        "lambda logs": aws.lambdas.logs.getvalue(),
        "execution history": json.dumps(result.events, default=str),
        "execution output": json.dumps(result.output),
        "lambda results": json.dumps([i.result for i in aws.lambdas.invocations], default=str),
        "dynamodb": json.dumps(
            [
                aws.client("dynamodb").scan(TableName=table.table_name)["Items"]
                for table in (aws.stack.tables.values() if aws.stack else [])
            ]
        ),
    }
    for place, text in places.items():
        for secret in secrets:
            assert secret not in text, f"a credential leaked into the {place}"


def test_install_s3_endpoint_form_stack_parameter_reaches_the_installer(aws: EmulatedAws) -> None:
    # Given: a stack deployed with the S3 guide's form instead of the default
    built = aws.build_scenario("seed-clean")
    aws.deploy({**built.stack_parameters, "InstallerS3EndpointForm": "bucket"})
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: the command carries the form, and each Linux installer got bucket.<S3 endpoint name>
    assert result.status == "SUCCEEDED"
    assert aws.fleet is not None
    (linux,) = [c for c in aws.fleet.ssm.commands() if len(c.instance_ids) == 2]
    assert linux.parameters["S3EndpointForm"] == ["bucket"]
    s3_endpoint = linux.parameters["S3Endpoint"][0]
    for instance_id in linux.instance_ids:
        (arguments,) = aws.fleet.sandbox(instance_id).run_history[-1].installer_calls
        assert arguments[arguments.index("--s3-endpoint") + 1] == f"bucket.{s3_endpoint}"


def test_install_default_stack_sends_the_field_proven_s3_endpoint_form(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    # When
    aws.run({"wave": "wave-01"})
    # Then
    assert aws.fleet is not None
    (linux,) = [c for c in aws.fleet.ssm.commands() if len(c.instance_ids) == 2]
    assert linux.parameters["S3EndpointForm"] == ["installer-bucket"]
    (arguments,) = aws.fleet.sandbox(linux.instance_ids[0]).run_history[-1].installer_calls
    s3_endpoint = linux.parameters["S3Endpoint"][0]
    expected = f"aws-application-migration-service-{aws.region}.bucket.{s3_endpoint}"
    assert arguments[arguments.index("--s3-endpoint") + 1] == expected


def test_install_runs_the_latest_document_version_and_lists_only_its_own_commands(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    assert aws.stack is not None
    document = aws.stack.physical_name(INSTALL_DOCUMENT)
    # When
    aws.run({"wave": "wave-01"})
    # Then: each send names the version the stack deployed last (the stack adds versions with
    # UpdateMethod NewVersion; the default version need not follow)
    sends = [json.loads(c.body) for c in aws.calls.of("ssm", "SendCommand") if c.principal == "InstallAgentsFunction"]
    assert sends
    assert {send["DocumentVersion"] for send in sends} == {"$LATEST"}
    # and the search for an earlier attempt's sends is one filtered listing, not every command of
    # the Region once per batch
    listings = [
        json.loads(c.body) for c in aws.calls.of("ssm", "ListCommands") if c.principal == "InstallAgentsFunction"
    ]
    assert len(listings) == 1
    filters = {f["key"]: f["value"] for f in listings[0]["Filters"]}
    assert filters["DocumentName"] == document
    assert "InvokedAfter" in filters
