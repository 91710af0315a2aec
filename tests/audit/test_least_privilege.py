"""Least privilege, measured: every (service, IAM action) each role's code calls during whole
waves, against what template.yaml grants it. A missing action fails; so does one granted and never
called, unless it is listed below with the path that needs it and why the waves here cannot reach it."""

from __future__ import annotations

import copy
import json
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

import figures
import pytest
from iam_policies import SAM_TEMPLATES_PATH, STATE_MACHINE_LOGICAL_ID, grants_by_role, sam_policy_templates

from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.hooks import STATE_MACHINE

if TYPE_CHECKING:
    from iam_policies import Grant

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
    ("AwaitReplicationFunction", "states:SendTaskSuccess"): (
        "completes its own task when the server already has a verdict at the first look;"
        " in these waves the verdict always arrives later, by event"
    ),
    ("InstallAgentsFunction", "dynamodb:GetItem"): (
        "Powertools idempotency reads the stored record of a duplicated request (a retried InstallAgents)"
    ),
    ("InstallAgentsFunction", "dynamodb:DeleteItem"): (
        "Powertools idempotency deletes its in-progress record when the send fails, so a retry can run"
    ),
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
    ("seed-misconfigured", {"wave": "wave-01"}),
)


def _role(principal: str) -> str:
    return STATE_MACHINE_LOGICAL_ID if principal == STATE_MACHINE else principal


def _merge(used: dict[str, set[str]], aws: EmulatedAws) -> None:
    for principal, actions in aws.calls.actions_by_principal().items():
        used[_role(principal)] |= actions


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
    with EmulatedAws() as aws:  # the tag trigger starts a one-server wave; lost MGN events force the poll
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
        assert aws.state_entries["PollReplication"] >= 1
        _merge(used, aws)
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
    figures.record(f"least privilege (distinct IAM actions per role, measured over {len(WAVES) + 1} waves):")
    for row in rows:
        figures.record(row)
    assert rows


def test_least_privilege_vendored_sam_templates_match_the_package() -> None:
    samtranslator = pytest.importorskip("samtranslator")
    package = Path(samtranslator.__file__).parent / "policy_templates_data" / "policy_templates.json"
    upstream = json.loads(package.read_text())["Templates"]
    assert {name: upstream[name] for name in sam_policy_templates()} == sam_policy_templates(), SAM_TEMPLATES_PATH
