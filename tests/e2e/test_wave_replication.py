"""Waiting for replication inside MigrateWave: event-driven, polling only as the fallback."""

from __future__ import annotations

import json
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


def test_replication_healthy_is_decided_by_the_event_without_polling(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    result = aws.run({"wave": "wave-01"})
    assert _verdicts(aws, result) == {name: ("SUCCEEDED", "HEALTHY") for name in NEW_LINUX}
    assert _entered(aws, "PollReplication") == 0  # the 6-hour fallback never fired
    assert _entered(aws, "AwaitReplication") == len(NEW_LINUX)


def test_replication_blocked_1500_stalls_with_the_private_path_hint(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: the data centre's firewall drops TCP 1500 from api-1 (AWS cannot see it: preflight passes)
    deployed("seed-clean")
    aws.block_on_premises("api-1")
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    servers = aws.server_results(result.output)
    assert (servers["api-1"]["status"], servers["api-1"]["phase"]) == ("FAILED", "STALLED")
    assert "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER" in servers["api-1"]["reason"]
    assert "1500" in servers["api-1"]["hint"]
    assert servers["app-1"]["status"] == "SUCCEEDED"


def test_replication_every_event_lost_fallback_reaches_the_same_verdicts(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    aws.mgn.event_faults(lose=1.0)
    result = aws.run({"wave": "wave-01"})
    assert _verdicts(aws, result) == {name: ("SUCCEEDED", "HEALTHY") for name in NEW_LINUX}
    assert _entered(aws, "PollReplication") >= len(NEW_LINUX)
    assert aws.lambdas is not None
    assert aws.lambdas.of("ReplicationEventFunction") == []


def test_replication_events_delivered_three_times_complete_each_server_once(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    deployed("seed-clean")
    aws.mgn.event_faults(duplicate=3)
    result = aws.run({"wave": "wave-01"})
    assert _verdicts(aws, result) == {name: ("SUCCEEDED", "HEALTHY") for name in NEW_LINUX}
    assert aws.lambdas is not None
    deliveries = aws.lambdas.of("ReplicationEventFunction")
    completions = sum(i.result["completed"] for i in deliveries if i.result)
    assert len(deliveries) >= 3 * len(NEW_LINUX)
    assert completions == len(NEW_LINUX)


def test_replication_deadline_fails_the_slow_server_with_its_last_phase(aws: EmulatedAws) -> None:
    # Given: a wave that may wait one hour; app-1's 120 GiB take about three, api-1's 16 GiB half an hour
    built = aws.build_scenario("seed-clean")
    aws.deploy({**built.stack_parameters, "ReplicationDeadlineHours": "1", "ReplicationPollMinutes": "30"})
    # When
    result = aws.run({"wave": "wave-01"})
    # Then
    servers = aws.server_results(result.output)
    assert (servers["app-1"]["status"], servers["app-1"]["phase"]) == ("FAILED", "SYNCING")
    assert "deadline" in servers["app-1"]["reason"].lower()
    assert servers["api-1"]["status"] == "SUCCEEDED"


def test_replication_already_healthy_server_completes_without_waiting(aws: EmulatedAws) -> None:
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
    # Then: the verdict came back at once, no token was parked, no virtual time passed
    assert result.status == "SUCCEEDED"
    assert result.output["outcome"] == "SUCCEEDED"
    assert aws.clock.now() == before
    table = stack.tables["StateTable"].table_name
    assert aws.client("dynamodb").scan(TableName=table)["Items"] == []
