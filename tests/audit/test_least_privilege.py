"""Least privilege, measured: every (service, IAM action) each role's code calls during whole
waves, against what template.yaml grants it. A missing action fails; so does one granted and never
called, unless it is listed below with the path that needs it and why the waves here cannot reach it."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import figures
import pytest
from iam_policies import SAM_TEMPLATES_PATH, STATE_MACHINE_LOGICAL_ID, grants_by_role, sam_policy_templates

from mgn_wave.launch.ports import CHECK_PORTS_TAG
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.hooks import STATE_MACHINE
from mgn_wave_emu.operator import start_and_approve

if TYPE_CHECKING:
    from iam_policies import Grant

LAUNCH_WAVE_LOGICAL_ID = "LaunchWaveStateMachine"
EVENT = json.loads((Path(__file__).resolve().parents[2] / "events" / "tag_trigger_wave.json").read_text())

# Actions that support no resource-level permissions (Service Authorization Reference): the only
# Resource they can be granted on is "*". Anything else on "*" fails the audit.
RESOURCE_STAR_ALLOWED: dict[str, str] = {
    **{
        f"ec2:{action}": "EC2 Describe* actions have no resource-level permissions"
        for action in (
            "DescribeVpcs",
            "DescribeVpcAttribute",
            "DescribeSubnets",
            "DescribeRouteTables",
            "DescribeVpcEndpoints",
            "DescribeSecurityGroups",
            "DescribeNetworkAcls",
            "DescribeManagedPrefixLists",
            "DescribeNetworkInterfaces",
        )
    },
    "mgn:DescribeSourceServers": "MGN list/describe actions have no resource-level permissions",
    "mgn:DescribeJobs": "MGN list/describe actions have no resource-level permissions",
    "ec2:DescribeLaunchTemplateVersions": "EC2 Describe* actions have no resource-level permissions",
    "ec2:DescribeInstanceStatus": "EC2 Describe* actions have no resource-level permissions",
    "ec2:DescribeInstances": "EC2 Describe* actions have no resource-level permissions",
    "mgn:DescribeReplicationConfigurationTemplates": "MGN list/describe actions have no resource-level permissions",
    "mgn:CreateReplicationConfigurationTemplate": "a create names no existing resource (tag conditions only)",
    "ssm:DescribeInstanceInformation": "no resource-level permissions",
    "cloudtrail:DescribeTrails": "no resource-level permissions",
    "ssm:ListCommands": "no resource-level permissions",
    "ssm:ListCommandInvocations": "no resource-level permissions",
    "ssm:GetCommandInvocation": "no resource-level permissions",
    "states:SendTaskSuccess": "names a task token, not a resource: holding the token is the scope",
    **{
        f"logs:{action}": "Step Functions log delivery: account-level actions, no resource-level permissions"
        for action in (
            "CreateLogDelivery",
            "GetLogDelivery",
            "UpdateLogDelivery",
            "DeleteLogDelivery",
            "ListLogDeliveries",
            "PutResourcePolicy",
            "DescribeResourcePolicies",
            "DescribeLogGroups",
        )
    },
}

# Granted, needed on AWS, and not called by the waves below: (role, action) -> why.
NOT_EXERCISED: dict[tuple[str, str], str] = {
    ("EnforceTemplateFunction", "mgn:CreateReplicationConfigurationTemplate"): (
        "creates the template when the Region has none (tests/integration: enforce on an empty MGN);"
        " every shipped scenario starts with the operator's template"
    ),
    ("ConfigureServerFunction", "mgn:UpdateReplicationConfiguration"): (
        "repairs a newly registered server whose settings drifted from the enforced template;"
        " here every server registers after EnforceTemplate, so none drifts"
    ),
    ("InstallAgentsFunction", "dynamodb:GetItem"): (
        "Powertools idempotency reads the stored record of a duplicated request (a retried InstallAgents)"
    ),
    ("InstallAgentsFunction", "dynamodb:DeleteItem"): (
        "Powertools idempotency deletes its in-progress record when the send fails, so a retry can run"
    ),
    ("ReplicationWatchFunction", "dynamodb:UpdateItem"): (
        "records when a wave first saw a server stalled while MGN retries (tests/e2e/test_wave_watch.py);"
        " here the Stalled event reaches ReplicationEvent first, which records it"
    ),
    ("LaunchPlanFunction", "mgn:UpdateLaunchConfiguration"): (
        "sets launchDisposition STARTED when an operator chose STOPPED (tests/unit/launch); MGN's default is STARTED"
    ),
    ("ParkLaunchTokenFunction", "states:SendTaskSuccess"): (
        "completes its own wait when the jobs finished before it parked; here the launches take minutes"
    ),
    **{
        (LAUNCH_WAVE_LOGICAL_ID, action): "Step Functions sets up its log delivery with these; no state calls them"
        for action in (
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        )
    },
    (STATE_MACHINE_LOGICAL_ID, "states:StartExecution"): (
        "Distributed Map starts a child execution per server on AWS; the local engine runs them inline"
    ),
    (STATE_MACHINE_LOGICAL_ID, "states:DescribeExecution"): "Distributed Map watches its children (as above)",
    (STATE_MACHINE_LOGICAL_ID, "states:StopExecution"): "Distributed Map stops its children on failure (as above)",
    (STATE_MACHINE_LOGICAL_ID, "kms:GenerateDataKey*"): "SNS calls KMS on the publisher's behalf (encrypted topic)",
    (STATE_MACHINE_LOGICAL_ID, "kms:Decrypt"): "SNS calls KMS on the publisher's behalf (encrypted topic)",
    **{
        (STATE_MACHINE_LOGICAL_ID, action): "Step Functions sets up its log delivery with these; no state calls them"
        for action in (
            "logs:CreateLogDelivery",
            "logs:GetLogDelivery",
            "logs:UpdateLogDelivery",
            "logs:DeleteLogDelivery",
            "logs:ListLogDeliveries",
            "logs:PutResourcePolicy",
            "logs:DescribeResourcePolicies",
            "logs:DescribeLogGroups",
        )
    },
}

WAVES = (
    ("seed-clean", {"wave": "wave-01"}),
    ("wave-demo", {"wave": "wave-01"}),
    ("seed-clean", {"wave": "wave-01", "dryRun": True}),
    # Source ranges in a customer-managed prefix list: the roles that read the network read its entries.
    ("seed-prefix-list", {"wave": "wave-01"}),
    ("seed-misconfigured", {"wave": "wave-01"}),
)


def _merge(used: dict[str, set[str]], aws: EmulatedAws, state_machine: str = STATE_MACHINE_LOGICAL_ID) -> None:
    # The router cannot tell the two state machines apart (the same engine credential): each
    # measurement runs one of them and names it.
    for principal, actions in aws.calls.actions_by_principal().items():
        used[state_machine if principal == STATE_MACHINE else principal] |= actions


def _launch(aws: EmulatedAws, execution_input: dict[str, object], name: str) -> str:
    arn = aws.client("stepfunctions").start_execution(
        stateMachineArn=aws.state_machine_arns[LAUNCH_WAVE_LOGICAL_ID], name=name, input=json.dumps(execution_input)
    )["executionArn"]
    return str(arn)


def _launch_waves(used: dict[str, set[str]]) -> None:
    """After a replication wave: a test launch, a revert, a test again, an approved cutover that archives."""
    with EmulatedAws() as aws:
        built = aws.build_scenario("seed-clean")
        vpc = built.stack_parameters["StagingVpcId"]
        group = aws.client("ec2").create_security_group(GroupName="target", Description="target", VpcId=vpc)["GroupId"]
        target = {"TargetSubnetId": built.target.staging_subnet_id, "TargetSecurityGroupIds": group}
        aws.deploy({**built.stack_parameters, **target})
        assert aws.run({"wave": "wave-01"}).status == "SUCCEEDED"
        _merge(used, aws)
        aws.calls.clear()
        # One server asks for a port check (ConcludeLaunch invokes the PortProbe function)
        rule = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}
        aws.client("ec2").authorize_security_group_ingress(GroupId=group, IpPermissions=[rule])
        mgn = aws.client("mgn")
        first = mgn.describe_source_servers(filters={})["items"][0]["arn"]
        mgn.tag_resource(resourceArn=first, tags={CHECK_PORTS_TAG: "443"})
        for stage, name in (("test", "t1"), ("revert", "r1"), ("test", "t2")):
            result = aws.wait(_launch(aws, {"waveId": "wave-01", "stage": stage}, name), timeout_seconds=240)
            assert result.status == "SUCCEEDED", (stage, result.error, result.cause)
        arn = start_and_approve(aws, {"waveId": "wave-01", "stage": "cutover", "archive": True}, "c1")
        result = aws.wait(arn, timeout_seconds=240)
        assert result.status == "SUCCEEDED", (result.error, result.cause)
        _merge(used, aws, LAUNCH_WAVE_LOGICAL_ID)


@pytest.fixture(scope="module")
def used_actions() -> dict[str, set[str]]:
    """The actions each role called across a representative set of whole waves."""
    used: dict[str, set[str]] = defaultdict(set)
    for scenario, execution_input in WAVES:
        with EmulatedAws() as aws:
            aws.deploy_scenario(scenario)
            result = aws.run(execution_input)
            expected = "FAILED" if scenario == "seed-misconfigured" else "SUCCEEDED"
            assert result.status == expected, (scenario, result.error, result.cause)
            _merge(used, aws)
    with EmulatedAws() as aws:  # the tag trigger starts a one-server wave; lost MGN events leave it to the watch
        aws.deploy_scenario("seed-clean")
        assert aws.fleet is not None
        aws.mgn.event_faults(lose=1.0, seed=1)
        event = copy.deepcopy(EVENT)
        event["resources"] = [f"arn:aws:ssm:us-east-1:123456789012:managed-instance/{aws.fleet.node('api-1').node_id}"]
        assert aws.put_event(event) == 1
        (execution,) = aws.client("stepfunctions").list_executions(stateMachineArn=aws.state_machine_arn)["executions"]
        # the reconciliation ticks while that wave runs: it reads the running input, starts the rest
        tick = aws.fire_schedule("ReconcileTaggedNodes")
        assert tick.error_type is None and len(tick.result["started"]) == 2, tick
        sfn = aws.client("stepfunctions")
        for started in sfn.list_executions(stateMachineArn=aws.state_machine_arn)["executions"]:
            aws.wait(started["executionArn"])
        assert aws.wait(execution["executionArn"]).status == "SUCCEEDED"
        assert aws.lambdas is not None
        assert any(i.result and i.result["completed"] for i in aws.lambdas.of("ReplicationWatchFunction"))
        _merge(used, aws)
    with EmulatedAws() as aws:  # a one-hour deadline on a long sync: the deadline's last look decides
        built = aws.build_scenario("seed-clean")
        aws.deploy({**built.stack_parameters, "ReplicationDeadlineHours": "1"})
        aws.mgn.event_faults(lose=1.0)
        assert aws.event_sources is not None
        aws.event_sources.paused_schedules.add("ReplicationWatchFunction")  # the watch disabled by hand
        assert aws.run({"wave": "wave-01"}).status == "SUCCEEDED"
        assert aws.state_entries["PollReplication"] >= 1
        _merge(used, aws)
    _launch_waves(used)
    return dict(used)


@pytest.fixture(scope="module")
def granted() -> dict[str, list[Grant]]:
    return grants_by_role()


def test_least_privilege_every_called_action_is_granted_to_the_role_that_calls_it(
    used_actions: dict[str, set[str]], granted: dict[str, list[Grant]]
) -> None:
    missing = {
        role: sorted(actions - {g.action for g in granted.get(role, [])})
        for role, actions in used_actions.items()
        if actions - {g.action for g in granted.get(role, [])}
    }
    assert missing == {}, f"called but not granted (AccessDenied on AWS): {missing}"


def test_least_privilege_every_granted_action_is_called_or_explained(
    used_actions: dict[str, set[str]], granted: dict[str, list[Grant]]
) -> None:
    unused = {
        role: sorted(
            {g.action for g in grants} - used_actions.get(role, set()) - {a for r, a in NOT_EXERCISED if r == role}
        )
        for role, grants in granted.items()
    }
    assert {role: actions for role, actions in unused.items() if actions} == {}, "granted but never called"


def test_least_privilege_explanations_are_not_stale(
    used_actions: dict[str, set[str]], granted: dict[str, list[Grant]]
) -> None:
    # An explained action that is now called, or no longer granted, must leave the list.
    called = [(role, action) for role, action in NOT_EXERCISED if action in used_actions.get(role, set())]
    ungranted = [(role, a) for role, a in NOT_EXERCISED if a not in {g.action for g in granted.get(role, [])}]
    assert (called, ungranted) == ([], [])


def test_least_privilege_resource_star_only_where_no_resource_level_permissions(
    granted: dict[str, list[Grant]],
) -> None:
    broad = sorted(
        (role, g.sid, g.action)
        for role, grants in granted.items()
        for g in grants
        if g.resource_star and g.action not in RESOURCE_STAR_ALLOWED
    )
    assert broad == []


def test_least_privilege_prints_granted_versus_used_per_role(
    used_actions: dict[str, set[str]], granted: dict[str, list[Grant]]
) -> None:
    rows = []
    for role in sorted(granted):
        actions = {g.action for g in granted[role]}
        used = used_actions.get(role, set())
        explained = sum(1 for r, a in NOT_EXERCISED if r == role)
        rows.append(f"  {role:<28} granted {len(actions):>3}  used {len(used & actions):>3}  explained {explained:>2}")
    figures.record(
        f"least privilege (distinct IAM actions per role, measured over {len(WAVES) + 1} waves and 4 launches):"
    )
    for row in rows:
        figures.record(row)
    assert rows


SAMTRANSLATOR_PYTHON = Path(__file__).resolve().parents[2] / ".venv-samtranslator" / "bin" / "python"


def _samtranslator_python() -> Path:
    """aws-sam-translator lives in its own venv (`make samtranslator`): its pydantic pin conflicts
    with ours. `make test` names it in MGN_WAVE_SAMTRANSLATOR_PYTHON, and then it must exist."""
    named = os.environ.get("MGN_WAVE_SAMTRANSLATOR_PYTHON")
    python = Path(named) if named else SAMTRANSLATOR_PYTHON
    if not python.exists():
        if named:
            pytest.fail(f"MGN_WAVE_SAMTRANSLATOR_PYTHON={named} does not exist: run make samtranslator")
        pytest.skip("no .venv-samtranslator: make samtranslator creates it (make test does)")
    return python


def test_least_privilege_vendored_sam_templates_match_the_package() -> None:
    located = subprocess.run(
        [
            str(_samtranslator_python()),
            "-c",
            "import pathlib, samtranslator; print(pathlib.Path(samtranslator.__file__).parent"
            " / 'policy_templates_data' / 'policy_templates.json')",
        ],
        check=True,
        capture_output=True,
        text=True,
    )
    package = Path(located.stdout.strip())
    upstream = json.loads(package.read_text())["Templates"]
    assert {name: upstream[name] for name in sam_policy_templates()} == sam_policy_templates(), SAM_TEMPLATES_PATH
