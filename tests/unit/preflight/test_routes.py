"""Return routes as the VPC router picks them: every answering subnet, every address of the sources.

The two networks of the field that the old check passed: (a) the interface endpoints in a subnet
of their own whose table has no way back; (b) a more specific route inside a source range (a
leftover /24 to an internet gateway, a blackhole). And a property: the exact range evaluation
agrees, address by address, with a brute-force reading of the documented route priority.
"""

from __future__ import annotations

import itertools
from ipaddress import IPv4Address, IPv4Network

from hypothesis import given, settings
from hypothesis import strategies as st

from mgn_wave.preflight.findings import Severity
from mgn_wave.preflight.network import (
    NetworkSnapshot,
    PrefixList,
    Route,
    RouteTable,
    RouteTargetKind,
    SubnetInfo,
    VpcInfo,
)
from mgn_wave.preflight.routes import PRIVATE_ROUTE_TARGETS, route_gaps

ENDPOINTS_RT = "rtb-00000000000000003"
ENDPOINTS_ONLY_SUBNET = "subnet-0000000000000000c"
IGW = "igw-00000000000000001"


def _endpoints_in_their_own_subnet(network, *, routes) -> None:
    """Every interface endpoint moves to subnet c, which has a route table of its own."""
    network.subnets.append(
        SubnetInfo(
            subnet_id=ENDPOINTS_ONLY_SUBNET, cidr=IPv4Network("192.168.128.192/26"), availability_zone="us-east-1b"
        )
    )
    network.subnets[1] = network.subnets[1].model_copy(update={"cidr": IPv4Network("192.168.128.128/26")})
    for key in ("mgn", "ec2", "s3-interface", "ssm", "ssmmessages", "ec2messages"):
        network.set_endpoint(key, subnet_ids=(ENDPOINTS_ONLY_SUBNET,))
    local = network.route("192.168.128.0/24", RouteTargetKind.LOCAL, "local")
    network.route_tables[ENDPOINTS_RT] = RouteTable(
        route_table_id=ENDPOINTS_RT,
        is_main=False,
        subnet_ids=(ENDPOINTS_ONLY_SUBNET,),
        routes=(local, *(network.route(*r) for r in routes)),
    )


def test_endpoints_in_their_own_subnet_without_a_route_back_block(network) -> None:
    # Given (a): the staging table routes the sources back, the endpoints' table only knows the VPC
    _endpoints_in_their_own_subnet(network, routes=())
    # When
    problems = network.problems()
    # Then: one finding, naming the endpoints' table and subnet, not the staging table
    assert [(f.code, f.severity, f.resource) for f in problems] == [
        ("RETURN_ROUTE_MISSING", Severity.BLOCKER, ENDPOINTS_RT)
    ]
    message = problems[0].message
    assert f"subnet {ENDPOINTS_ONLY_SUBNET} (explicitly associated, with the mgn, s3, ssm" in message
    assert "has no route for source range 10.10.0.0/16" in message
    assert (
        "the mgn, s3, ssm, ssmmessages, ec2messages interface endpoints cannot answer the sources' TCP 443" in message
    )
    assert "replication servers" not in message
    assert problems[0].fix.startswith(f"Add a route to {ENDPOINTS_RT}: 10.10.0.0/16 via the peering connection")


def test_endpoints_subnet_with_its_own_route_back_passes(network) -> None:
    _endpoints_in_their_own_subnet(
        network, routes=[("10.0.0.0/8", RouteTargetKind.TRANSIT_GATEWAY, "tgw-00000000000000001")]
    )
    assert network.codes() == set()


def test_endpoints_subnet_falling_back_to_a_main_table_without_the_route_blocks(network) -> None:
    # Given the endpoints' subnet has no association: it uses the main table, which has no way back
    _endpoints_in_their_own_subnet(network, routes=())
    del network.route_tables[ENDPOINTS_RT]
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("RETURN_ROUTE_MISSING", network.MAIN_RT)]
    assert "the main route table, implicitly associated" in problems[0].message


def test_only_ssm_endpoints_without_a_route_back_warn(network) -> None:
    # Given the SSM endpoints alone sit in subnet c, whose table has no way back
    _endpoints_in_their_own_subnet(network, routes=())
    for key in ("mgn", "ec2", "s3-interface"):
        network.set_endpoint(key, subnet_ids=(network.STAGING_SUBNET,))
    # When
    problems = network.problems()
    # Then: Run Command cannot reach the servers, the wave itself is not blocked by it
    assert [(f.code, f.severity) for f in problems] == [("RETURN_ROUTE_MISSING", Severity.WARNING)]
    assert "the ssm, ssmmessages, ec2messages interface endpoints" in problems[0].message


def test_leftover_slash_24_to_an_internet_gateway_inside_the_source_range_blocks(network) -> None:
    # Given (b): the /16 goes back over the peering connection, a /24 of it to the internet
    table = network.route_tables[network.STAGING_RT]
    leftover = network.route("10.10.5.0/24", RouteTargetKind.INTERNET_GATEWAY, IGW)
    network.set_route_table(network.STAGING_RT, routes=(*table.routes, leftover))
    # When
    problems = network.problems()
    # Then: the /24 alone, with the route that wins it
    assert [(f.code, f.resource) for f in problems] == [("RETURN_ROUTE_MISSING", network.STAGING_RT)]
    assert (
        f"sends 10.10.5.0/24 of source range 10.10.0.0/16 to the route 10.10.5.0/24 → {IGW} (internet-gateway)"
        in problems[0].message
    )
    assert "replication servers cannot answer the agents on TCP 1500" in problems[0].message
    assert problems[0].fix.startswith(f"Replace the route 10.10.5.0/24 in {network.STAGING_RT} (now {IGW})")


def test_blackhole_inside_the_source_range_blocks_that_part_only(network) -> None:
    table = network.route_tables[network.STAGING_RT]
    stale = network.route("10.10.7.128/25", RouteTargetKind.PEERING_CONNECTION, "pcx-0000000000000dead", "blackhole")
    network.set_route_table(network.STAGING_RT, routes=(*table.routes, stale))
    (problem,) = network.problems()
    assert "sends 10.10.7.128/25 of source range 10.10.0.0/16 to the route 10.10.7.128/25" in problem.message
    assert "which is 'blackhole'" in problem.message


def test_prefix_list_entry_inside_the_source_range_is_expanded(network) -> None:
    # Given a customer prefix list routed to the internet holds a /26 of the data centre
    network.prefix_lists = [
        PrefixList(
            prefix_list_id="pl-0aaaabbbbccccdddd", cidrs=(IPv4Network("10.10.9.0/26"), IPv4Network("8.8.8.0/24"))
        )
    ]
    table = network.route_tables[network.STAGING_RT]
    to_internet = network.route("pl-0aaaabbbbccccdddd", RouteTargetKind.INTERNET_GATEWAY, IGW)
    network.set_route_table(network.STAGING_RT, routes=(*table.routes, to_internet))
    # When
    (problem,) = network.problems()
    # Then
    assert "10.10.9.0/26 (an entry of prefix list pl-0aaaabbbbccccdddd)" in problem.message
    assert problem.fix.startswith("Remove 10.10.9.0/26 from prefix list pl-0aaaabbbbccccdddd")


def test_static_route_beats_a_propagated_one_of_the_same_prefix(network) -> None:
    # Given the VPN propagates the /16 and someone added a static /16 to the internet
    table = network.route_tables[network.STAGING_RT]
    local, _peering, gateway = table.routes
    propagated = Route(
        destination_cidr=IPv4Network("10.10.0.0/16"),
        target_kind=RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY,
        target_id="vgw-00000000000000001",
        propagated=True,
    )
    static = network.route("10.10.0.0/16", RouteTargetKind.INTERNET_GATEWAY, IGW)
    network.set_route_table(network.STAGING_RT, routes=(local, gateway, propagated, static))
    (problem,) = network.problems()
    assert f"10.10.0.0/16 → {IGW}" in problem.message
    # and without the static route, the propagated one answers
    network.set_route_table(network.STAGING_RT, routes=(local, gateway, propagated))
    assert network.codes() == set()


# --- the property ------------------------------------------------------------------------------

_KINDS = [
    RouteTargetKind.PEERING_CONNECTION,
    RouteTargetKind.TRANSIT_GATEWAY,
    RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY,
    RouteTargetKind.INTERNET_GATEWAY,
    RouteTargetKind.NAT_GATEWAY,
    RouteTargetKind.LOCAL,
]
_PREFIX_LIST_ID = "pl-0123456789abcdef0"


@st.composite
def _networks(draw: st.DrawFn, within: IPv4Network, low: int, high: int) -> IPv4Network:
    prefix = draw(st.integers(low, high))
    host = draw(st.integers(0, within.num_addresses - 1))
    return IPv4Network((int(within.network_address) + host, prefix), strict=False)


@st.composite
def _tables(draw: st.DrawFn) -> tuple[NetworkSnapshot, RouteTable, IPv4Network]:
    world = IPv4Network("10.0.0.0/12")  # small enough that routes and sources overlap often
    source = draw(_networks(world, 12, 22))
    routes = []
    for index in range(draw(st.integers(0, 8))):
        kind = draw(st.sampled_from(_KINDS))
        state = draw(st.sampled_from(["active", "active", "active", "blackhole"]))
        if draw(st.integers(0, 5)) == 0:
            routes.append(Route(destination_prefix_list_id=_PREFIX_LIST_ID, target_kind=kind, target_id=f"x-{index}"))
            continue
        destination = draw(st.one_of(_networks(world, 8, 28), st.just(IPv4Network("0.0.0.0/0"))))
        propagated = kind is RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY and draw(st.booleans())
        routes.append(
            Route(
                destination_cidr=destination,
                target_kind=kind,
                target_id=f"x-{index}",
                state=state,
                propagated=propagated,
            )
        )
    entries = tuple(dict.fromkeys(draw(st.lists(_networks(world, 10, 28), max_size=4))))
    table = RouteTable(route_table_id="rtb-00000000000000009", is_main=True, routes=tuple(routes))
    snapshot = NetworkSnapshot(
        region="us-east-1",
        vpc=VpcInfo(
            vpc_id="vpc-0a11a11a11a11a11a",
            cidr_blocks=(IPv4Network("192.168.0.0/16"),),
            enable_dns_support=True,
            enable_dns_hostnames=True,
        ),
        route_tables=(table,),
        prefix_lists=(PrefixList(prefix_list_id=_PREFIX_LIST_ID, cidrs=entries),),
    )
    return snapshot, table, source


def _brute_force_route(snapshot: NetworkSnapshot, table: RouteTable, address: IPv4Address) -> tuple[int, Route] | None:
    """The documented priority, read literally for one address: longest prefix; then static,
    prefix list, propagated; a propagated route never beats `local`; first listed on a full tie."""
    matches: list[tuple[int, int, int, Route]] = []  # (prefix length, rank, -position, route)
    for position, route in enumerate(table.routes):
        if route.destination_prefix_list_id is not None:
            entries = snapshot.prefix_list(route.destination_prefix_list_id)
            for cidr in entries.cidrs if entries else ():
                if address in cidr:
                    matches.append((cidr.prefixlen, 2, -position, route))
        elif route.destination_cidr is not None and address in route.destination_cidr:
            matches.append((route.destination_cidr.prefixlen, 1 if route.propagated else 3, -position, route))
    if any(m[3].target_kind is RouteTargetKind.LOCAL for m in matches):
        matches = [m for m in matches if not m[3].propagated]
    if not matches:
        return None
    best = max(matches, key=lambda m: m[:3])
    return -best[2], best[3]


def _answers(route: tuple[int, Route] | None) -> bool:
    return route is not None and route[1].state == "active" and route[1].target_kind in PRIVATE_ROUTE_TARGETS


@settings(max_examples=300, deadline=None, derandomize=True)
@given(case=_tables(), samples=st.lists(st.integers(0, 2**32 - 1), min_size=16, max_size=16))
def test_route_gaps_agree_with_brute_force_on_sampled_addresses(case, samples) -> None:
    snapshot, table, source = case
    gaps = route_gaps(snapshot, table, source)
    blocks = [block for gap in gaps for block in gap.blocks]
    # Gaps are parts of the source range, and never overlap
    assert all(block.subnet_of(source) for block in blocks)
    ordered = sorted(blocks)
    assert all(a.broadcast_address < b.network_address for a, b in itertools.pairwise(ordered))
    # Sampled addresses, plus each edge of every route destination and gap, seen from inside the range
    edges = [int(source.network_address), int(source.broadcast_address)]
    for network in [*blocks, *(r.destination_cidr for r in table.routes if r.destination_cidr)]:
        edges += [int(network.network_address) - 1, int(network.network_address), int(network.broadcast_address)]
        edges += [int(network.broadcast_address) + 1]
    addresses = [IPv4Address(int(source.network_address) + s % source.num_addresses) for s in samples]
    addresses += [IPv4Address(e) for e in edges if int(source.network_address) <= e <= int(source.broadcast_address)]
    for address in addresses:
        expected = _brute_force_route(snapshot, table, address)
        gap = next((g for g in gaps if any(address in b for b in g.blocks)), None)
        assert (gap is None) == _answers(expected), (address, expected, gaps)
        if gap is not None:
            winner = None if gap.candidate is None else (gap.candidate.index, gap.candidate.route)
            assert winner == expected, address
