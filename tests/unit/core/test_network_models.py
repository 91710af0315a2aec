"""PrivatePathTarget: the operator's description of the private path, validated at the boundary."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest
from pydantic import ValidationError

from mgn_wave.preflight.network import NaclEntry, PrivatePathTarget, SgRule

VALID = {
    "region": "us-east-1",
    "stagingVpcId": "vpc-0a11a11a11a11a11a",
    "stagingSubnetId": "subnet-0000000000000000a",
    "replicationSgIds": ["sg-00000000000001500"],
    "sourceCidrs": ["10.10.0.0/16", "172.20.0.0/16"],
}


def test_private_path_target_json_form_parses_to_networks() -> None:
    # Given / When
    target = PrivatePathTarget.model_validate(VALID)
    # Then
    assert target.source_cidrs == (IPv4Network("10.10.0.0/16"), IPv4Network("172.20.0.0/16"))
    assert target.replication_sg_ids == ("sg-00000000000001500",)
    assert target.model_dump(by_alias=True, mode="json")["stagingVpcId"] == "vpc-0a11a11a11a11a11a"


def test_private_path_target_python_names_are_accepted() -> None:
    # Given / When
    target = PrivatePathTarget(
        region="eu-central-1",
        staging_vpc_id="vpc-12345678",
        staging_subnet_id="subnet-12345678",
        replication_sg_ids=("sg-12345678",),
        source_cidrs=(IPv4Network("10.0.0.0/8"),),
    )
    # Then
    assert target.region == "eu-central-1"


@pytest.mark.parametrize(
    ("field", "value", "named", "allowed_form"),
    [
        ("region", "US East", "region", "like 'us-east-1'"),
        ("stagingVpcId", "vpc-xyz", "stagingVpcId", "'vpc-' followed by"),
        ("stagingVpcId", "subnet-12345678", "stagingVpcId", "'vpc-' followed by"),
        ("stagingSubnetId", "subnet-", "stagingSubnetId", "'subnet-' followed by"),
        ("replicationSgIds", [], "replicationSgIds", "1..32"),
        ("replicationSgIds", [f"sg-{i:08x}" for i in range(33)], "replicationSgIds", "1..32"),
        ("replicationSgIds", ["sg-12345678", "sgx"], "replicationSgIds[1]", "'sg-' followed by"),
        ("replicationSgIds", ["sg-12345678", "sg-12345678"], "replicationSgIds", "twice"),
        ("replicationSgIds", "sg-12345678", "replicationSgIds", "list"),
        ("sourceCidrs", [], "sourceCidrs", "non-empty list"),
        ("sourceCidrs", ["10.10.0.1/16"], "sourceCidrs[0]", "no host bits set, like 10.1.0.0/16"),
        ("sourceCidrs", ["10.10.0.0/16", "bogus"], "sourceCidrs[1]", "CIDR form"),
        ("sourceCidrs", ["fd00::/8"], "sourceCidrs[0]", "IPv4 network"),
        ("sourceCidrs", ["10.10.0.0/16", "10.10.0.0/16"], "sourceCidrs", "twice"),
    ],
)
def test_private_path_target_bad_value_error_names_field_and_form(field, value, named, allowed_form) -> None:
    # Given
    data = {**VALID, field: value}
    # When
    with pytest.raises(ValidationError) as caught:
        PrivatePathTarget.model_validate(data)
    # Then
    message = str(caught.value)
    assert named in message
    assert allowed_form in message


def test_private_path_target_unknown_key_is_refused() -> None:
    # Given / When / Then
    with pytest.raises(ValidationError, match="stagingVpc"):
        PrivatePathTarget.model_validate({**VALID, "stagingVpc": "vpc-12345678"})


def test_private_path_target_is_frozen() -> None:
    # Given
    target = PrivatePathTarget.model_validate(VALID)
    # When / Then
    with pytest.raises(ValidationError):
        target.region = "us-west-2"  # type: ignore[misc]


@pytest.mark.parametrize(("spelt", "normalised"), [("tcp", "6"), ("TCP", "6"), ("6", "6"), ("-1", "-1"), ("udp", "17")])
def test_rule_protocols_normalise_to_numbers_for_sg_and_nacl(spelt, normalised) -> None:
    # Given / When
    rule = SgRule(protocol=spelt)
    entry = NaclEntry(rule_number=100, protocol=spelt, rule_action="allow", egress=False)
    # Then
    assert rule.protocol == entry.protocol == normalised
