"""A server tagged with the wave key starts its wave, whichever way the tagging is seen (aws.tag,
CloudTrail, the scheduled reconciliation); duplicated or overlapping events start nothing new."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import TYPE_CHECKING

from mgn_wave.waves.tag_trigger import execution_name_for
from mgn_wave_emu.scenario import load_scenario, parse_scenario

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


# --- hybrid nodes: the CloudTrail record of the tagging, and the scheduled reconciliation ------------

CLOUDTRAIL_EVENT = json.loads(
    (Path(__file__).resolve().parents[2] / "events" / "tag_trigger_cloudtrail_add_tags.json").read_text()
)


def _cloudtrail_event(node: str, event_id: str = "7a1e0c52-5d8b-4f1e-9c6e-222222222222") -> dict:
    event = copy.deepcopy(CLOUDTRAIL_EVENT)
    event["id"] = event_id
    event["detail"]["requestParameters"]["resourceId"] = node
    return event


def _tag_event(node: str) -> dict:
    event = copy.deepcopy(EVENT)
    event["resources"] = [f"arn:aws:ssm:us-east-1:123456789012:managed-instance/{node}"]
    return event


def test_cloudtrail_add_tags_event_starts_one_execution_for_that_node(aws: EmulatedAws) -> None:
    # Given
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    assert aws.fleet is not None
    node = aws.fleet.node("api-1").node_id
    # When: EventBridge delivers the CloudTrail record of AddTagsToResource on the node
    assert aws.put_event(_cloudtrail_event(node)) == 1
    # Then: one execution, named by wave and node, that migrates that node alone
    (execution,) = _executions(aws)
    assert execution["name"] == execution_name_for("wave-01", node)
    result = aws.wait(execution["executionArn"])
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    assert result.output["input"]["instanceIds"] == [node]
    assert list(aws.server_results(result.output)) == ["api-1"]


def test_duplicate_cloudtrail_delivery_and_the_tag_event_for_the_same_node_start_one_execution(
    aws: EmulatedAws,
) -> None:
    # Given
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    assert aws.fleet is not None
    node = aws.fleet.node("api-1").node_id
    # When: the CloudTrail record arrives twice (two deliveries, one event ID) and the aws.tag event
    # for the same tagging too, with its own ID
    deliveries = [aws.put_event(_cloudtrail_event(node)), aws.put_event(_cloudtrail_event(node))]
    deliveries.append(aws.put_event(_tag_event(node)))
    # Then: every delivery reached the trigger, and one execution runs
    assert deliveries == [1, 1, 1]
    (execution,) = _executions(aws)
    assert aws.lambdas is not None
    assert {i.result["execution"] for i in aws.lambdas.of("TagTriggerFunction")} == {execution["name"]}
    result = aws.wait(execution["executionArn"])
    assert list(aws.server_results(result.output)) == ["api-1"]
    # and a late redelivery after the wave ended starts nothing either
    aws.put_event(_tag_event(node))
    assert len(_executions(aws)) == 1


def test_reconciliation_starts_only_tagged_nodes_no_wave_has_taken(aws: EmulatedAws) -> None:
    # Given seed-clean: web-1, app-1, api-1 and db-1 carry MigrationWave=wave-01, web-1 is already
    # registered with MGN; api-1 was started by its tag event; a node tagged for wave-02 joins later
    built = aws.build_scenario("seed-clean")
    aws.deploy(dict(built.stack_parameters))
    assert aws.fleet is not None
    nodes = {name: aws.fleet.node(name).node_id for name in ("web-1", "app-1", "api-1", "db-1")}
    aws.put_event(_tag_event(nodes["api-1"]))
    (by_event,) = _executions(aws)
    aws.wait(by_event["executionArn"])
    aws.client("ssm").add_tags_to_resource(
        ResourceType="ManagedInstance", ResourceId=nodes["db-1"], Tags=[{"Key": "MigrationWave", "Value": "wave-02"}]
    )
    # When the schedule ticks, twice
    first = aws.fire_schedule("ReconcileTaggedNodes")
    second = aws.fire_schedule("ReconcileTaggedNodes")
    # Then the first tick starts app-1 (wave-01) and db-1 (wave-02) only, the second nothing new
    assert first.error_type is None
    assert sorted(first.result["started"]) == sorted(
        [execution_name_for("wave-01", nodes["app-1"]), execution_name_for("wave-02", nodes["db-1"])]
    )
    assert first.result["tagged"] == 4
    assert second.result["started"] == []
    executions = _executions(aws)
    assert sorted(e["name"] for e in executions) == sorted([by_event["name"], *first.result["started"]])
    for execution in executions:
        aws.wait(execution["executionArn"])


def test_without_a_trail_preflight_warns_no_cloudtrail_event_arrives_and_reconciliation_starts_the_node(
    aws: EmulatedAws,
) -> None:
    # Given an account without a CloudTrail trail
    data = load_scenario("seed-clean").model_dump(mode="json")
    data["cloudtrail"] = False
    built = aws.build_scenario(parse_scenario(data))
    aws.deploy(dict(built.stack_parameters))
    assert aws.fleet is not None
    node = aws.fleet.node("api-1").node_id
    # When the node is tagged: EventBridge gets no CloudTrail record of it
    assert aws.put_event(_cloudtrail_event(node)) == 0
    assert _executions(aws) == []
    # Then the schedule's tick starts it, and its wave's Preflight says why events did not
    tick = aws.fire_schedule("ReconcileTaggedNodes")
    assert execution_name_for("wave-01", node) in tick.result["started"]
    by_name = {e["name"]: e for e in _executions(aws)}
    result = aws.wait(by_name[execution_name_for("wave-01", node)]["executionArn"])
    warnings = [f for f in result.output["preflight"]["findings"] if f["severity"] == "WARNING"]
    assert [f["code"] for f in warnings] == ["CLOUDTRAIL_TRAIL_MISSING"]
    assert "has no CloudTrail trail" in warnings[0]["message"]
    for execution in _executions(aws):
        aws.wait(execution["executionArn"])
