"""SSM as the install Lambda meets it: the service's limits and errors, invocation timing on the
virtual clock, offline and Windows nodes, fault knobs, output caps and the managed-node reads."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError
from fleet_helpers import LINUX_NODES, Installs

from mgn_wave.agent_install.node_result import STANDARD_OUTPUT_LIMIT, NodeStatus, parse_result
from mgn_wave.agent_install.parameters import LINUX_STEP_NAME, WINDOWS_STEP_NAME


def _error(call: Any, **arguments: Any) -> dict[str, str]:
    with pytest.raises(ClientError) as raised:
        call(**arguments)
    return dict(raised.value.response["Error"])


def _send_arguments(installs: Installs, node_ids: list[str], **overrides: Any) -> dict[str, Any]:
    parameters = installs.parameters("lin-faults", dns_mode="hosts", mode="probe")
    return {
        "DocumentName": installs.fleet.document_name,
        "InstanceIds": node_ids,
        "Parameters": parameters.to_document_parameters(),
    } | overrides


# --- limits botocore does not check --------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "member"),
    [
        ({"InstanceIds": [f"mi-{i:017x}" for i in range(51)]}, "instanceIds"),
        ({"Comment": "x" * 101}, "comment"),
        ({"TimeoutSeconds": 2_592_001}, "timeoutSeconds"),  # botocore checks only the minimum
        ({"MaxConcurrency": "0"}, "maxConcurrency"),
        ({"MaxErrors": "101%"}, "maxErrors"),
    ],
)
def test_send_command_beyond_a_service_limit_is_a_validation_exception(
    public_dns: Installs, overrides: dict[str, Any], member: str
) -> None:
    # Given
    node_id = public_dns.node_id("lin-faults")
    ssm = public_dns.aws.client("ssm")
    before = len(public_dns.fleet.ssm.commands())
    # When
    error = _error(ssm.send_command, **_send_arguments(public_dns, [node_id], **overrides))
    # Then: refused by the service, nothing sent
    assert error["Code"] == "ValidationException"
    assert f"'{member}'" in error["Message"]
    assert len(public_dns.fleet.ssm.commands()) == before


def test_send_command_value_outside_the_allowed_pattern_is_invalid_parameters(public_dns: Installs) -> None:
    # Given
    arguments = _send_arguments(public_dns, [public_dns.node_id("lin-faults")])
    arguments["Parameters"]["Region"] = ["us-east-1; id"]
    # When
    error = _error(public_dns.aws.client("ssm").send_command, **arguments)
    # Then: named, not echoed
    assert error["Code"] == "InvalidParameters"
    assert "Region" in error["Message"]
    assert "; id" not in error["Message"]


def test_send_command_parameter_the_document_lacks_is_invalid_parameters(public_dns: Installs) -> None:
    arguments = _send_arguments(public_dns, [public_dns.node_id("lin-faults")])
    arguments["Parameters"]["commands"] = ["id"]
    assert _error(public_dns.aws.client("ssm").send_command, **arguments)["Code"] == "InvalidParameters"


def test_send_command_unknown_node_is_invalid_instance_id(public_dns: Installs) -> None:
    arguments = _send_arguments(public_dns, ["mi-00000000000000000"])
    assert _error(public_dns.aws.client("ssm").send_command, **arguments)["Code"] == "InvalidInstanceId"


def test_send_command_same_node_twice_is_duplicate_instance_id(public_dns: Installs) -> None:
    node_id = public_dns.node_id("lin-faults")
    arguments = _send_arguments(public_dns, [node_id, node_id])
    assert _error(public_dns.aws.client("ssm").send_command, **arguments)["Code"] == "DuplicateInstanceId"


def test_send_command_for_another_document_falls_through_to_moto(public_dns: Installs) -> None:
    # When
    sent = public_dns.aws.client("ssm").send_command(
        DocumentName="AWS-RunShellScript", InstanceIds=["i-0123456789abcdef0"], Parameters={"commands": ["id"]}
    )
    # Then: moto answered (our fleet never ran it)
    assert sent["Command"]["DocumentName"] == "AWS-RunShellScript"
    assert sent["Command"]["CommandId"] not in {c.command_id for c in public_dns.fleet.ssm.commands()}


def test_get_command_invocation_without_a_step_name_is_invalid_plugin_name(public_dns: Installs) -> None:
    # Given
    command_id = public_dns.send(["lin-faults"], public_dns.parameters("lin-faults", dns_mode="hosts", mode="probe"))
    # When: the document has two steps; the API reference says the step must then be named
    error = _error(
        public_dns.aws.client("ssm").get_command_invocation,
        CommandId=command_id,
        InstanceId=public_dns.node_id("lin-faults"),
    )
    # Then
    assert error["Code"] == "InvalidPluginName"


# --- timing ------------------------------------------------------------------------------------


def test_invocation_is_pending_then_in_progress_until_its_simulated_duration_passes(public_dns: Installs) -> None:
    # Given
    fleet, clock = public_dns.fleet, public_dns.aws.clock
    sent_at = clock.now()
    command_id = public_dns.send(["lin-timing"], public_dns.parameters("lin-timing", dns_mode="hosts", mode="probe"))
    statuses = []
    # When: the clock follows next_change_at
    while (moment := fleet.next_change_at()) is not None:
        statuses.append((public_dns.invocation(command_id, "lin-timing")["Status"], clock.now() - sent_at))
        clock.advance((moment - clock.now()).total_seconds())
    statuses.append((public_dns.invocation(command_id, "lin-timing")["Status"], clock.now() - sent_at))
    # Then: delivered after 2 s, a probe takes 20 s
    assert [(s, d.total_seconds()) for s, d in statuses] == [("Pending", 0), ("InProgress", 2), ("Success", 22)]


def test_install_takes_the_simulated_install_duration(public_dns: Installs) -> None:
    # Given
    clock = public_dns.aws.clock
    sent_at = clock.now()
    public_dns.send(["lin-timing"], public_dns.parameters("lin-timing", dns_mode="hosts"))
    # When
    public_dns.finish()
    # Then
    assert (clock.now() - sent_at).total_seconds() == 2 + public_dns.fleet.install_seconds


def test_offline_node_waits_for_delivery_then_times_out_without_running(public_dns: Installs) -> None:
    # Given
    clock = public_dns.aws.clock
    command_id = public_dns.send(
        ["lin-offline"], public_dns.parameters("lin-offline", dns_mode="hosts", mode="probe"), TimeoutSeconds=600
    )
    # When / Then
    assert public_dns.invocation(command_id, "lin-offline")["Status"] == "Delayed"
    clock.advance(599)
    assert public_dns.invocation(command_id, "lin-offline")["Status"] == "Delayed"
    clock.advance(1)
    timed_out = public_dns.invocation(command_id, "lin-offline")
    assert (timed_out["Status"], timed_out["StatusDetails"]) == ("TimedOut", "DeliveryTimedOut")
    assert public_dns.fleet.sandbox("lin-offline").run_history == []


def test_windows_node_fails_honestly_because_powershell_cannot_run_here(public_dns: Installs) -> None:
    # When
    command_id = public_dns.send(["win-1"], public_dns.parameters("win-1", dns_mode="hosts"))
    public_dns.finish()
    ssm = public_dns.aws.client("ssm")
    node_id = public_dns.node_id("win-1")
    windows = ssm.get_command_invocation(CommandId=command_id, InstanceId=node_id, PluginName=WINDOWS_STEP_NAME)
    linux = ssm.get_command_invocation(CommandId=command_id, InstanceId=node_id, PluginName=LINUX_STEP_NAME)
    # Then: not a faked success, and the Linux step skipped by its precondition
    assert windows["Status"] == "Failed"
    assert "cannot run PowerShell" in windows["StandardErrorContent"]
    assert linux["Status"] == "Success"
    assert "skipped due to unsatisfied preconditions" in linux["StandardOutputContent"]
    assert public_dns.fleet.source_server_id("win-1") is None


# --- fault knobs, MaxConcurrency, MaxErrors ------------------------------------------------------


def test_fail_delivery_makes_the_invocation_undeliverable(public_dns: Installs) -> None:
    # Given
    public_dns.fleet.fail_delivery("lin-faults")
    try:
        command_id = public_dns.send(
            ["lin-faults"], public_dns.parameters("lin-faults", dns_mode="hosts", mode="probe")
        )
        public_dns.finish()
    finally:
        public_dns.fleet.heal("lin-faults")
    # Then
    invocation = public_dns.invocation(command_id, "lin-faults")
    command = public_dns.aws.client("ssm").list_commands(CommandId=command_id)["Commands"][0]
    assert (invocation["Status"], invocation["StatusDetails"]) == ("Failed", "Undeliverable")
    assert command["Status"] == "Failed"
    assert command["ErrorCount"] == 0  # undeliverable invocations do not count as errors


def test_time_out_ends_in_execution_timed_out(public_dns: Installs) -> None:
    public_dns.fleet.time_out("lin-faults")
    try:
        command_id = public_dns.send(
            ["lin-faults"], public_dns.parameters("lin-faults", dns_mode="hosts", mode="probe")
        )
        public_dns.finish()
    finally:
        public_dns.fleet.heal("lin-faults")
    invocation = public_dns.invocation(command_id, "lin-faults")
    assert (invocation["Status"], invocation["StatusDetails"]) == ("TimedOut", "ExecutionTimedOut")


def test_max_concurrency_one_and_max_errors_zero_terminate_the_rest_after_a_failure(public_dns: Installs) -> None:
    # Given: the first node fails its probe (low disk), one node at a time, no error allowed
    parameters = public_dns.parameters("lin-a", dns_mode="hosts", mode="probe")
    command_id = public_dns.send(["lin-lowdisk", "lin-a"], parameters, MaxConcurrency="1", MaxErrors="0")
    # When
    public_dns.finish()
    # Then
    first, second = (public_dns.invocation(command_id, n) for n in ("lin-lowdisk", "lin-a"))
    assert (first["Status"], second["Status"], second["StatusDetails"]) == ("Failed", "Cancelled", "Terminated")
    assert public_dns.fleet.sandbox("lin-a").run_history == []


def test_max_concurrency_one_runs_the_nodes_one_after_the_other(public_dns: Installs) -> None:
    # Given
    clock = public_dns.aws.clock
    sent_at = clock.now()
    public_dns.send(
        ["lin-a", "lin-b"], public_dns.parameters("lin-a", dns_mode="hosts", mode="probe"), MaxConcurrency="1"
    )
    # When
    public_dns.finish()
    # Then: 2 s delivery, then 20 s each
    assert (clock.now() - sent_at).total_seconds() == 42


# --- output ------------------------------------------------------------------------------------


def test_output_longer_than_the_service_cap_loses_its_end(public_dns: Installs) -> None:
    # Given: a document whose Linux step prints more than 24,000 characters before its result line
    fleet = public_dns.fleet
    original = fleet.document_content
    chatty = (
        "#!/bin/bash\nhead -c 30000 /dev/zero | tr '\\0' x\necho\necho 'MGN_WAVE_RESULT {\"status\":\"PROBE_OK\"}'\n"
    )
    fleet.document_content = {
        **original,
        "mainSteps": [
            {**step, "inputs": {**step["inputs"], "runCommand": [chatty]}}
            if step["action"] == "aws:runShellScript"
            else step
            for step in original["mainSteps"]
        ],
    }
    try:
        invocation = public_dns.run("lin-timing", public_dns.parameters("lin-timing", dns_mode="hosts", mode="probe"))
    finally:
        fleet.document_content = original
    # Then
    assert len(invocation["StandardOutputContent"]) == STANDARD_OUTPUT_LIMIT
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.NO_RESULT


def test_list_command_invocations_details_show_each_step_capped(public_dns: Installs) -> None:
    # Given
    command_id = public_dns.send(["lin-timing"], public_dns.parameters("lin-timing", dns_mode="hosts", mode="probe"))
    public_dns.finish()
    # When
    listed = public_dns.aws.client("ssm").list_command_invocations(CommandId=command_id, Details=True)
    # Then
    (invocation,) = listed["CommandInvocations"]
    plugins = {p["Name"]: p for p in invocation["CommandPlugins"]}
    assert invocation["Status"] == "Success"
    assert plugins[LINUX_STEP_NAME]["Status"] == "Success"
    assert "MGN_WAVE_RESULT" in plugins[LINUX_STEP_NAME]["Output"]
    assert all(len(p["Output"]) <= 2500 for p in plugins.values())


def test_command_history_shows_the_parameters_including_credentials_as_aws_does(public_dns: Installs) -> None:
    # Given: what README "Credentials" warns about: SSM keeps the parameters with the command
    parameters = public_dns.parameters("lin-timing", dns_mode="hosts")
    command_id = public_dns.send(["lin-timing"], parameters)
    public_dns.finish()
    # When
    command = public_dns.aws.client("ssm").list_commands(CommandId=command_id)["Commands"][0]
    # Then
    assert command["Parameters"]["SessionToken"] == parameters.to_document_parameters()["SessionToken"]
    assert (command["Status"], command["TargetCount"], command["CompletedCount"]) == ("Success", 1, 1)


# --- managed nodes -----------------------------------------------------------------------------


def test_describe_instance_information_finds_the_wave_by_tag_across_pages(public_dns: Installs) -> None:
    # When
    paginator = public_dns.aws.client("ssm").get_paginator("describe_instance_information")
    pages = list(
        paginator.paginate(
            Filters=[{"Key": "tag:MigrationWave", "Values": ["wave-01"]}], PaginationConfig={"PageSize": 5}
        )
    )
    # Then
    nodes = [info for page in pages for info in page["InstanceInformationList"]]
    names = {info["ComputerName"] for info in nodes}
    assert len(pages) > 1
    assert "other" not in names  # lin-other-wave carries wave-02
    assert {f"{name}.corp.example" for name in LINUX_NODES} <= names
    hosts = next(info for info in nodes if info["ComputerName"] == "lin-hosts.corp.example")
    assert hosts["InstanceId"].startswith("mi-")
    assert (hosts["PingStatus"], hosts["PlatformType"], hosts["IPAddress"]) == ("Online", "Linux", "10.10.1.10")


def test_describe_instance_information_filters_by_ping_status_and_ids(public_dns: Installs) -> None:
    ssm = public_dns.aws.client("ssm")
    lost = ssm.describe_instance_information(
        InstanceInformationFilterList=[{"key": "PingStatus", "valueSet": ["ConnectionLost"]}]
    )["InstanceInformationList"]
    by_id = ssm.describe_instance_information(
        Filters=[{"Key": "InstanceIds", "Values": [public_dns.node_id("win-1")]}]
    )["InstanceInformationList"]
    assert [info["ComputerName"] for info in lost] == ["offline"]
    assert [info["PlatformType"] for info in by_id] == ["Windows"]


def test_describe_instance_information_unknown_filter_key_is_refused(public_dns: Installs) -> None:
    error = _error(
        public_dns.aws.client("ssm").describe_instance_information, Filters=[{"Key": "Colour", "Values": ["x"]}]
    )
    assert error["Code"] == "InvalidFilterKey"


def test_list_tags_for_a_managed_node_gives_its_wave(public_dns: Installs) -> None:
    tags = public_dns.aws.client("ssm").list_tags_for_resource(
        ResourceType="ManagedInstance", ResourceId=public_dns.node_id("lin-hosts")
    )["TagList"]
    assert {"Key": "MigrationWave", "Value": "wave-01"} in tags


def test_list_commands_without_a_filter_shows_ours_and_moto_s(public_dns: Installs) -> None:
    # Given: one command for our document, one for another (moto's)
    ssm = public_dns.aws.client("ssm")
    ours = public_dns.send(["lin-timing"], public_dns.parameters("lin-timing", dns_mode="hosts", mode="probe"))
    theirs = ssm.send_command(DocumentName="AWS-RunShellScript", InstanceIds=["i-0123456789abcdef0"], Parameters={})
    # When
    listed = {c["CommandId"] for page in ssm.get_paginator("list_commands").paginate() for c in page["Commands"]}
    # Then
    assert {ours, theirs["Command"]["CommandId"]} <= listed


def test_send_command_for_a_document_nobody_has_is_invalid_document(public_dns: Installs) -> None:
    # Given: a wrong name (moto alone would "run" any name)
    arguments = _send_arguments(public_dns, [public_dns.node_id("lin-faults")], DocumentName="mgn-wave-Typo")
    # When / Then
    assert _error(public_dns.aws.client("ssm").send_command, **arguments)["Code"] == "InvalidDocument"
