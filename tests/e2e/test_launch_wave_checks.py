"""LaunchWave's checks end to end: the port list from each source server's tag probed from the
target subnet (the PortProbe function in the target VPC), and MGN's post-launch actions gating
READY_FOR_CUTOVER and FinalizeCutover."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from launching import deploy_and_replicate, launch, read_report, state

from mgn_wave.launch.ports import CHECK_PORTS_TAG
from mgn_wave_emu.operator import start_and_approve

if TYPE_CHECKING:
    from mgn_wave_emu.harness import EmulatedAws


def _tag(aws: EmulatedAws, server_id: str, value: str) -> None:
    mgn = aws.client("mgn")
    arn = mgn.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"][0]["arn"]
    mgn.tag_resource(resourceArn=arn, tags={CHECK_PORTS_TAG: value})


def _admit_from_target_group(aws: EmulatedAws, group: str, port: int) -> None:
    """The target group admits `port` from its own members: the PortProbe function is one of them."""
    aws.client("ec2").authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {"IpProtocol": "tcp", "FromPort": port, "ToPort": port, "UserIdGroupPairs": [{"GroupId": group}]}
        ],
    )


def _started_servers(aws: EmulatedAws, kind: str) -> set[str]:
    return {server_id for call in aws.calls.of("mgn", kind) for server_id in json.loads(call.body)["sourceServerIDs"]}


def test_ports_from_the_tag_are_probed_from_the_target_subnet(aws: EmulatedAws) -> None:
    # Given: app-1 asks for 443 (admitted by the target group), api-1 for 443 and 8443 (8443 is not
    # admitted), web-1's tag is not in the allowed form
    ids = deploy_and_replicate(aws)
    _admit_from_target_group(aws, ids["sg"], 443)
    _tag(aws, ids["app-1"], "443")
    _tag(aws, ids["api-1"], "443,8443")
    _tag(aws, ids["web-1"], "22;reboot")
    # When
    result = launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1")
    # Then
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = read_report(aws, result)
    assert report[ids["app-1"]]["verdict"] == "PASSED"
    assert "TCP 443 answered" in report[ids["app-1"]]["reason"]
    assert state(aws, ids["app-1"]) == "READY_FOR_CUTOVER"
    assert report[ids["api-1"]]["verdict"] == "FAILED"
    assert "TCP 8443" in report[ids["api-1"]]["reason"] and "TCP 443," not in report[ids["api-1"]]["reason"]
    assert "TCP 8443" in report[ids["api-1"]]["hint"]
    assert state(aws, ids["api-1"]) == "TESTING"  # never marked ready
    # web-1: a typed finding naming the tag and the form; never launched
    assert report[ids["web-1"]]["verdict"] == "FAILED"
    assert f"tags.{CHECK_PORTS_TAG}" in report[ids["web-1"]]["reason"]
    (finding,) = [f for f in result.output["plan"]["findings"] if f["code"] == "CHECK_PORTS_TAG_INVALID"]
    assert finding["resource"] == ids["web-1"] and "1-65535" in finding["message"]
    assert "reboot" not in json.dumps(report) and "reboot" not in json.dumps(result.output)
    assert ids["web-1"] not in _started_servers(aws, "StartTest")
    assert state(aws, ids["web-1"]) == "READY_FOR_TEST"
    # The probe ran in the PortProbe function, invoked by ConcludeLaunch only
    probes = [c for c in aws.calls.of("lambda", "Invoke") if c.principal == "ConcludeLaunchFunction"]
    assert probes


def test_port_with_nothing_listening_fails_with_the_port_in_the_hint(aws: EmulatedAws) -> None:
    ids = deploy_and_replicate(aws)
    _admit_from_target_group(aws, ids["sg"], 5432)
    _tag(aws, ids["app-1"], "5432")
    aws.mgn.launch.faults.not_listening[ids["app-1"]] = {5432}
    result = launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    verdict = read_report(aws, result)[ids["app-1"]]
    assert verdict["verdict"] == "FAILED" and "TCP 5432" in verdict["hint"]
    assert state(aws, ids["app-1"]) == "TESTING"


def _post_launch_actions(aws: EmulatedAws, server_id: str) -> None:
    aws.client("mgn").update_launch_configuration(
        sourceServerID=server_id,
        postLaunchActions={
            "deployment": "CUTOVER_ONLY",
            "ssmDocuments": [{"actionName": "cleanup", "ssmDocumentName": "AWS-RunShellScript"}],
        },
    )


def test_cutover_finalizes_only_servers_whose_post_launch_actions_succeeded(aws: EmulatedAws) -> None:
    # Given: tested and ready; on cutover app-1's action succeeds, api-1's fails, web-1's is slow
    ids = deploy_and_replicate(aws)
    assert launch(aws, {"waveId": "wave-01", "stage": "test"}, "test-1").status == "SUCCEEDED"
    for name in ("web-1", "app-1", "api-1"):
        _post_launch_actions(aws, ids[name])
    aws.mgn.launch.faults.fail_post_launch.add(ids["api-1"])
    aws.mgn.launch.faults.slow_post_launch.add(ids["web-1"])
    # When
    cut = aws.wait(start_and_approve(aws, {"waveId": "wave-01", "stage": "cutover"}, "cutover-1"), timeout_seconds=240)
    # Then
    assert cut.status == "SUCCEEDED", (cut.error, cut.cause)
    report = read_report(aws, cut)
    assert report[ids["app-1"]]["verdict"] == "PASSED"
    assert [a["status"] for a in report[ids["app-1"]]["postLaunchActions"]] == ["SUCCESS"]
    assert state(aws, ids["app-1"]) == "CUTOVER"
    failed: dict[str, Any] = report[ids["api-1"]]
    assert failed["verdict"] == "FAILED" and "post-launch action cleanup FAILED" in failed["reason"]
    assert "SSM execution" in failed["hint"]
    slow: dict[str, Any] = report[ids["web-1"]]
    assert slow["verdict"] == "FAILED" and "still IN_PROGRESS when the checks ended" in slow["reason"]
    assert {state(aws, ids["api-1"]), state(aws, ids["web-1"])} == {"CUTTING_OVER"}  # neither finalized
    finalized = {json.loads(call.body)["sourceServerID"] for call in aws.calls.of("mgn", "FinalizeCutover")}
    assert finalized == {ids["app-1"]}
    # And once the slow action has succeeded, the finalize stage finalizes web-1 (api-1 still failed)
    aws.clock.sleep(aws.mgn.launch.timing.slow_post_launch_seconds)
    result = launch(aws, {"waveId": "wave-01", "stage": "finalize"}, "finalize-1")
    assert result.status == "SUCCEEDED", (result.error, result.cause)
    report = read_report(aws, result)
    assert report[ids["web-1"]]["verdict"] == "PASSED"
    assert state(aws, ids["web-1"]) == "CUTOVER"
    assert report[ids["api-1"]]["verdict"] == "FAILED"
    assert state(aws, ids["api-1"]) == "CUTTING_OVER"
