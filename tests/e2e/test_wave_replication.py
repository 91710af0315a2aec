"""Waiting for replication inside MigrateWave: event-driven, the wave-level watch as the fallback."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws, ExecutionResult
    from mgn_wave_emu.scenario import BuiltScenario

NEW_LINUX = ("app-1", "api-1")


def _verdicts(aws: EmulatedAws, result: ExecutionResult) -> dict[str, tuple[str, str | None]]:
    servers = aws.server_results(result.output)
    return {name: (servers[name]["status"], servers[name].get("phase")) for name in NEW_LINUX}


def _entered(aws: EmulatedAws, state: str) -> int:
    """Times the state was entered, in the wave's execution and its per-server child executions."""
    return aws.state_entries[state]


def _ready_moments(aws: EmulatedAws) -> dict[str, datetime]:
    """When MGN sent each server's READY_FOR_TEST event (to the microsecond)."""
    replication = aws.mgn.replication
    return {
        event["resources"][0].rsplit("/", 1)[1]: sent
        for event, sent in zip(replication.emitted, replication.emitted_at, strict=True)
        if event["detail"].get("state") == "READY_FOR_TEST"
    }


def test_replication_healthy_is_decided_by_the_event_within_a_second_without_asking_mgn(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    result = aws.run({"wave": "wave-01"})
    assert _verdicts(aws, result) == {name: ("SUCCEEDED", "HEALTHY") for name in NEW_LINUX}
    assert _entered(aws, "PollReplication") == 0  # the deadline's last look never ran
    assert _entered(aws, "AwaitReplication") == len(NEW_LINUX)  # one wait per server, no re-wait
    assert aws.lambdas is not None
    deciding = [i for i in aws.lambdas.of("ReplicationReadyFunction") if i.result and i.result["completed"]]
    assert sum(i.result["completed"] for i in deciding) == len(NEW_LINUX)
    # The READY_FOR_TEST event decided alone: the function made no MGN call at all
    assert [
        c.action for c in aws.calls.calls if c.principal == "ReplicationReadyFunction" and c.service_id == "mgn"
    ] == []
    ready = _ready_moments(aws)
    for invocation in deciding:
        (server_id,) = invocation.result["decidedServers"]
        assert invocation.started is not None
        assert 0 <= (invocation.started - ready[server_id]).total_seconds() <= 1, (server_id, invocation.started)
    # The verdict says where it came from, and when the server became launchable
    servers = aws.server_results(result.output)
    assert all("READY_FOR_TEST" in servers[name]["reason"] for name in NEW_LINUX)


def test_replication_blocked_1500_stalls_with_the_private_path_hint(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: the data centre's firewall drops TCP 1500 from api-1 (AWS cannot see it: preflight passes)
    deployed("seed-clean")
    aws.block_on_premises("api-1")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: FAILED once MGN's own retries went on for the grace period (StalledGraceMinutes, 120)
    servers = aws.server_results(result.output)
    assert (servers["api-1"]["status"], servers["api-1"]["phase"]) == ("FAILED", "STALLED")
    assert "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER" in servers["api-1"]["reason"]
    assert "120 minutes after the wave first saw it stalled" in servers["api-1"]["reason"]
    assert "1500" in servers["api-1"]["hint"]
    assert servers["app-1"]["status"] == "SUCCEEDED"


def test_replication_every_event_lost_the_watch_reaches_the_same_verdicts_within_its_interval(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    aws.mgn.event_faults(lose=1.0)
    result = aws.run({"wave": "wave-01"})
    assert _verdicts(aws, result) == {name: ("SUCCEEDED", "HEALTHY") for name in NEW_LINUX}
    assert _entered(aws, "PollReplication") == 0
    assert _entered(aws, "AwaitReplication") == len(NEW_LINUX)
    assert aws.lambdas is not None
    assert aws.lambdas.of("ReplicationEventFunction") == []
    assert aws.lambdas.of("ReplicationReadyFunction") == []
    passes = [i for i in aws.lambdas.of("ReplicationWatchFunction") if i.result]
    assert sum(p.result["completed"] for p in passes) == len(NEW_LINUX)
    # Each verdict came at most one interval (5 minutes) after the server became READY_FOR_TEST.
    deciding = [p.started for p in passes if p.result["completed"] and p.started]
    for name in NEW_LINUX:
        healthy = datetime.fromisoformat(aws.server_results(result.output)[name]["timings"]["healthy"])
        assert any(0 <= (moment - healthy).total_seconds() <= 300 for moment in deciding), (name, healthy, deciding)


def test_replication_events_delivered_three_times_complete_each_server_once(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    aws.mgn.event_faults(duplicate=3)  # MGN sends each event three times to EventBridge
    assert aws.event_sources is not None
    aws.event_sources.async_duplicates = 2  # and Lambda's asynchronous queue runs each copy twice
    result = aws.run({"wave": "wave-01"})
    assert _verdicts(aws, result) == {name: ("SUCCEEDED", "HEALTHY") for name in NEW_LINUX}
    assert aws.lambdas is not None
    deciders = [
        *aws.lambdas.of("ReplicationReadyFunction"),
        *aws.lambdas.of("ReplicationEventFunction"),
        *aws.lambdas.of("ReplicationWatchFunction"),
    ]
    completions = sum(i.result["completed"] for i in deciders if i.result)
    ready_copies = [
        i for i in aws.lambdas.of("ReplicationReadyFunction") if i.event["detail"]["state"] == "READY_FOR_TEST"
    ]
    # every copy was delivered, one invocation each (web-1, outside the wave, too)
    assert len(ready_copies) == 6 * len(_ready_moments(aws))
    assert completions == len(NEW_LINUX)


def test_replication_deadline_fails_the_slow_server_with_its_last_phase(aws: EmulatedAws) -> None:
    # Given: a wave that may wait one hour; app-1's 120 GiB take about three, api-1's 16 GiB half an hour
    built = aws.build_scenario("seed-clean")
    aws.deploy({**built.stack_parameters, "ReplicationDeadlineHours": "1"})
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    servers = aws.server_results(result.output)
    assert (servers["app-1"]["status"], servers["app-1"]["phase"]) == ("FAILED", "SYNCING")
    assert "deadline" in servers["app-1"]["reason"].lower()
    assert servers["api-1"]["status"] == "SUCCEEDED"


def test_replication_already_healthy_server_is_decided_by_the_next_watch_pass(aws: EmulatedAws) -> None:
    # Given: a server that is already replicating continuously, and a task that waits for it
    built = aws.build_scenario("seed-clean")
    stack = aws.deploy(dict(built.stack_parameters))
    (server_id,) = aws.mgn.source_server_ids()  # web-1, registered before the wave
    aws.client("mgn").update_replication_configuration(  # as EnforceTemplate would have
        sourceServerID=server_id,
        dataPlaneRouting="PRIVATE_IP",
        createPublicIP=False,
        associateDefaultSecurityGroup=False,
    )
    while aws.mgn.source_server(server_id)["lifeCycle"]["state"] != "READY_FOR_TEST":
        moment = aws.mgn.next_change_at()
        assert moment is not None
        aws.clock.advance_to(moment)
    definition = {
        "StartAt": "AwaitReplication",
        "States": {
            "AwaitReplication": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
                "Parameters": {
                    "FunctionName": stack.function("AwaitReplicationFunction").arn,
                    "Payload": {
                        "taskToken.$": "$$.Task.Token",
                        "execution.$": "$$.Execution.Id",
                        "sourceServerId": server_id,
                        "deadline": "2030-01-01T00:00:00Z",
                    },
                },
                "TimeoutSeconds": 3600,
                "End": True,
            }
        },
    }
    aws.state_machine_arn = aws.client("stepfunctions").create_state_machine(
        name="await-only", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/await"
    )["stateMachineArn"]
    before = aws.clock.now()
    # When
    result = aws.run({}, name="await-healthy")
    # Then: the watch's next pass (at most 5 minutes on) decided, and no token is left parked
    assert result.status == "SUCCEEDED"
    assert result.output["outcome"] == "SUCCEEDED"
    assert 0 < (aws.clock.now() - before).total_seconds() <= 300
    table = stack.tables["StateTable"].table_name
    assert aws.client("dynamodb").scan(TableName=table)["Items"] == []
