"""Network ACLs, evaluated as AWS does: by rule number, first match wins, `*` denies the rest."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from mgn_wave.preflight.nacl import DEFAULT_RULE_NUMBER, evaluate_nacl
from mgn_wave.preflight.network import NaclEntry, NetworkAcl

SOURCE = IPv4Network("10.10.0.0/16")


def _acl(*entries: NaclEntry) -> NetworkAcl:
    return NetworkAcl(network_acl_id="acl-0123456789abcdef0", is_default=False, entries=entries)


def _entry(rule, action, cidr, *, egress=False, protocol="-1", ports=None) -> NaclEntry:
    from mgn_wave.preflight.network import PortRange

    return NaclEntry(
        rule_number=rule,
        protocol=protocol,
        rule_action=action,
        egress=egress,
        cidr=IPv4Network(cidr) if cidr else None,
        port_range=PortRange(from_port=ports[0], to_port=ports[1]) if ports else None,
    )


@pytest.mark.parametrize(
    ("case", "entries", "allowed", "rule_number"),
    [
        ("empty NACL: the * rule denies", [], False, DEFAULT_RULE_NUMBER),
        ("allow all", [_entry(100, "allow", "0.0.0.0/0")], True, 100),
        (
            "deny before allow: lower number wins",
            [
                _entry(100, "allow", "0.0.0.0/0"),
                _entry(90, "deny", "10.10.0.0/16", protocol="6", ports=(1500, 1500)),
            ],
            False,
            90,
        ),
        (
            "allow before deny",
            [
                _entry(110, "deny", "0.0.0.0/0"),
                _entry(100, "allow", "10.10.0.0/16", protocol="6", ports=(1500, 1500)),
            ],
            True,
            100,
        ),
        (
            "deny of another port does not match",
            [
                _entry(90, "deny", "10.10.0.0/16", protocol="6", ports=(22, 22)),
                _entry(100, "allow", "0.0.0.0/0"),
            ],
            True,
            100,
        ),
        (
            "deny of udp does not match tcp",
            [_entry(90, "deny", "0.0.0.0/0", protocol="17"), _entry(100, "allow", "0.0.0.0/0")],
            True,
            100,
        ),
        (
            "deny of all protocols (-1) matches tcp",
            [_entry(90, "deny", "10.10.5.0/24"), _entry(100, "allow", "0.0.0.0/0")],
            False,
            90,
        ),
        (
            "deny for part of the range still blocks that part",
            [_entry(90, "deny", "10.10.200.0/24", protocol="6"), _entry(100, "allow", "0.0.0.0/0")],
            False,
            90,
        ),
        (
            "two allows covering the range in halves",
            [
                _entry(100, "allow", "10.10.0.0/17", protocol="6"),
                _entry(101, "allow", "10.10.128.0/17", protocol="6"),
            ],
            True,
            101,
        ),
        (
            "an allow for half of the range leaves the rest to *",
            [_entry(100, "allow", "10.10.0.0/17", protocol="6")],
            False,
            DEFAULT_RULE_NUMBER,
        ),
        (
            "egress entries do not decide ingress",
            [_entry(100, "allow", "0.0.0.0/0", egress=True)],
            False,
            DEFAULT_RULE_NUMBER,
        ),
        (
            "IPv6 entries never match IPv4",
            [_entry(100, "allow", None)],
            False,
            DEFAULT_RULE_NUMBER,
        ),
    ],
)
def test_evaluate_nacl_inbound_1500_follows_aws_order(case, entries, allowed, rule_number) -> None:
    # Given
    acl = _acl(*entries)
    # When
    verdict = evaluate_nacl(acl, egress=False, peer=SOURCE, ports=(1500, 1500), protocol="6")
    # Then
    assert (verdict.allowed, verdict.rule_number) == (allowed, rule_number), case


@pytest.mark.parametrize(
    ("case", "entries", "allowed", "blocked_ports"),
    [
        (
            "all ephemeral ports allowed",
            [_entry(100, "allow", "10.10.0.0/16", egress=True, protocol="6", ports=(1024, 65535))],
            True,
            None,
        ),
        (
            "two port ranges that meet",
            [
                _entry(100, "allow", "0.0.0.0/0", egress=True, protocol="6", ports=(1024, 32767)),
                _entry(110, "allow", "0.0.0.0/0", egress=True, protocol="6", ports=(32768, 65535)),
            ],
            True,
            None,
        ),
        (
            "Linux's ephemeral range only",
            [_entry(100, "allow", "0.0.0.0/0", egress=True, protocol="6", ports=(32768, 60999))],
            False,
            (1024, 32767),
        ),
    ],
)
def test_evaluate_nacl_outbound_ephemeral_ranges(case, entries, allowed, blocked_ports) -> None:
    # Given
    acl = _acl(*entries)
    # When
    verdict = evaluate_nacl(acl, egress=True, peer=SOURCE, ports=(1024, 65535), protocol="6")
    # Then
    assert verdict.allowed is allowed, case
    if blocked_ports is not None:
        assert verdict.blocked_ports == blocked_ports


def test_run_preflight_staging_nacl_denying_1500_names_rule_and_range(network) -> None:
    # Given
    acl = network.network_acls[network.DEFAULT_NACL]
    deny = network.nacl_entry(90, "deny", "10.10.0.0/16", protocol="6", ports=(1500, 1500))
    network.set_nacl(network.DEFAULT_NACL, entries=(*acl.entries, deny))
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("NACL_BLOCKS", network.DEFAULT_NACL)]
    message = problems[0].message
    assert "inbound TCP 1500 from source range 10.10.0.0/16" in message
    assert "rule 90 (deny) decides" in message
    assert f"the staging subnet {network.STAGING_SUBNET}" in message
    assert problems[0].fix == (
        f"Add an inbound allow entry to {network.DEFAULT_NACL} with a rule number below 90: TCP 1500 from 10.10.0.0/16."
    )


def test_run_preflight_endpoint_subnet_nacl_without_443_blocks(network) -> None:
    # Given the endpoint subnet gets its own NACL that only answers the sources
    own = NetworkAcl(
        network_acl_id="acl-000000000000000e0",
        is_default=False,
        subnet_ids=(network.ENDPOINT_SUBNET,),
        entries=(network.nacl_entry(100, "allow", "0.0.0.0/0", egress=True),),
    )
    network.network_acls[own.network_acl_id] = own
    network.set_nacl(network.DEFAULT_NACL, subnet_ids=(network.STAGING_SUBNET,))
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("NACL_BLOCKS", "acl-000000000000000e0")]
    assert "inbound TCP 443 from source range 10.10.0.0/16: the default rule * (deny) decides" in problems[0].message


def test_run_preflight_staging_nacl_without_ephemeral_egress_blocks(network) -> None:
    # Given egress allows only 443 out
    acl = network.network_acls[network.DEFAULT_NACL]
    only_443_out = network.nacl_entry(100, "allow", "0.0.0.0/0", egress=True, protocol="6", ports=(443, 443))
    entries = (*(e for e in acl.entries if not e.egress), only_443_out)
    network.set_nacl(network.DEFAULT_NACL, entries=entries)
    # When
    problems = network.problems()
    # Then: one finding for the NACL both subnets share (judged once)
    assert [f.code for f in problems] == ["NACL_BLOCKS"]
    assert "outbound TCP 1024-65535 to source range 10.10.0.0/16" in problems[0].message


def test_run_preflight_subnet_without_explicit_nacl_uses_default(network) -> None:
    # Given associations are not listed: the default NACL still applies
    acl = network.network_acls[network.DEFAULT_NACL]
    network.set_nacl(
        network.DEFAULT_NACL,
        subnet_ids=(),
        entries=(*acl.entries, network.nacl_entry(50, "deny", "10.10.0.0/16")),
    )
    # When
    codes = network.codes()
    # Then
    assert codes == {"NACL_BLOCKS"}


def test_run_preflight_nacl_denying_part_of_source_names_that_part(network) -> None:
    # Given a deny for one /24 of the source range, ahead of the allow-all
    acl = network.network_acls[network.DEFAULT_NACL]
    deny = network.nacl_entry(50, "deny", "10.10.200.0/24", protocol="6")
    network.set_nacl(network.DEFAULT_NACL, entries=(*acl.entries, deny))
    # When
    problems = network.problems()
    # Then: 1500 to the staging subnet and 443 to the endpoints, for that /24 only
    assert {f.code for f in problems} == {"NACL_BLOCKS"}
    assert all("rule 50 (deny) decides (for 10.10.200.0/24 ports " in f.message for f in problems)
    assert any("TCP 1500" in f.message for f in problems)
    assert any("TCP 443" in f.message for f in problems)
