"""LaunchWave end to end: after MigrateWave replicated a wave, a test launch on the private
target (launch settings held, instances checked), an approved cutover, a revert, refusals."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest
from launching import REPLICATED, deploy_and_replicate, launch, launch_settings, read_report, state

from mgn_wave.adapters.launch_tokens import LaunchTokenStore
from mgn_wave.adapters.tokens import CallbackAdapter
from mgn_wave.launch.approval import approve
from mgn_wave_emu.operator import approve_when_asked, start_and_approve

if TYPE_CHECKING:
    from mgn_wave_emu.harness import EmulatedAws


def test_launch_test_holds_private_target_and_marks_passing_servers_ready_for_cutover(aws: EmulatedAws) -> None:
    # Given a replicated wave, one server's test instance never comes Online in SSM
    ids = deploy_and_replicate(aws, via_migrate_wave=True)
    aws.mgn.launch.faults.ssm_offline.add(ids["api-1"])
    # When
    result = launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1")
    # Then
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = read_report(aws, result)
    assert report[ids["app-1"]]["verdict"] == "PASSED"
    assert state(aws, ids["app-1"]) == "READY_FOR_CUTOVER"
    assert report[ids["api-1"]]["verdict"] == "FAILED"
    assert "SSM" in report[ids["api-1"]]["reason"] and "ssmmessages" in report[ids["api-1"]]["hint"]
    assert state(aws, ids["api-1"]) == "TESTING"  # reported, never marked ready
    # The launch template was corrected before the launch: the instance is private, in the target subnet
    instance_id = report[ids["app-1"]]["instanceId"]
    instance = aws.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["SubnetId"] == ids["subnet"]
    assert "PublicIpAddress" not in instance
    settings = {s["resourceId"]: s for s in launch_settings(aws, result)}
    assert settings[ids["app-1"]]["action"] == "UPDATED"
    assert {c["field"] for c in settings[ids["app-1"]]["changes"]} >= {"NetworkInterfaces[0].AssociatePublicIpAddress"}
    starts = [c for c in aws.calls.of("mgn", "StartTest")]
    assert len(starts) == 1  # three servers, one job


def test_launch_dry_run_reports_drift_and_launches_nothing(aws: EmulatedAws) -> None:
    ids = deploy_and_replicate(aws)
    result = launch(aws, {"waveId": "wave-01", "stage": "test", "dryRun": True}, "dry-1")
    assert result.status == "SUCCEEDED"
    actions = {s["resourceId"]: s["action"] for s in launch_settings(aws, result)}
    assert result.output["plan"]["launchSettings"]["actions"] == {"WOULD_UPDATE": 3}
    assert actions[ids["app-1"]] == "WOULD_UPDATE"
    assert aws.mgn.launch.jobs() == []
    assert state(aws, ids["app-1"]) == "READY_FOR_TEST"


def test_launch_bad_stage_is_refused_naming_the_field(aws: EmulatedAws) -> None:
    deploy_and_replicate(aws)
    result = launch(aws, {"waveId": "wave-01", "stage": "launch-everything"}, "bad-1")
    assert (result.status, result.error) == ("FAILED", "InvalidInputError")
    assert (result.cause or "").startswith("stage:")
    assert aws.mgn.launch.jobs() == []


def test_cutover_waits_for_one_approval_then_finalizes_only_passing_servers(aws: EmulatedAws) -> None:
    # Given: both servers tested and ready for cutover
    ids = deploy_and_replicate(aws)
    assert launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1").status == "SUCCEEDED"
    assert {state(aws, ids[n]) for n in REPLICATED} == {"READY_FOR_CUTOVER"}
    aws.mgn.launch.faults.stop_instance.add(ids["api-1"])  # its cutover instance will not stay up
    # When the cutover starts, nothing launches before the approval (the operator holds the clock:
    # a person acts in real time)
    sfn = aws.client("stepfunctions")
    assert aws.stack is not None
    tokens = LaunchTokenStore(aws.client("dynamodb"), aws.stack.tables["StateTable"].table_name)
    callbacks = CallbackAdapter(sfn)
    with aws.clock.busy():
        arn = sfn.start_execution(
            stateMachineArn=aws.state_machine_arns["LaunchWaveStateMachine"],
            name="cutover-1",
            input=json.dumps({"waveId": "wave-01", "stage": "cutover"}),
        )["executionArn"]
        while not tokens.waiting("APPROVAL#wave-01"):
            time.sleep(0.02)
        assert not [j for j in aws.mgn.launch.jobs() if j["initiatedBy"] == "START_CUTOVER"]
        # Then one approval acts, the second finds nothing
        assert approve("wave-01", "test", tokens=tokens, callbacks=callbacks) == 1
        assert approve("wave-01", "test", tokens=tokens, callbacks=callbacks) == 0
    result = aws.wait(arn, timeout_seconds=240)
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = read_report(aws, result)
    assert report[ids["app-1"]]["verdict"] == "PASSED"
    assert state(aws, ids["app-1"]) == "CUTOVER"
    assert report[ids["api-1"]]["verdict"] == "FAILED"
    assert state(aws, ids["api-1"]) == "CUTTING_OVER"  # never finalized
    finalized = {json.loads(call.body)["sourceServerID"] for call in aws.calls.of("mgn", "FinalizeCutover")}
    assert finalized == {ids["web-1"], ids["app-1"]}


def test_revert_terminates_test_instances_and_returns_to_ready_for_test(aws: EmulatedAws) -> None:
    ids = deploy_and_replicate(aws)
    tested = launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1")
    assert tested.status == "SUCCEEDED", (tested.error, tested.cause)
    instance_id = read_report(aws, tested)[ids["app-1"]]["instanceId"]
    result = launch(aws, {"waveId": "wave-01", "stage": "revert"}, "revert-1")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert {read_report(aws, result)[ids[n]]["verdict"] for n in REPLICATED} == {"REVERTED"}
    assert {state(aws, ids[n]) for n in REPLICATED} == {"READY_FOR_TEST"}
    instance = aws.client("ec2").describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert instance["State"]["Name"] == "terminated"


@pytest.mark.parametrize("duplicate", [2])
def test_duplicated_launch_events_wake_the_wait_once(aws: EmulatedAws, duplicate: int) -> None:
    ids = deploy_and_replicate(aws)
    aws.mgn.event_faults(duplicate=duplicate)
    result = launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-dup")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert {read_report(aws, result)[ids[n]]["verdict"] for n in REPLICATED} == {"PASSED"}
    # Six deliveries (three servers, each event twice) wake the one waiting task once
    wakeups = [c for c in aws.calls.of("sfn", "SendTaskSuccess") if c.principal == "LaunchEventFunction"]
    assert len(wakeups) == 1
    assert aws.state_entries["CheckJobs"] == 1


def _mgn_wave(*args: str) -> Any:
    from typer.testing import CliRunner

    from mgn_wave_cli.main import app

    return CliRunner().invoke(app, list(args), env={"COLUMNS": "240"})


def test_cli_launch_test_then_cutover_with_one_approval(aws: EmulatedAws) -> None:
    # Given a replicated wave and a stack whose outputs name LaunchWave and the state table
    ids = deploy_and_replicate(aws)
    assert aws.stack is not None
    outputs = {
        "LaunchWaveStateMachineArn": {"Value": aws.state_machine_arns["LaunchWaveStateMachine"]},
        "StateTableName": {"Value": aws.stack.tables["StateTable"].table_name},
    }
    aws.client("cloudformation").create_stack(
        StackName="mgn-wave",
        TemplateBody=json.dumps({"Resources": {"T": {"Type": "AWS::SNS::Topic"}}, "Outputs": outputs}),
    )
    aws.mgn.launch.faults.ssm_offline.add(ids["api-1"])
    # When / Then: a bad stage is refused naming it, before anything starts
    refused = _mgn_wave("launch", "migrate", "wave-01", "--stack-name", "mgn-wave")
    assert refused.exit_code == 1 and "STAGE" in refused.output
    tested = _mgn_wave("launch", "test", "wave-01", "--stack-name", "mgn-wave", "--follow", "--poll-seconds", "0.1")
    assert tested.exit_code == 0, tested.output
    assert "PASSED" in tested.stdout and "FAILED" in tested.stdout and "TEST" in tested.stdout
    # Nothing waits for approval yet: approving acts on nothing
    assert _mgn_wave("approve", "wave-01", "--stack-name", "mgn-wave").exit_code == 2
    with aws.clock.busy():  # the operator starts and approves in real time
        started = _mgn_wave("launch", "cutover", "wave-01", "--stack-name", "mgn-wave", "--json")
        assert started.exit_code == 0, started.output
        arn = json.loads(started.stdout)["executionArn"]
        # The approval itself through the function the command runs (a CliRunner invoke cannot outlive
        # the Lambdas the approval sets going in other threads); the command's refusal path below.
        sfn = aws.client("stepfunctions")
        assert approve_when_asked(
            aws, "wave-01", lambda: sfn.describe_execution(executionArn=arn)["status"] == "RUNNING"
        )
    assert aws.wait(arn, timeout_seconds=240).status == "SUCCEEDED"
    # A second approval finds nothing to approve (asked once the cutover's Lambdas are done: a
    # CliRunner invoke swaps stdout, which must not happen under running Lambdas)
    assert _mgn_wave("approve", "wave-01", "--stack-name", "mgn-wave").exit_code == 2
    assert state(aws, ids["app-1"]) == "CUTOVER"
    assert state(aws, ids["api-1"]) == "TESTING"  # failed its test: never cut over


def test_launch_target_route_to_internet_blocks_before_anything_launches(aws: EmulatedAws) -> None:
    # Given: someone gave the target subnet a default route to an internet gateway
    ids = deploy_and_replicate(aws)
    ec2 = aws.client("ec2")
    subnet = ec2.describe_subnets(SubnetIds=[ids["subnet"]])["Subnets"][0]
    gateway = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=gateway, VpcId=subnet["VpcId"])
    tables = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [ids["subnet"]]}])
    table = tables["RouteTables"][0]["RouteTableId"]
    ec2.create_route(RouteTableId=table, DestinationCidrBlock="0.0.0.0/0", GatewayId=gateway)
    # When
    result = launch(aws, {"waveId": "wave-01", "stage": "test"}, "blocked-1")
    # Then
    assert (result.status, result.error) == ("FAILED", "TargetBlocked")
    findings = json.loads(result.cause or "[]")
    assert [f["code"] for f in findings if f["severity"] == "BLOCKER"] == ["TARGET_ROUTE_TO_INTERNET"]
    assert gateway in findings[0]["message"]
    assert aws.mgn.launch.jobs() == []


def test_cutover_without_approval_expires_and_launches_nothing(aws: EmulatedAws) -> None:
    ids = deploy_and_replicate(aws)
    assert launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1").status == "SUCCEEDED"
    result = launch(aws, {"waveId": "wave-01", "stage": "cutover"}, "cutover-1")  # nobody approves
    assert (result.status, result.error) == ("FAILED", "ApprovalExpired")
    assert not [j for j in aws.mgn.launch.jobs() if j["initiatedBy"] == "START_CUTOVER"]
    assert state(aws, ids["app-1"]) == "READY_FOR_CUTOVER"


def test_lost_launch_events_fall_back_to_the_poll(aws: EmulatedAws) -> None:
    ids = deploy_and_replicate(aws)
    aws.mgn.event_faults(lose=1.0, seed=3)
    result = launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-lost")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert read_report(aws, result)[ids["app-1"]]["verdict"] == "PASSED"
    # No event woke the wait: AwaitJobs timed out (LaunchPollSeconds) and CheckJobs found the job done
    assert [c for c in aws.calls.of("sfn", "SendTaskSuccess") if c.principal == "LaunchEventFunction"] == []
    assert any(e["type"] == "TaskTimedOut" for e in result.events)


def test_finalize_stage_finalizes_a_cutover_instance_once_it_passes(aws: EmulatedAws) -> None:
    # Given: api-1's cutover instance stopped, so the cutover reported it and left it CUTTING_OVER
    ids = deploy_and_replicate(aws)
    assert launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1").status == "SUCCEEDED"
    aws.mgn.launch.faults.stop_instance.add(ids["api-1"])
    arn = start_and_approve(aws, {"waveId": "wave-01", "stage": "cutover"}, "cutover-1")
    cut = aws.wait(arn, timeout_seconds=240)
    assert read_report(aws, cut)[ids["api-1"]]["verdict"] == "FAILED"
    # When the operator has fixed the instance (started it) and runs the finalize stage
    instance_id = read_report(aws, cut)[ids["api-1"]]["instanceId"]
    aws.mgn.launch.faults.stop_instance.discard(ids["api-1"])
    aws.client("ec2").start_instances(InstanceIds=[instance_id])
    result = launch(aws, {"waveId": "wave-01", "stage": "finalize"}, "finalize-1")
    # Then only api-1 took part, and it is finalized now
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = read_report(aws, result)
    assert report[ids["api-1"]]["verdict"] == "PASSED"
    assert report[ids["app-1"]]["verdict"] == "SKIPPED"  # already CUTOVER
    assert state(aws, ids["api-1"]) == "CUTOVER"
