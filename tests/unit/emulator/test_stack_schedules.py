"""The emulated stack reads the template's scheduled rule as EventBridge would accept it."""

from __future__ import annotations

import copy
import re

import pytest

from mgn_wave_emu.stack import load_template, resolve_stack

PARAMETERS = {
    "StagingVpcId": "vpc-0a11a11a11a11a11a",
    "StagingSubnetId": "subnet-0000000000000000a",
    "ReplicationSecurityGroupIds": "sg-00000000000001500",
    "SourceCidrs": "10.10.0.0/16",
}


def test_the_template_s_reconcile_schedule_is_a_scheduled_rule_of_tag_reconcile() -> None:
    stack = resolve_stack(load_template(), parameters=PARAMETERS, region="us-east-1", account_id="123456789012")
    (rule,) = [r for r in stack.rules if r.schedule is not None]
    assert (rule.name, rule.function, rule.schedule) == (
        "ReconcileTaggedNodes",
        "TagReconcileFunction",
        "rate(15 minutes)",
    )


@pytest.mark.parametrize("expression", ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(5 weeks)"])
def test_a_rate_expression_eventbridge_refuses_is_refused(expression: str) -> None:
    template = copy.deepcopy(load_template())
    template["Parameters"]["TagReconcileSchedule"].pop("AllowedPattern")
    with pytest.raises(ValueError, match="not a valid rate expression"):
        resolve_stack(
            template,
            parameters={**PARAMETERS, "TagReconcileSchedule": expression},
            region="us-east-1",
            account_id="123456789012",
        )


@pytest.mark.parametrize(
    ("expression", "valid"),
    [
        ("rate(1 minute)", True),
        ("rate(15 minutes)", True),
        ("rate(2 hours)", True),
        ("rate(1 day)", True),
        ("rate(1 minutes)", False),
        ("rate(5 minute)", False),
        ("rate(0 minutes)", False),
        ("cron(0 12 * * ? *)", False),
    ],
)
def test_the_stack_parameter_admits_exactly_the_valid_rate_expressions(expression: str, valid: bool) -> None:
    pattern = load_template()["Parameters"]["TagReconcileSchedule"]["AllowedPattern"]
    assert bool(re.fullmatch(pattern, expression)) is valid
