"""LaunchWave's domain: which servers a stage takes, how jobs fit MGN's quotas, the launch
template's drift, and a launched instance's verdict."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.launch.models import LaunchStage, ServerLaunch, Verdict, validate_launch_input
from mgn_wave.launch.plan import (
    MAX_CONCURRENT_JOBS,
    MAX_SERVERS_IN_ACTIVE_JOBS,
    MAX_SERVERS_PER_JOB,
    next_chunks,
    server_launch,
)
from mgn_wave.launch.settings import LaunchTarget, launch_configuration_changes, launch_template_changes
from mgn_wave.launch.verdict import InstanceHealth, judge

TARGET = LaunchTarget(subnet_id="subnet-0123456789abcdef0", security_group_ids=("sg-0123456789abcdef0",))


def _server(state: str = "READY_FOR_TEST", *, lag: str | None = "PT0S", **extra: Any) -> dict[str, Any]:
    return {
        "sourceServerID": "s-0123456789abcdefg",
        "isArchived": False,
        "lifeCycle": {"state": state},
        "dataReplicationInfo": {"lagDuration": lag} if lag else {},
        "sourceProperties": {"identificationHints": {"hostname": "app-1.corp.example"}},
        **extra,
    }


def _ids(n: int, prefix: str = "a") -> list[str]:
    return [f"s-{prefix}{i:016d}" for i in range(n)]


@given(st.integers(min_value=1, max_value=1000))
def test_next_chunks_with_no_active_job_starts_at_most_200_servers(n: int) -> None:
    chunks = next_chunks(_ids(n), [])
    assert sum(len(c) for c in chunks) == min(n, MAX_SERVERS_IN_ACTIVE_JOBS)
    assert all(1 <= len(c) <= MAX_SERVERS_PER_JOB for c in chunks)


def test_next_chunks_n_servers_take_ceil_n_over_200_rounds() -> None:
    waiting, rounds = _ids(1000), 0
    while waiting:
        chunks = next_chunks(waiting, [])
        started = {s for c in chunks for s in c}
        waiting = [s for s in waiting if s not in started]
        rounds += len(chunks)
    assert rounds == math.ceil(1000 / 200)


def test_next_chunks_leave_room_for_other_active_jobs_and_servers_already_in_them() -> None:
    busy = _ids(150, "b")
    active = [{"status": "STARTED", "participatingServers": [{"sourceServerID": s} for s in busy]}]
    chunks = next_chunks([*busy[:10], *_ids(100)], active)
    assert [len(c) for c in chunks] == [50]
    assert not set(chunks[0]) & set(busy)


def test_next_chunks_20_active_jobs_start_nothing() -> None:
    active = [{"status": "STARTED", "participatingServers": []}] * MAX_CONCURRENT_JOBS
    assert next_chunks(_ids(5), active) == []


@pytest.mark.parametrize(
    ("stage", "server", "verdict"),
    [
        (LaunchStage.TEST, _server(), Verdict.PENDING),
        (LaunchStage.TEST, _server(lag=None), Verdict.SKIPPED),
        (LaunchStage.TEST, _server("NOT_READY", lag=None), Verdict.SKIPPED),
        (LaunchStage.CUTOVER, _server(), Verdict.SKIPPED),
        (LaunchStage.CUTOVER, _server("READY_FOR_CUTOVER"), Verdict.PENDING),
        (LaunchStage.REVERT, _server("TESTING"), Verdict.SKIPPED),  # no launched instance
        (
            LaunchStage.REVERT,
            _server("TESTING", launchedInstance={"ec2InstanceID": "i-0123456789abcdef0"}),
            Verdict.PENDING,
        ),
        (
            LaunchStage.FINALIZE,
            _server("CUTTING_OVER", launchedInstance={"ec2InstanceID": "i-0123456789abcdef0"}),
            Verdict.PENDING,
        ),
        (LaunchStage.TEST, _server(isArchived=True), Verdict.SKIPPED),
    ],
)
def test_server_launch_takes_only_servers_the_stage_can_act_on(
    stage: LaunchStage, server: dict[str, Any], verdict: Verdict
) -> None:
    record = server_launch(server, stage)
    assert record.verdict is verdict
    assert (record.reason != "") is (verdict is Verdict.SKIPPED)


def test_launch_template_changes_default_template_reports_public_ip_subnet_and_groups() -> None:
    data = {"InstanceType": "t3.medium", "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True}]}
    changes, new = launch_template_changes(data, TARGET)
    assert {c["field"]: (c["before"], c["after"]) for c in changes} == {
        "NetworkInterfaces[0].SubnetId": (None, TARGET.subnet_id),
        "NetworkInterfaces[0].Groups": (None, list(TARGET.security_group_ids)),
        "NetworkInterfaces[0].AssociatePublicIpAddress": (True, False),
    }
    assert new["InstanceType"] == "t3.medium"  # what the operator tuned stays
    assert new["NetworkInterfaces"][0]["AssociatePublicIpAddress"] is False


def test_launch_template_changes_held_template_reports_nothing() -> None:
    _, held = launch_template_changes({}, TARGET)
    assert launch_template_changes(held, TARGET)[0] == []


def test_launch_configuration_changes_stopped_instances_are_started() -> None:
    assert launch_configuration_changes({"launchDisposition": "STOPPED"}) == {"launchDisposition": "STARTED"}
    assert launch_configuration_changes({"launchDisposition": "STARTED"}) == {}


def _record() -> ServerLaunch:
    return ServerLaunch(
        source_server_id="s-0123456789abcdefg", instance_id="i-0123456789abcdef0", launch_status="LAUNCHED"
    )


@pytest.mark.parametrize(
    ("health", "settled", "verdict", "words"),
    [
        (InstanceHealth("running", "ok", "ok", "Online"), False, Verdict.PASSED, "SSM Online"),
        (InstanceHealth("running", "initializing", "initializing", None), False, Verdict.PENDING, ""),
        (InstanceHealth("running", "ok", "ok", None), False, Verdict.PENDING, ""),
        (InstanceHealth("running", "ok", "ok", None), True, Verdict.FAILED, "not registered"),
        (InstanceHealth("running", "ok", "impaired", "Online"), False, Verdict.FAILED, "instance impaired"),
        (InstanceHealth("stopped", "not-applicable", "not-applicable", None), True, Verdict.FAILED, "stopped"),
        (None, False, Verdict.FAILED, "no longer exists"),
    ],
)
def test_judge_decides_from_status_checks_and_ssm(
    health: InstanceHealth | None, settled: bool, verdict: Verdict, words: str
) -> None:
    record = judge(_record(), health, settled=settled)
    assert record.verdict is verdict
    assert words in record.reason
    assert (record.hint != "") is (verdict is Verdict.FAILED)


@pytest.mark.parametrize(
    ("execution_input", "field"),
    [
        ({"waveId": "wave-01", "stage": "launch"}, "stage"),
        ({"waveId": "wave 01;", "stage": "test"}, "waveId"),
        ({"waveId": "wave-01", "stage": "test", "dryrun": True}, "dryrun"),
        ({"waveId": "wave-01", "stage": "test", "sourceServerIds": ["s-1"]}, "sourceServerIds[0]"),
        ({"stage": "test"}, "waveId"),
    ],
)
def test_validate_launch_input_bad_field_is_named(execution_input: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        validate_launch_input(execution_input)
    assert error.value.field == field


def test_check_target_subnet_without_room_for_every_instance_is_a_blocker() -> None:
    from mgn_wave.launch.target import TARGET_SUBNET_TOO_SMALL, _room
    from mgn_wave.preflight.network import PrivatePathTarget

    path = PrivatePathTarget.model_validate(
        {
            "region": "us-east-1",
            "stagingVpcId": "vpc-0123456789abcdef0",
            "stagingSubnetId": "subnet-0123456789abcdef0",
            "replicationSgIds": ["sg-0123456789abcdef0"],
            "sourceCidrs": ["10.10.0.0/16"],
        }
    )
    (finding,) = _room(path, free_addresses=23, instances=100)
    assert (finding.code, finding.severity.value) == (TARGET_SUBNET_TOO_SMALL, "BLOCKER")
    assert "23 free" in finding.message and "100 instances" in finding.message
    assert _room(path, free_addresses=100, instances=100) == []
