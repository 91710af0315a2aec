"""The emulated stack places the PortProbe function as CloudFormation would: in the target subnet
with the target security groups when the stack has a launch target, in no VPC otherwise."""

from __future__ import annotations

import copy

import pytest

from mgn_wave_emu.stack import load_template, resolve_stack

PARAMETERS = {
    "StagingVpcId": "vpc-0a11a11a11a11a11a",
    "StagingSubnetId": "subnet-0000000000000000a",
    "ReplicationSecurityGroupIds": "sg-00000000000001500",
    "SourceCidrs": "10.10.0.0/16",
}
TARGET = {"TargetSubnetId": "subnet-0000000000000000b", "TargetSecurityGroupIds": "sg-0000000000000000b,sg-0000000c"}


def _probe(parameters: dict[str, str], template: dict[str, object] | None = None) -> tuple[tuple[str, ...], ...]:
    stack = resolve_stack(
        template or load_template(), parameters=parameters, region="us-east-1", account_id="123456789012"
    )
    function = stack.functions["PortProbeFunction"]
    assert stack.functions["ConcludeLaunchFunction"].environment["PORT_PROBE_FUNCTION"] == function.function_name
    return function.subnet_ids, function.security_group_ids


def test_with_a_launch_target_the_probe_is_in_the_target_subnet_with_the_target_groups() -> None:
    assert _probe({**PARAMETERS, **TARGET}) == (
        ("subnet-0000000000000000b",),
        ("sg-0000000000000000b", "sg-0000000c"),
    )


def test_without_a_launch_target_the_probe_is_in_no_vpc() -> None:
    assert _probe(PARAMETERS) == ((), ())


def test_fn_if_naming_no_condition_is_refused() -> None:
    template = copy.deepcopy(load_template())
    template["Resources"]["PortProbeFunction"]["Properties"]["VpcConfig"]["Fn::If"][0] = "NoSuchCondition"
    with pytest.raises(ValueError, match="names no condition NoSuchCondition"):
        _probe({**PARAMETERS, **TARGET}, template)
