"""run_preflight as a whole: order, stable codes, and refusing a snapshot of another network."""

from __future__ import annotations

import pytest

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.preflight.checks import codes
from mgn_wave.preflight.findings import Severity


def test_finding_codes_list_every_code_constant_once() -> None:
    # Given every upper-case string constant of the codes module
    constants = {
        value for name, value in vars(codes).items() if name.isupper() and isinstance(value, str) and value == name
    }
    # When / Then
    assert set(codes.FINDING_CODES) == constants
    assert len(codes.FINDING_CODES) == len(set(codes.FINDING_CODES))


def test_run_preflight_orders_blocker_warning_info_then_code_then_resource(network) -> None:
    # Given several problems at once
    network.remove_endpoint("ssm")
    network.set_vpc(enable_dns_hostnames=False)
    network.set_endpoint("ec2", private_dns_enabled=False)
    network.set_sg("replication", ingress=())
    # When
    findings = network.findings()
    # Then
    order = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}
    keys = [(order[f.severity], f.code, f.resource) for f in findings]
    assert keys == sorted(keys)
    assert [f.code for f in findings if f.severity is not Severity.INFO] == [
        "PRIVATE_DNS_DISABLED",
        "REPLICATION_SG_BLOCKS_1500",
        "VPC_DNS_DISABLED",
        "SSM_ENDPOINT_MISSING",
    ]


def test_run_preflight_same_input_gives_same_findings(network) -> None:
    # Given
    network.remove_endpoint("mgn")
    network.set_sg("replication", ingress=())
    # When
    first, second = network.findings(), network.findings()
    # Then
    assert first == second


def test_run_preflight_every_finding_names_resource_and_fix(network) -> None:
    # Given a network broken in many places
    network.remove_endpoint("s3-interface")
    network.set_endpoint("mgn", state="pending", private_dns_enabled=False)
    network.set_sg("replication", ingress=(), egress=())
    network.set_endpoint("s3-gateway", route_table_ids=())
    # When
    findings = network.findings()
    # Then
    assert findings
    for finding in findings:
        assert finding.resource
        assert finding.resource.split("-")[0] in {"vpc", "vpce", "sg", "rtb", "acl", "subnet"}
        assert finding.fix


def test_run_preflight_staging_subnet_not_in_snapshot_refuses(network) -> None:
    # Given a snapshot that does not hold the staging subnet
    network.subnets = [s for s in network.subnets if s.subnet_id != network.STAGING_SUBNET]
    # When / Then
    with pytest.raises(InvalidInputError, match="stagingSubnetId"):
        network.findings()


def test_run_preflight_snapshot_of_another_vpc_refuses(network) -> None:
    # Given
    network.set_vpc(vpc_id="vpc-0b22b22b22b22b22b")
    # When / Then
    with pytest.raises(InvalidInputError, match="stagingVpcId"):
        network.findings()
