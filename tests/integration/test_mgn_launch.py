"""Launch jobs in the MGN emulator through a real boto3 client: test and cutover instances that
moto runs from each server's launch template, the job quotas, the lifecycle rules, the events."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest

from mgn_wave_emu.mgn.launch import LAUNCH_RESULT_EVENT, MAX_CONCURRENT_JOBS

if TYPE_CHECKING:
    from mypy_boto3_mgn import MgnClient

    from mgn_wave_emu.mgn import MgnEmulator

HOUR = 3600


@pytest.fixture(autouse=True)
def _no_default_amis(monkeypatch: pytest.MonkeyPatch) -> None:
    # moto loads thousands of default AMIs with its EC2 backend; the launches register their own
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")


def _ready_servers(emulator: MgnEmulator, client: MgnClient, settings: dict[str, Any], count: int) -> list[str]:
    """`count` servers registered by their agents and replicated to READY_FOR_TEST on the clock."""
    client.create_replication_configuration_template(**settings)
    ids = [emulator.register_source_server(hostname=f"app-{n}.corp.example") for n in range(count)]
    emulator.clock.advance(2 * HOUR)
    for server_id in ids:
        assert emulator.source_server(server_id)["lifeCycle"]["state"] == "READY_FOR_TEST"
    return ids


def _jobs(client: MgnClient, job_id: str) -> dict[str, Any]:
    return dict(client.describe_jobs(filters={"jobIDs": [job_id]})["items"][0])


def _private_target(ec2: Any) -> tuple[str, str]:
    vpc = ec2.create_vpc(CidrBlock="10.50.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.50.1.0/24")["Subnet"]["SubnetId"]
    group = ec2.create_security_group(GroupName="target", Description="target", VpcId=vpc)["GroupId"]
    return subnet, group


def _hold_private_target(emulator: MgnEmulator, ec2: Any, server_id: str, subnet: str, group: str) -> None:
    template_id = emulator.launch.launch_configuration(server_id)["ec2LaunchTemplateID"]
    version = ec2.create_launch_template_version(
        LaunchTemplateId=template_id,
        SourceVersion="$Default",
        LaunchTemplateData={
            "NetworkInterfaces": [
                {"DeviceIndex": 0, "SubnetId": subnet, "Groups": [group], "AssociatePublicIpAddress": False}
            ]
        },
    )["LaunchTemplateVersion"]["VersionNumber"]
    ec2.modify_launch_template(LaunchTemplateId=template_id, DefaultVersion=str(version))


def test_start_test_launches_instance_from_launch_template_in_target_subnet(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given a replicated server whose launch template holds a private target
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    ec2 = boto3.client("ec2", region_name=mgn_emulator.region)
    subnet, group = _private_target(ec2)
    _hold_private_target(mgn_emulator, ec2, server_id, subnet, group)
    events: list[dict[str, Any]] = []
    mgn_emulator.set_event_sink(events.append)
    # When
    job = mgn_client.start_test(sourceServerIDs=[server_id])["job"]
    assert mgn_emulator.source_server(server_id)["lifeCycle"]["state"] == "TESTING"
    assert job["participatingServers"][0]["launchStatus"] == "PENDING"
    mgn_emulator.clock.advance(HOUR)
    # Then the job completed, the instance runs in the target subnet without a public IP
    described = _jobs(mgn_client, job["jobID"])
    assert described["status"] == "COMPLETED"
    (participant,) = described["participatingServers"]
    assert participant["launchStatus"] == "LAUNCHED"
    instance = ec2.describe_instances(InstanceIds=[participant["launchedEc2InstanceID"]])["Reservations"][0][
        "Instances"
    ][0]
    assert instance["SubnetId"] == subnet
    assert [g["GroupId"] for g in instance["NetworkInterfaces"][0]["Groups"]] == [group]
    assert "PublicIpAddress" not in instance
    server = mgn_client.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]
    assert server["launchedInstance"]["ec2InstanceID"] == instance["InstanceId"]
    assert server["lifeCycle"]["lastTest"]["initiated"]["jobID"] == job["jobID"]
    launch_events = [e for e in events if e["detail-type"] == LAUNCH_RESULT_EVENT]
    assert [e["detail"] for e in launch_events] == [{"state": "TEST_LAUNCH_SUCCEEDED", "job-id": job["jobID"]}]


def test_default_launch_template_lands_in_default_vpc_with_public_ip(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given a server whose launch template nobody corrected
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    # When
    job = mgn_client.start_test(sourceServerIDs=[server_id])["job"]
    mgn_emulator.clock.advance(HOUR)
    # Then: the danger LaunchWave's settings step exists for
    instance_id = _jobs(mgn_client, job["jobID"])["participatingServers"][0]["launchedEc2InstanceID"]
    ec2 = boto3.client("ec2", region_name=mgn_emulator.region)
    instance = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]
    assert "PublicIpAddress" in instance


def test_start_test_before_launchable_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given a server still in its initial sync
    mgn_client.create_replication_configuration_template(**private_template)
    server_id = mgn_emulator.register_source_server(hostname="db-1.corp.example")
    # When / Then
    with pytest.raises(mgn_client.exceptions.ConflictException, match="lagDuration"):
        mgn_client.start_test(sourceServerIDs=[server_id])
    assert mgn_emulator.launch.jobs() == []


def test_start_cutover_before_ready_for_cutover_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    with pytest.raises(mgn_client.exceptions.ConflictException, match="READY_FOR_CUTOVER"):
        mgn_client.start_cutover(sourceServerIDs=[server_id])
    assert mgn_emulator.source_server(server_id)["lifeCycle"]["state"] == "READY_FOR_TEST"


def test_one_active_job_per_server(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    mgn_client.start_test(sourceServerIDs=[server_id])
    with pytest.raises(mgn_client.exceptions.ConflictException, match="already in an active job"):
        mgn_client.start_test(sourceServerIDs=[server_id])


def test_more_than_200_servers_across_active_jobs_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given 201 launchable servers, 200 of them in an active job
    ids = _ready_servers(mgn_emulator, mgn_client, private_template, 201)
    mgn_emulator.launch.faults.fail_launch.update(ids[:200])  # the job ends without 200 instances to run
    mgn_client.start_test(sourceServerIDs=ids[:200])
    # When the 201st is launched while that job runs
    with pytest.raises(mgn_client.exceptions.ConflictException, match="200 source servers across all active jobs"):
        mgn_client.start_test(sourceServerIDs=ids[200:])
    # Then after the job completes it can be launched
    mgn_emulator.clock.advance(HOUR)
    assert mgn_client.start_test(sourceServerIDs=ids[200:])["job"]["status"] == "PENDING"


def test_more_than_200_ids_in_one_request_is_a_validation_error(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    ids = [f"s-{n:017d}" for n in range(201)]
    with pytest.raises(mgn_client.exceptions.ValidationException):
        mgn_client.start_test(sourceServerIDs=ids)


def test_twenty_first_concurrent_job_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    ids = _ready_servers(mgn_emulator, mgn_client, private_template, MAX_CONCURRENT_JOBS + 1)
    for server_id in ids[:MAX_CONCURRENT_JOBS]:
        mgn_client.start_test(sourceServerIDs=[server_id])
    with pytest.raises(mgn_client.exceptions.ConflictException, match="20 concurrent jobs"):
        mgn_client.start_test(sourceServerIDs=[ids[-1]])


def test_failed_launch_reports_failed_and_returns_to_ready_for_test(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    ok, bad = _ready_servers(mgn_emulator, mgn_client, private_template, 2)
    mgn_emulator.launch.faults.fail_launch.add(bad)
    events: list[dict[str, Any]] = []
    mgn_emulator.set_event_sink(events.append)
    job = mgn_client.start_test(sourceServerIDs=[ok, bad])["job"]
    mgn_emulator.clock.advance(HOUR)
    statuses = {p["sourceServerID"]: p["launchStatus"] for p in _jobs(mgn_client, job["jobID"])["participatingServers"]}
    assert statuses == {ok: "LAUNCHED", bad: "FAILED"}
    assert mgn_emulator.source_server(bad)["lifeCycle"]["state"] == "READY_FOR_TEST"
    states = sorted(e["detail"]["state"] for e in events if e["detail-type"] == LAUNCH_RESULT_EVENT)
    assert states == ["TEST_LAUNCH_FAILED", "TEST_LAUNCH_SUCCEEDED"]


def test_lost_and_duplicated_launch_events_follow_the_knobs(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    events: list[dict[str, Any]] = []
    mgn_emulator.set_event_sink(events.append)
    mgn_emulator.event_faults(duplicate=2)
    mgn_client.start_test(sourceServerIDs=[server_id])
    mgn_emulator.clock.advance(HOUR)
    launch_events = [e for e in events if e["detail-type"] == LAUNCH_RESULT_EVENT]
    assert len(launch_events) == 2
    assert launch_events[0]["id"] == launch_events[1]["id"]


def test_change_lifecycle_then_cutover_finalize_and_archive(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    mgn_client.start_test(sourceServerIDs=[server_id])
    with pytest.raises(mgn_client.exceptions.ConflictException, match="job for it is still running"):
        mgn_client.change_server_life_cycle_state(sourceServerID=server_id, lifeCycle={"state": "READY_FOR_CUTOVER"})
    mgn_emulator.clock.advance(HOUR)
    mgn_client.change_server_life_cycle_state(sourceServerID=server_id, lifeCycle={"state": "READY_FOR_CUTOVER"})
    with pytest.raises(mgn_client.exceptions.ConflictException, match="CUTTING_OVER"):
        mgn_client.finalize_cutover(sourceServerID=server_id)
    job = mgn_client.start_cutover(sourceServerIDs=[server_id])["job"]
    assert job["initiatedBy"] == "START_CUTOVER"
    mgn_emulator.clock.advance(HOUR)
    finalized = mgn_client.finalize_cutover(sourceServerID=server_id)
    assert finalized["lifeCycle"]["state"] == "CUTOVER"
    assert finalized["dataReplicationInfo"]["dataReplicationState"] == "DISCONNECTED"
    assert mgn_client.mark_as_archived(sourceServerID=server_id)["isArchived"] is True


def test_change_lifecycle_without_lag_duration_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    mgn_client.create_replication_configuration_template(**private_template)
    server_id = mgn_emulator.register_source_server(hostname="db-1.corp.example")
    with pytest.raises(mgn_client.exceptions.ConflictException, match="lagDuration is null"):
        mgn_client.change_server_life_cycle_state(sourceServerID=server_id, lifeCycle={"state": "READY_FOR_TEST"})


def test_revert_test_changes_state_then_terminates_the_instance(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    job = mgn_client.start_test(sourceServerIDs=[server_id])["job"]
    mgn_emulator.clock.advance(HOUR)
    instance_id = _jobs(mgn_client, job["jobID"])["participatingServers"][0]["launchedEc2InstanceID"]
    # TESTING servers cannot be terminated (the model's words): revert the state first
    with pytest.raises(mgn_client.exceptions.ConflictException, match="TESTING"):
        mgn_client.terminate_target_instances(sourceServerIDs=[server_id])
    mgn_client.change_server_life_cycle_state(sourceServerID=server_id, lifeCycle={"state": "READY_FOR_TEST"})
    terminate = mgn_client.terminate_target_instances(sourceServerIDs=[server_id])["job"]
    assert terminate["type"] == "TERMINATE"
    mgn_emulator.clock.advance(HOUR)
    ec2 = boto3.client("ec2", region_name=mgn_emulator.region)
    state = ec2.describe_instances(InstanceIds=[instance_id])["Reservations"][0]["Instances"][0]["State"]["Name"]
    assert state == "terminated"
    assert "launchedInstance" not in mgn_emulator.source_server(server_id)


def test_update_launch_configuration_keeps_what_it_was_given(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    (server_id,) = _ready_servers(mgn_emulator, mgn_client, private_template, 1)
    before = mgn_client.get_launch_configuration(sourceServerID=server_id)
    assert before["ec2LaunchTemplateID"].startswith("lt-")
    after = mgn_client.update_launch_configuration(
        sourceServerID=server_id, copyPrivateIp=True, launchDisposition="STARTED"
    )
    assert after["copyPrivateIp"] is True
    assert mgn_client.get_launch_configuration(sourceServerID=server_id)["copyPrivateIp"] is True
    with pytest.raises(mgn_client.exceptions.ValidationException):
        mgn_client.update_launch_configuration(sourceServerID=server_id, launchDisposition="RUNNING")  # type: ignore[arg-type]


def _post_launch(client: MgnClient, server_id: str, deployment: str = "TEST_AND_CUTOVER") -> None:
    client.update_launch_configuration(
        sourceServerID=server_id,
        postLaunchActions={
            "deployment": deployment,  # type: ignore[typeddict-item]
            "ssmDocuments": [
                {"actionName": "cleanup", "ssmDocumentName": "AWS-RunShellScript"},
                {"actionName": "monitoring", "ssmDocumentName": "AWSMigration-InstallCloudWatchAgent"},
            ],
        },
    )


def _statuses(client: MgnClient, job_id: str) -> list[tuple[str, str]]:
    (participant,) = _jobs(client, job_id)["participatingServers"]
    listed = participant.get("postLaunchActionsStatus", {}).get("postLaunchActionsLaunchStatusList", [])
    return [(s["ssmDocument"]["actionName"], s["executionStatus"]) for s in listed]


def test_post_launch_actions_run_after_the_launch_and_end_as_the_knobs_say(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given two servers with two post-launch actions each; the first action of one fails
    ok_id, failing_id = _ready_servers(mgn_emulator, mgn_client, private_template, 2)
    for server_id in (ok_id, failing_id):
        _post_launch(mgn_client, server_id)
    mgn_emulator.launch.faults.fail_post_launch.add(failing_id)
    timing = mgn_emulator.launch.timing
    # When the launch completes
    ok_job = mgn_client.start_test(sourceServerIDs=[ok_id])["job"]["jobID"]
    failing_job = mgn_client.start_test(sourceServerIDs=[failing_id])["job"]["jobID"]
    mgn_emulator.clock.advance(timing.start_seconds + timing.launch_seconds)
    # Then the job is COMPLETED while the actions still run
    assert _jobs(mgn_client, ok_job)["status"] == "COMPLETED"
    assert _statuses(mgn_client, ok_job) == [("cleanup", "IN_PROGRESS"), ("monitoring", "IN_PROGRESS")]
    (participant,) = _jobs(mgn_client, ok_job)["participatingServers"]
    assert participant["postLaunchActionsStatus"]["ssmAgentDiscoveryDatetime"].endswith("Z")
    # And after their time they ended: SUCCESS, or FAILED with the reason
    mgn_emulator.clock.advance(timing.post_launch_seconds)
    assert _statuses(mgn_client, ok_job) == [("cleanup", "SUCCESS"), ("monitoring", "SUCCESS")]
    assert _statuses(mgn_client, failing_job) == [("cleanup", "FAILED"), ("monitoring", "SUCCESS")]
    (failed,) = _jobs(mgn_client, failing_job)["participatingServers"]
    assert failed["postLaunchActionsStatus"]["postLaunchActionsLaunchStatusList"][0]["failureReason"]


def test_post_launch_actions_slow_knob_and_deployment_and_ssm(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given: slow actions; actions for cutover only; actions on an instance whose SSM Agent never comes online
    slow_id, cutover_only_id, offline_id = _ready_servers(mgn_emulator, mgn_client, private_template, 3)
    _post_launch(mgn_client, slow_id)
    _post_launch(mgn_client, cutover_only_id, "CUTOVER_ONLY")
    _post_launch(mgn_client, offline_id)
    mgn_emulator.launch.faults.slow_post_launch.add(slow_id)
    mgn_emulator.launch.faults.ssm_offline.add(offline_id)
    timing = mgn_emulator.launch.timing
    # When
    job = mgn_client.start_test(sourceServerIDs=[slow_id, cutover_only_id, offline_id])["job"]["jobID"]
    mgn_emulator.clock.advance(timing.start_seconds + timing.launch_seconds + timing.post_launch_seconds)
    # Then
    participants = {p["sourceServerID"]: p for p in _jobs(mgn_client, job)["participatingServers"]}
    listed = participants[slow_id]["postLaunchActionsStatus"]["postLaunchActionsLaunchStatusList"]
    assert {s["executionStatus"] for s in listed} == {"IN_PROGRESS"}
    assert "postLaunchActionsStatus" not in participants[cutover_only_id]  # a test launch runs none of them
    assert "postLaunchActionsStatus" not in participants[offline_id]  # MGN never found its SSM Agent
    mgn_emulator.clock.advance(timing.slow_post_launch_seconds)
    listed = _jobs(mgn_client, job)["participatingServers"]
    slow = next(p for p in listed if p["sourceServerID"] == slow_id)
    assert {s["executionStatus"] for s in slow["postLaunchActionsStatus"]["postLaunchActionsLaunchStatusList"]} == {
        "SUCCESS"
    }
