"""Routes: the S3 gateway on the staging subnet's effective table, and the way back to the sources."""

from __future__ import annotations

from ipaddress import IPv4Network

import pytest

from mgn_wave.preflight.network import PrefixList, RouteTargetKind


def _move_staging_subnet_to_main_table(network) -> None:
    network.set_route_table(network.STAGING_RT, subnet_ids=(network.ENDPOINT_SUBNET,))


def test_run_preflight_gateway_missing_from_explicit_table_blocks(network) -> None:
    # Given the gateway is on the main table, but the staging subnet has its own table
    network.set_endpoint("s3-gateway", route_table_ids=(network.MAIN_RT,))
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("GATEWAY_ROUTE_MISSING", network.ENDPOINT_IDS["s3-gateway"])]
    assert "explicitly associated" in problems[0].message
    assert problems[0].fix.startswith(f"Associate {network.ENDPOINT_IDS['s3-gateway']} with route table rtb-")
    assert network.STAGING_RT in problems[0].fix


def test_run_preflight_staging_subnet_on_main_table_with_gateway_there_passes(network) -> None:
    # Given the staging subnet has no association, so it uses the main table, which has it all
    _move_staging_subnet_to_main_table(network)
    main = network.route_tables[network.MAIN_RT]
    network.set_route_table(
        network.MAIN_RT,
        routes=(
            *main.routes,
            network.route("10.10.0.0/16", RouteTargetKind.PEERING_CONNECTION, network.PEERING),
        ),
    )
    network.set_endpoint("s3-gateway", route_table_ids=(network.MAIN_RT,))
    # When / Then
    assert network.codes() == set()


def test_run_preflight_staging_subnet_implicitly_on_main_table_without_gateway_blocks(network) -> None:
    # Given the gateway sits on the staging table, but the staging subnet fell back to main
    _move_staging_subnet_to_main_table(network)
    main = network.route_tables[network.MAIN_RT]
    network.set_route_table(
        network.MAIN_RT,
        routes=(
            *main.routes,
            network.route("10.10.0.0/16", RouteTargetKind.PEERING_CONNECTION, network.PEERING),
        ),
    )
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["GATEWAY_ROUTE_MISSING"]
    assert f"uses {network.MAIN_RT} (the main route table, implicitly associated)" in problems[0].message


@pytest.mark.parametrize(
    ("case", "routes"),
    [
        (
            "peering connection",
            [("10.10.0.0/16", RouteTargetKind.PEERING_CONNECTION, "pcx-00000000000000001")],
        ),
        (
            "a containing range via TGW",
            [("10.0.0.0/8", RouteTargetKind.TRANSIT_GATEWAY, "tgw-00000000000000001")],
        ),
        ("default route via TGW", [("0.0.0.0/0", RouteTargetKind.TRANSIT_GATEWAY, "tgw-00000000000000001")]),
        ("VPN gateway", [("10.10.0.0/16", RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY, "vgw-00000000000000001")]),
        ("an appliance ENI", [("10.10.0.0/16", RouteTargetKind.NETWORK_INTERFACE, "eni-00000000000000001")]),
        (
            "specific route beats the internet default",
            [
                ("0.0.0.0/0", RouteTargetKind.INTERNET_GATEWAY, "igw-00000000000000001"),
                ("10.10.0.0/16", RouteTargetKind.PEERING_CONNECTION, "pcx-00000000000000001"),
            ],
        ),
    ],
)
def test_run_preflight_return_route_to_private_target_passes(network, case, routes) -> None:
    # Given
    local = network.route("192.168.128.0/24", RouteTargetKind.LOCAL, "local")
    gateway = network.route(network.S3_PREFIX_LIST, RouteTargetKind.VPC_ENDPOINT, network.ENDPOINT_IDS["s3-gateway"])
    network.set_route_table(network.STAGING_RT, routes=(local, gateway, *(network.route(*r) for r in routes)))
    # When / Then
    assert network.codes() == set(), case


ADD = "Add a route to rtb-00000000000000002: 10.10.0.0/16 via "
REPLACE = "Replace the route 10.10.0.0/16 in rtb-00000000000000002 "


@pytest.mark.parametrize(
    ("case", "routes", "expected_in_message", "fix"),
    [
        ("no route", [], "has no route for source range 10.10.0.0/16", ADD),
        (
            "only the internet",
            [("0.0.0.0/0", RouteTargetKind.INTERNET_GATEWAY, "igw-00000000000000001")],
            "0.0.0.0/0 → igw-00000000000000001 (internet-gateway)",
            ADD,
        ),
        (
            "a smaller range only",
            [("10.10.1.0/24", RouteTargetKind.PEERING_CONNECTION, "pcx-00000000000000001")],
            # exactly the rest of the /16: everything but 10.10.1.0/24
            "has no route for 10.10.0.0/24, 10.10.2.0/23, 10.10.4.0/22, 10.10.8.0/21, 10.10.16.0/20, "
            "10.10.32.0/19, 10.10.64.0/18, 10.10.128.0/17 of source range 10.10.0.0/16",
            ADD,
        ),
        (
            "blackhole",
            [("10.10.0.0/16", RouteTargetKind.PEERING_CONNECTION, "pcx-00000000000000001", "blackhole")],
            "'blackhole'",
            REPLACE,
        ),
        (
            "more specific route to a NAT gateway wins",
            [
                ("10.0.0.0/8", RouteTargetKind.TRANSIT_GATEWAY, "tgw-00000000000000001"),
                ("10.10.0.0/16", RouteTargetKind.NAT_GATEWAY, "nat-00000000000000001"),
            ],
            "nat-00000000000000001 (nat-gateway)",
            REPLACE,
        ),
    ],
)
def test_run_preflight_return_route_missing_blocks(network, case, routes, expected_in_message, fix) -> None:
    # Given
    local = network.route("192.168.128.0/24", RouteTargetKind.LOCAL, "local")
    gateway = network.route(network.S3_PREFIX_LIST, RouteTargetKind.VPC_ENDPOINT, network.ENDPOINT_IDS["s3-gateway"])
    network.set_route_table(network.STAGING_RT, routes=(local, gateway, *(network.route(*r) for r in routes)))
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("RETURN_ROUTE_MISSING", network.STAGING_RT)], case
    assert "source range 10.10.0.0/16" in problems[0].message
    assert expected_in_message in problems[0].message
    assert problems[0].fix.startswith(fix)


def test_run_preflight_return_route_via_customer_prefix_list_passes(network) -> None:
    # Given the route's destination is a prefix list of the data-centre ranges
    network.prefix_lists = [PrefixList(prefix_list_id="pl-0dc0dc0dc0dc0dc0d", cidrs=(IPv4Network("10.0.0.0/8"),))]
    local = network.route("192.168.128.0/24", RouteTargetKind.LOCAL, "local")
    gateway = network.route(network.S3_PREFIX_LIST, RouteTargetKind.VPC_ENDPOINT, network.ENDPOINT_IDS["s3-gateway"])
    to_dc = network.route("pl-0dc0dc0dc0dc0dc0d", RouteTargetKind.TRANSIT_GATEWAY, "tgw-00000000000000001")
    network.set_route_table(network.STAGING_RT, routes=(local, gateway, to_dc))
    # When / Then
    assert network.codes() == set()


def test_run_preflight_return_route_one_finding_per_missing_range(network) -> None:
    # Given a second source range with no route
    network.source_cidrs = [IPv4Network("10.10.0.0/16"), IPv4Network("172.20.0.0/16")]
    for role in ("replication",):
        network.set_sg(role, ingress=(network.tcp(1500, "10.10.0.0/16", "172.20.0.0/16"),))
    for role in ("mgn-endpoint", "s3-endpoint"):
        rules = network.security_groups[role].ingress
        network.set_sg(role, ingress=(*rules, network.tcp(443, "172.20.0.0/16")))
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["RETURN_ROUTE_MISSING"]
    assert "172.20.0.0/16" in problems[0].message
