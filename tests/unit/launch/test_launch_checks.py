"""The launch checks beyond EC2 and SSM: the port list from the source server's tag, the post-launch
actions MGN reports, and the verdicts they give."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.launch.models import LaunchStage, ServerLaunch, Verdict
from mgn_wave.launch.plan import server_launch
from mgn_wave.launch.ports import CHECK_PORTS_TAG, MAX_CHECK_PORTS, check_ports_of
from mgn_wave.launch.settings import post_launch_actions_expected
from mgn_wave.launch.verdict import InstanceHealth, PostLaunchAction, judge, post_launch_actions

HEALTHY = ("running", "ok", "ok", "Online")


def _record(**fields: Any) -> ServerLaunch:
    return ServerLaunch(
        source_server_id="s-0123456789abcdefg", instance_id="i-0123456789abcdef0", launch_status="LAUNCHED", **fields
    )


# ---- the tag ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "ports"), [("22", (22,)), ("22,443", (22, 443)), ("1,65535", (1, 65535)), ("0443", (443,))]
)
def test_check_ports_of_reads_the_allowed_form(value: str, ports: tuple[int, ...]) -> None:
    assert check_ports_of({CHECK_PORTS_TAG: value}) == ports


def test_check_ports_of_without_the_tag_checks_no_port() -> None:
    assert check_ports_of({"Name": "web-1"}) == ()
    assert check_ports_of(None) == ()


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0",
        "65536",
        "22, 443",
        "22;443",
        "22,",
        "-1",
        "ssh",
        "22,22",
        "443 && curl evil",
        ",".join(str(p) for p in range(1, MAX_CHECK_PORTS + 2)),
    ],
)
def test_check_ports_of_refuses_anything_else_naming_the_tag_and_the_form(value: str) -> None:
    with pytest.raises(InvalidInputError) as raised:
        check_ports_of({CHECK_PORTS_TAG: value})
    assert raised.value.field == f"tags.{CHECK_PORTS_TAG}"
    assert "1-65535" in raised.value.problem and "comma-separated" in raised.value.problem
    assert value not in str(raised.value) or value in raised.value.problem  # the value itself is never echoed


@given(st.text(max_size=40))
def test_check_ports_of_any_text_is_ports_in_range_or_a_typed_refusal(value: str) -> None:
    try:
        ports = check_ports_of({CHECK_PORTS_TAG: value})
    except InvalidInputError as error:
        assert error.field == f"tags.{CHECK_PORTS_TAG}"
        return
    assert 1 <= len(ports) <= MAX_CHECK_PORTS
    assert all(1 <= port <= 65535 for port in ports)
    assert len(set(ports)) == len(ports)


def test_server_with_a_bad_tag_fails_at_plan_and_is_not_launched() -> None:
    server = {
        "sourceServerID": "s-0123456789abcdefg",
        "isArchived": False,
        "lifeCycle": {"state": "READY_FOR_TEST"},
        "dataReplicationInfo": {"lagDuration": "PT0S"},
        "tags": {CHECK_PORTS_TAG: "22;rm -rf /"},
    }
    record = server_launch(server, LaunchStage.TEST)
    assert record.verdict is Verdict.FAILED  # not PENDING: no job takes it
    assert CHECK_PORTS_TAG in record.reason and "rm -rf" not in record.reason
    assert server_launch({**server, "tags": {CHECK_PORTS_TAG: "22,443"}}, LaunchStage.TEST).check_ports == [22, 443]


# ---- post-launch actions --------------------------------------------------------------------


def _participant(*statuses: tuple[str, str]) -> dict[str, Any]:
    return {
        "sourceServerID": "s-0123456789abcdefg",
        "postLaunchActionsStatus": {
            "ssmAgentDiscoveryDatetime": "2026-01-01T00:00:00Z",
            "postLaunchActionsLaunchStatusList": [
                {
                    "ssmDocument": {"actionName": name, "ssmDocumentName": "AWS-RunShellScript"},
                    "ssmDocumentType": "COMMAND",
                    "executionID": f"exec-{name}",
                    "executionStatus": status,
                    **({"failureReason": "exit status 1"} if status == "FAILED" else {}),
                }
                for name, status in statuses
            ],
        },
    }


def test_post_launch_actions_reads_describe_jobs_shape() -> None:
    actions = post_launch_actions(_participant(("cleanup", "SUCCESS"), ("agent", "FAILED")))
    assert actions == (
        PostLaunchAction("cleanup", "SUCCESS", "exec-cleanup", ""),
        PostLaunchAction("agent", "FAILED", "exec-agent", "exit status 1"),
    )
    assert post_launch_actions({"sourceServerID": "s-0123456789abcdefg"}) == ()


@pytest.mark.parametrize(
    ("statuses", "expected", "settled", "verdict", "words"),
    [
        ((("cleanup", "SUCCESS"),), 1, False, Verdict.PASSED, "1 post-launch action(s) succeeded"),
        ((("cleanup", "FAILED"),), 1, False, Verdict.FAILED, "post-launch action cleanup FAILED"),
        ((("cleanup", "SUCCESS"), ("agent", "FAILED")), 2, False, Verdict.FAILED, "agent FAILED"),
        ((("cleanup", "IN_PROGRESS"),), 1, False, Verdict.PENDING, "still IN_PROGRESS: cleanup"),
        ((("cleanup", "IN_PROGRESS"),), 1, True, Verdict.FAILED, "still IN_PROGRESS when the checks ended"),
        ((), 1, False, Verdict.PENDING, "not started by MGN"),
        ((), 1, True, Verdict.FAILED, "not started by MGN"),
        ((), 0, False, Verdict.PASSED, "SSM Online"),
    ],
)
def test_judge_gates_on_post_launch_actions(
    statuses: tuple[tuple[str, str], ...], expected: int, settled: bool, verdict: Verdict, words: str
) -> None:
    actions = post_launch_actions(_participant(*statuses))
    record = judge(_record(post_launch_expected=expected), InstanceHealth(*HEALTHY, actions), settled=settled)
    assert record.verdict is verdict
    assert words in record.reason
    if verdict is Verdict.FAILED:
        assert record.hint


def test_failed_post_launch_action_hint_names_its_ssm_execution() -> None:
    actions = post_launch_actions(_participant(("agent", "FAILED")))
    record = judge(_record(post_launch_expected=1), InstanceHealth(*HEALTHY, actions), settled=False)
    assert "exec-agent" in record.hint and "exit status 1" in record.reason


@pytest.mark.parametrize(
    ("deployment", "cutover", "expected"),
    [
        ("TEST_AND_CUTOVER", False, 2),
        ("TEST_AND_CUTOVER", True, 2),
        ("TEST_ONLY", True, 0),
        ("CUTOVER_ONLY", False, 0),
        ("CUTOVER_ONLY", True, 2),
        (None, False, 0),  # unset: not demanded (undocumented), still judged when MGN reports them
    ],
)
def test_post_launch_actions_expected_follows_the_deployment(
    deployment: str | None, cutover: bool, expected: int
) -> None:
    documents = [{"actionName": "a", "ssmDocumentName": "d"}, {"actionName": "b", "ssmDocumentName": "d"}]
    actions: dict[str, Any] = {"ssmDocuments": documents}
    if deployment:
        actions["deployment"] = deployment
    assert post_launch_actions_expected({"postLaunchActions": actions}, cutover=cutover) == expected


# ---- ports ----------------------------------------------------------------------------------


def test_judge_waits_for_the_probe_then_fails_naming_the_closed_port() -> None:
    record = judge(_record(check_ports=[22, 8443]), InstanceHealth(*HEALTHY), settled=True)
    assert record.verdict is Verdict.PENDING  # not probed yet
    record = judge(_record(check_ports=[22, 8443]), InstanceHealth(*HEALTHY, closed_ports=(8443,)), settled=False)
    assert record.verdict is Verdict.FAILED
    assert "TCP 8443" in record.reason and "TCP 8443" in record.hint and "TCP 22" not in record.reason
    record = judge(_record(check_ports=[22, 8443]), InstanceHealth(*HEALTHY, closed_ports=()), settled=False)
    assert record.verdict is Verdict.PASSED and "TCP 22,8443 answered" in record.reason
