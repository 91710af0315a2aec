"""Security groups: 1500 into the replication servers, 443 into the endpoints, 443 out of staging."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from mgn_wave.preflight.checks.security_groups import replication_sgs_admit_1500
from mgn_wave.preflight.network import PrefixList


@pytest.mark.parametrize(
    ("case", "ingress_rules"),
    [
        ("exact range", lambda n: (n.tcp(1500, "10.10.0.0/16"),)),
        ("containing range", lambda n: (n.tcp(1500, "10.0.0.0/8"),)),
        ("port range around 1500", lambda n: (n.tcp((1000, 2000), "10.10.0.0/16"),)),
        ("all traffic (protocol -1)", lambda n: (n.all_traffic("10.10.0.0/16"),)),
        ("protocol number 6", lambda n: (n.tcp(1500, "10.10.0.0/16", protocol="6"),)),
        (
            "two halves in two rules",
            lambda n: (n.tcp(1500, "10.10.0.0/17"), n.tcp(1500, "10.10.128.0/17")),
        ),
    ],
)
def test_replication_sgs_admit_1500_rule_covering_source_admits(network, case, ingress_rules) -> None:
    # Given
    network.set_sg("replication", ingress=ingress_rules(network))
    # When
    findings = replication_sgs_admit_1500(network.snapshot(), network.replication_sg_ids, network.source_cidrs)
    # Then
    assert findings == [], case


@pytest.mark.parametrize(
    ("case", "ingress_rules"),
    [
        ("no rule", lambda n: ()),
        ("a smaller range only", lambda n: (n.tcp(1500, "10.10.1.0/24"),)),
        ("one half only", lambda n: (n.tcp(1500, "10.10.0.0/17"),)),
        ("another port", lambda n: (n.tcp(443, "10.10.0.0/16"),)),
        ("a port range short of 1500", lambda n: (n.tcp((1024, 1499), "10.10.0.0/16"),)),
        ("udp", lambda n: (n.tcp(1500, "10.10.0.0/16", protocol="udp"),)),
        ("same string but another range", lambda n: (n.tcp(1500, "10.100.0.0/16"),)),
    ],
)
def test_replication_sgs_admit_1500_rule_short_of_source_blocks(network, case, ingress_rules) -> None:
    # Given
    network.set_sg("replication", ingress=ingress_rules(network))
    # When
    findings = replication_sgs_admit_1500(network.snapshot(), network.replication_sg_ids, network.source_cidrs)
    # Then
    replication_sg = network.SG_IDS["replication"]
    assert [(f.code, f.resource) for f in findings] == [("REPLICATION_SG_BLOCKS_1500", replication_sg)], case
    assert findings[0].fix == f"Add an inbound rule to {replication_sg}: TCP 1500 from 10.10.0.0/16."


def test_replication_sgs_admit_1500_one_finding_per_uncovered_range(network) -> None:
    # Given two source ranges, only the first admitted
    network.source_cidrs = [IPv4Network("10.10.0.0/16"), IPv4Network("172.20.0.0/16")]
    # When
    findings = replication_sgs_admit_1500(network.snapshot(), network.replication_sg_ids, network.source_cidrs)
    # Then
    assert len(findings) == 1
    assert "172.20.0.0/16" in findings[0].message
    assert "10.10.0.0/16" not in findings[0].message


def test_replication_sgs_admit_1500_union_of_several_sgs_admits(network) -> None:
    # Given 1500 opened by the second of two replication SGs
    network.set_sg("replication", ingress=())
    network.set_sg("ssm-endpoints", ingress=(network.tcp(1500, "10.10.0.0/16"),))
    network.replication_sg_ids = [network.SG_IDS["replication"], network.SG_IDS["ssm-endpoints"]]
    # When
    findings = replication_sgs_admit_1500(network.snapshot(), network.replication_sg_ids, network.source_cidrs)
    # Then
    assert findings == []


def test_replication_sgs_admit_1500_customer_prefix_list_with_source_admits(network) -> None:
    # Given the rule names a customer-managed prefix list of the data-centre ranges
    network.prefix_lists = [PrefixList(prefix_list_id="pl-0dc0dc0dc0dc0dc0d", cidrs=(IPv4Network("10.0.0.0/8"),))]
    network.set_sg("replication", ingress=(network.tcp(1500, prefix_lists=("pl-0dc0dc0dc0dc0dc0d",)),))
    # When
    findings = replication_sgs_admit_1500(network.snapshot(), network.replication_sg_ids, network.source_cidrs)
    # Then
    assert findings == []


def test_replication_sgs_admit_1500_unknown_sg_is_named(network) -> None:
    # Given an SG the snapshot does not hold
    unknown = "sg-0ffffffffffffffff"
    # When
    findings = replication_sgs_admit_1500(network.snapshot(), [unknown], network.source_cidrs)
    # Then
    assert len(findings) == 1
    assert f"{unknown} not found in the staging VPC" in findings[0].message


@pytest.mark.parametrize(
    ("case", "role", "ingress", "expected_in_message"),
    [
        (
            "mgn endpoint without the source",
            "mgn-endpoint",
            lambda n: (n.tcp(443, sgs=(n.SG_IDS["replication"],)),),
            "source range 10.10.0.0/16",
        ),
        (
            "mgn endpoint without the staging subnet",
            "mgn-endpoint",
            lambda n: (n.tcp(443, "10.10.0.0/16"),),
            "the staging subnet subnet-0000000000000000a",
        ),
        ("ec2 endpoint without the staging subnet", "ec2-endpoint", lambda n: (), "the staging subnet"),
        (
            "s3 interface endpoint without the source",
            "s3-endpoint",
            lambda n: (),
            "source range 10.10.0.0/16",
        ),
    ],
)
def test_run_preflight_endpoint_sg_without_443_peer_blocks(network, case, role, ingress, expected_in_message) -> None:
    # Given
    network.set_sg(role, ingress=ingress(network))
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["ENDPOINT_SG_BLOCKS_443"], case
    assert expected_in_message in problems[0].message
    assert problems[0].fix.startswith(f"Add an inbound rule to {network.SG_IDS[role]}: TCP 443 from ")


@pytest.mark.parametrize(
    ("case", "ingress"),
    [
        ("the VPC CIDR contains the staging subnet", lambda n: (n.tcp(443, "192.168.128.0/24"),)),
        ("the staging subnet CIDR itself", lambda n: (n.tcp(443, "192.168.128.0/25"),)),
        ("all traffic from anywhere", lambda n: (n.all_traffic("0.0.0.0/0"),)),
    ],
)
def test_run_preflight_ec2_endpoint_sg_admitting_staging_by_cidr_passes(network, case, ingress) -> None:
    # Given
    network.set_sg("ec2-endpoint", ingress=ingress(network))
    # When / Then
    assert network.codes() == set(), case


def test_run_preflight_endpoint_without_sg_is_judged_by_default_sg(network) -> None:
    # Given an endpoint created without SGs gets the VPC's default SG, which admits nothing
    network.set_endpoint("ec2", security_group_ids=())
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["ENDPOINT_SG_BLOCKS_443"]
    assert network.SG_IDS["default"] in problems[0].message


@pytest.mark.parametrize(
    ("case", "egress", "expected_in_message"),
    [
        ("no egress at all", lambda n: (), "mgn interface endpoint"),
        ("S3 only", lambda n: (n.tcp(443, prefix_lists=(n.S3_PREFIX_LIST,)),), "ec2 interface endpoint"),
        (
            "endpoints only",
            lambda n: (n.tcp(443, "192.168.128.0/24"),),
            "to S3 (the S3 prefix list pl-63a5400a)",
        ),
        ("wrong port", lambda n: (n.tcp(80, "0.0.0.0/0"),), "to S3"),
    ],
)
def test_run_preflight_replication_egress_short_blocks(network, case, egress, expected_in_message) -> None:
    # Given
    network.set_sg("replication", egress=egress(network))
    # When
    problems = network.problems()
    # Then
    assert {f.code for f in problems} == {"REPLICATION_SG_EGRESS_BLOCKED"}, case
    assert any(expected_in_message in f.message for f in problems)
    assert all(f.resource == network.SG_IDS["replication"] for f in problems)


@pytest.mark.parametrize(
    ("case", "egress"),
    [
        ("AWS default: all traffic to anywhere", lambda n: (n.all_traffic("0.0.0.0/0"),)),
        ("443 to anywhere", lambda n: (n.tcp(443, "0.0.0.0/0"),)),
        (
            "443 to the endpoint SGs and to the S3 prefix list",
            lambda n: (
                n.tcp(443, sgs=(n.SG_IDS["mgn-endpoint"], n.SG_IDS["ec2-endpoint"])),
                n.tcp(443, prefix_lists=(n.S3_PREFIX_LIST,)),
            ),
        ),
    ],
)
def test_run_preflight_replication_egress_sufficient_passes(network, case, egress) -> None:
    # Given
    network.set_sg("replication", egress=egress(network))
    # When / Then
    assert network.codes() == set(), case


def test_run_preflight_replication_egress_needs_no_1500_return_rule(network) -> None:
    # Given egress without any 1500 rule: SGs are stateful, the answers to the agents pass
    egress = network.security_groups["replication"].egress
    # When
    codes = network.codes()
    # Then
    assert all(rule.from_port != 1500 for rule in egress)
    assert codes == set()
