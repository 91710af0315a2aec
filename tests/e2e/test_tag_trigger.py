"""A server tagged with the wave key starts its wave; a duplicated event starts nothing new."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mgn_wave_emu.harness import EmulatedAws

EVENT = json.loads((Path(__file__).resolve().parents[2] / "events" / "tag_trigger_wave.json").read_text())


def _executions(aws: EmulatedAws) -> list[dict]:
    return aws.client("stepfunctions").list_executions(stateMachineArn=aws.state_machine_arn)["executions"]


def test_tag_event_delivered_three_times_starts_one_execution_for_that_server(aws: EmulatedAws) -> None:
    # Given
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    assert aws.fleet is not None
    node = aws.fleet.node("api-1").node_id
    event = copy.deepcopy(EVENT)
    event["resources"] = [f"arn:aws:ssm:us-east-1:123456789012:managed-instance/{node}"]
    # When: EventBridge delivers the same event (same id) three times
    deliveries = [aws.put_event(event) for _ in range(3)]
    # Then
    assert deliveries == [1, 1, 1]
    (execution,) = _executions(aws)
    assert aws.lambdas is not None
    names = {i.result["execution"] for i in aws.lambdas.of("TagTriggerFunction")}
    assert names == {execution["name"]}
    result = aws.wait(execution["executionArn"])
    assert json.loads(json.dumps(result.output["input"]))["instanceIds"] == [node]
    assert list(aws.server_results(result.output)) == ["api-1"]


def test_tag_event_for_another_key_or_a_removed_tag_starts_nothing(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    other_key = copy.deepcopy(EVENT)
    other_key["detail"]["changed-tag-keys"] = ["Owner"]
    removed = copy.deepcopy(EVENT)
    removed["id"] = "another-event"
    removed["detail"]["tags"] = {"Owner": "app-team"}
    assert aws.put_event(other_key) == 0  # the rule's pattern does not match
    assert aws.put_event(removed) == 1  # it matches, and the function ignores it
    assert _executions(aws) == []


def test_tag_event_redelivered_after_the_wave_finished_starts_nothing(aws: EmulatedAws) -> None:
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    assert aws.fleet is not None
    event = copy.deepcopy(EVENT)
    event["resources"] = [f"arn:aws:ssm:us-east-1:123456789012:managed-instance/{aws.fleet.node('api-1').node_id}"]
    aws.put_event(event)
    (execution,) = _executions(aws)
    aws.wait(execution["executionArn"])
    aws.put_event(event)
    assert len(_executions(aws)) == 1
    assert aws.lambdas is not None
    assert aws.lambdas.of("TagTriggerFunction")[-1].result == {"started": False, "execution": execution["name"]}
