"""The wave-level watch and the stalled grace, on the emulated AWS: verdicts when every event is
lost, a firewall fixed while MGN retries, stopped waves, two waves on one server, throttling and
a crash in the middle of a pass."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mgn_wave_emu.hooks import FaultPlan

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.stack import EmulatedStack

NEW_LINUX = ("app-1", "api-1")


def _server_id(aws: EmulatedAws, fleet_name: str) -> str:
    assert aws.fleet is not None
    hostname = aws.fleet.node(fleet_name).computer_name
    for server_id in aws.mgn.source_server_ids():
        hints = aws.mgn.source_server(server_id)["sourceProperties"]["identificationHints"]
        if hints["hostname"] == hostname:
            return server_id
    raise AssertionError(f"{fleet_name} is not registered")


def _first_stall(aws: EmulatedAws, fleet_name: str) -> datetime | None:
    try:
        arn = aws.mgn.source_server(_server_id(aws, fleet_name))["arn"]
    except AssertionError:
        return None
    for event in aws.mgn.replication.emitted:
        if event["resources"] == [arn] and event["detail"]["state"] == "STALLED":
            return datetime.fromisoformat(event["time"])
    return None


def _passes(aws: EmulatedAws) -> list[dict[str, Any]]:
    assert aws.lambdas is not None
    return [i.result for i in aws.lambdas.of("ReplicationWatchFunction") if i.result]


def test_stalled_server_whose_firewall_is_fixed_ten_minutes_later_succeeds(aws: EmulatedAws) -> None:
    # Given: api-1's TCP 1500 is dropped on premises; MGN retries the initiation every 5 minutes
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    aws.block_on_premises("api-1")
    network = aws.network_oracle
    fixed: list[datetime] = []

    def fix_the_firewall(now: datetime) -> None:
        stalled = _first_stall(aws, "api-1")
        if not fixed and stalled is not None and now >= stalled + timedelta(minutes=10):
            aws.mgn.set_network_oracle(network)  # the operator opens TCP 1500 again
            fixed.append(now)

    aws.clock.on_advance(fix_the_firewall)
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: still waiting during the stall, then SUCCEEDED once MGN's own retry got through
    assert fixed, "the firewall was never fixed: api-1 never stalled"
    servers = aws.server_results(result.output)
    assert {name: servers[name]["status"] for name in NEW_LINUX} == {"app-1": "SUCCEEDED", "api-1": "SUCCEEDED"}
    assert any(p["stillWaiting"] for p in _passes(aws))


def test_stalled_server_never_fixed_fails_only_after_the_grace_period(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    aws.deploy({**built.stack_parameters, "StalledGraceMinutes": "30"})
    aws.block_on_premises("api-1")
    result = aws.run({"wave": "wave-01"})
    servers = aws.server_results(result.output)
    assert (servers["api-1"]["status"], servers["api-1"]["phase"]) == ("FAILED", "STALLED")
    assert "30 minutes after the wave first saw it stalled" in servers["api-1"]["reason"]
    assert "1500" in servers["api-1"]["hint"]
    stalled = _first_stall(aws, "api-1")
    assert stalled is not None
    assert aws.clock.now() >= stalled + timedelta(minutes=30)  # not failed at the first stall


def test_watch_with_nothing_waiting_is_one_query_and_no_mgn_call(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    stack = aws.deploy(dict(built.stack_parameters))
    assert aws.lambdas is not None
    aws.calls.clear()
    answer = aws.lambdas.invoke(stack.functions["ReplicationWatchFunction"], {"source": "aws.events"})
    assert not answer.headers.get("X-Amz-Function-Error"), answer.content
    called = [c.action for c in aws.calls.calls if c.principal == "ReplicationWatchFunction"]
    assert called == ["dynamodb:Query"]


def test_watch_survives_a_crash_mid_pass_and_completes_no_task_twice(aws: EmulatedAws) -> None:
    # Given: every MGN event lost, and the watch dies right after its first SendTaskSuccess
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    aws.mgn.event_faults(lose=1.0)
    plan = FaultPlan(crash_after={"states:SendTaskSuccess": 1})
    aws.inject_faults(plan)
    # When
    result = aws.run({"wave": "wave-01"})
    # Then: both verdicts arrived; the crashed pass's completion was refused on the next pass
    servers = aws.server_results(result.output)
    assert {name: servers[name]["status"] for name in NEW_LINUX} == {"app-1": "SUCCEEDED", "api-1": "SUCCEEDED"}
    assert [c.principal for c in plan.crashed] == ["ReplicationWatchFunction"]
    passes = _passes(aws)
    assert sum(p["completed"] for p in passes) + len(plan.crashed) == len(NEW_LINUX)
    assert sum(p["dropped"] for p in passes) >= 1


def test_watch_survives_throttling(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    aws.mgn.event_faults(lose=1.0)
    plan = FaultPlan(throttle={"mgn": 0.5, "dynamodb": 0.2}, seed=7)
    aws.inject_faults(plan)
    result = aws.wait(aws.start({"wave": "wave-01"}, "run-1"), timeout_seconds=600)
    servers = aws.server_results(result.output)
    assert {name: servers[name]["status"] for name in NEW_LINUX} == {"app-1": "SUCCEEDED", "api-1": "SUCCEEDED"}
    assert any(c.principal == "ReplicationWatchFunction" for c in plan.injected)
    assert sum(p["completed"] for p in _passes(aws)) == len(NEW_LINUX)


# --- tasks waiting on one server, outside MigrateWave --------------------------------------------


def _await_only(aws: EmulatedAws, stack: EmulatedStack) -> None:
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
                        "sourceServerId.$": "$.sourceServerId",
                        "deadline.$": "$.deadline",
                    },
                },
                "TimeoutSeconds": 7 * 86_400,
                "End": True,
            }
        },
    }
    aws.state_machine_arn = aws.client("stepfunctions").create_state_machine(
        name="await-only", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/await"
    )["stateMachineArn"]


def _replicating_server(aws: EmulatedAws) -> str:
    (server_id,) = aws.mgn.source_server_ids()  # web-1, registered before the wave
    aws.client("mgn").update_replication_configuration(  # as EnforceTemplate would have
        sourceServerID=server_id,
        dataPlaneRouting="PRIVATE_IP",
        createPublicIP=False,
        associateDefaultSecurityGroup=False,
    )
    return str(server_id)


# A stopped wave's token is proven ignored in tests/unit/replication/test_watch_steps.py: moto's
# engine ends a stopped execution that waits on a task token only after the token is answered,
# so here a completion can reach it first (AWS stops it at once).


def _parked(aws: EmulatedAws, stack: EmulatedStack) -> int:
    table = stack.tables["StateTable"].table_name
    return int(
        aws.client("dynamodb").query(
            TableName=table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": "WAITING"}}
        )["Count"]
    )


def _until(aws: EmulatedAws, condition: Callable[[], bool]) -> None:
    import time

    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_two_waves_sharing_a_server_each_get_their_verdict(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    stack = aws.deploy(dict(built.stack_parameters))
    server_id = _replicating_server(aws)
    _await_only(aws, stack)
    soon = aws.clock.now() + timedelta(minutes=10)  # long before web-1 is READY_FOR_TEST
    short = aws.start({"sourceServerId": server_id, "deadline": soon.isoformat()}, "wave-short")
    long = aws.start({"sourceServerId": server_id, "deadline": "2030-01-01T00:00:00+00:00"}, "wave-long")
    short_result, long_result = aws.wait(short), aws.wait(long)
    assert (short_result.output["outcome"], long_result.output["outcome"]) == ("FAILED", "SUCCEEDED")
    assert "deadline" in short_result.output["reason"]
    assert _parked(aws, stack) == 0


def test_ready_event_whose_function_dies_after_completing_is_retried_by_lambda_and_completes_nothing_twice(
    aws: EmulatedAws,
) -> None:
    # Given: events flowing; ReplicationReady's process dies right after its first SendTaskSuccess
    # succeeded, before it forgets the token (the Lambda runtime reports Runtime.ExitError)
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    plan = FaultPlan(crash_after={"states:SendTaskSuccess": 1})
    aws.inject_faults(plan)
    # When
    result = aws.wait(aws.start({"wave": "wave-01"}, "run-1"), timeout_seconds=600)
    # Then: both servers SUCCEEDED once; Lambda ran the crashed event again a minute later, and
    # Step Functions refused its second answer (the task no longer waited)
    servers = aws.server_results(result.output)
    assert {name: servers[name]["status"] for name in NEW_LINUX} == {"app-1": "SUCCEEDED", "api-1": "SUCCEEDED"}
    assert [c.principal for c in plan.crashed] == ["ReplicationReadyFunction"]
    assert aws.lambdas is not None
    ready = aws.lambdas.of("ReplicationReadyFunction")
    (crashed,) = [i for i in ready if i.error_type == "Runtime.ExitError"]
    retried = [i for i in ready if i.event is crashed.event and i.error_type is None]
    assert len(retried) == 1 and retried[0].result["dropped"] == 1
    assert crashed.started is not None and retried[0].started is not None
    assert (retried[0].started - crashed.started).total_seconds() == 60
    deciders = [*ready, *aws.lambdas.of("ReplicationWatchFunction"), *aws.lambdas.of("ReplicationEventFunction")]
    assert (
        sum(i.result["completed"] for i in deciders if i.result) == len(NEW_LINUX) - 1
    )  # the crashed one counted none
