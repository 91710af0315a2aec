"""The route a subnet's table picks for each source address, decided the way the VPC router does.

A reply from the staging subnet or from an interface endpoint's network interface leaves through
the route table of the subnet it is in. For every address of a source range that table must pick
an active route toward the source network. The order of preference (docs/aws-facts.md, "Route
priority"):

1. the longest prefix that contains the address;
2. at equal length, a static route (a CIDR destination) before a prefix-list route, and a
   prefix-list route before a propagated one;
3. a propagated route never beats the `local` route, even when it is more specific.

`pick_for_address` is that definition for one address. `picks_for_range` gives the same answer
for a whole range at once, exactly: it splits the range by the more specific destinations inside
it (never by sampling), so every block of the result has one and the same route for each of its
addresses. `route_gaps` groups the blocks a table answers wrongly by the route that wins them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from ipaddress import IPv4Address, IPv4Network, collapse_addresses
from typing import TYPE_CHECKING

from mgn_wave.preflight.network import RouteTargetKind

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

    from mgn_wave.preflight.network import NetworkSnapshot, Route, RouteTable

# Route targets that can carry traffic back to a private source network.
PRIVATE_ROUTE_TARGETS = frozenset(
    {
        RouteTargetKind.PEERING_CONNECTION,
        RouteTargetKind.TRANSIT_GATEWAY,
        RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY,
        RouteTargetKind.NETWORK_INTERFACE,
        RouteTargetKind.INSTANCE,
        RouteTargetKind.LOCAL_GATEWAY,
        RouteTargetKind.CORE_NETWORK,
    }
)

# Preference among routes of one prefix length (higher wins).
_STATIC = 3
_PREFIX_LIST = 2
_PROPAGATED = 1


@dataclass(frozen=True)
class RouteCandidate:
    """One destination a route of the table matches: its own CIDR, or one entry of its prefix list."""

    destination: IPv4Network
    route: Route
    index: int  # the route's position in the table: a stable tie-break and its identity
    preference: int

    @property
    def via_prefix_list(self) -> bool:
        return self.route.destination_prefix_list_id is not None

    def describe(self) -> str:
        """`10.10.5.0/24 → igw-… (internet-gateway)`, naming the prefix list an entry came from."""
        where = (
            f"{self.destination} (an entry of prefix list {self.route.destination_prefix_list_id})"
            if self.via_prefix_list
            else str(self.destination)
        )
        return f"{where} → {self.route.target_id} ({self.route.target_kind})"


class RouteVerdict(StrEnum):
    TOWARD_SOURCES = "toward-sources"
    NO_ROUTE = "no-route"
    INACTIVE = "inactive"  # blackhole: the target is gone, the route still wins and drops
    WRONG_TARGET = "wrong-target"  # local, an internet or NAT gateway, an endpoint, ...


@dataclass(frozen=True)
class RoutePick:
    """Every address of `block` is sent by the table to `candidate` (None: no route matches)."""

    block: IPv4Network
    candidate: RouteCandidate | None


@dataclass(frozen=True)
class RouteGap:
    """Parts of a source range the table does not send back toward the sources, with the route
    that wins them (None: nothing matches them)."""

    source_range: IPv4Network
    blocks: tuple[IPv4Network, ...]
    candidate: RouteCandidate | None
    verdict: RouteVerdict


def effective_route_table(snapshot: NetworkSnapshot, subnet_id: str) -> RouteTable | None:
    """The route table a subnet uses: its explicit association, else the VPC's main table."""
    explicit = next((t for t in snapshot.route_tables if subnet_id in t.subnet_ids), None)
    if explicit is not None:
        return explicit
    return next((t for t in snapshot.route_tables if t.is_main), None)


def route_candidates(snapshot: NetworkSnapshot, table: RouteTable) -> list[RouteCandidate]:
    """Each route's destinations, prefix lists expanded through the entries the EC2 adapter read.

    AWS-managed prefix lists (S3, DynamoDB) are not expanded: they hold the services' public
    ranges, which never overlap a private source range."""
    candidates = []
    for index, route in enumerate(table.routes):
        if route.destination_cidr is not None:
            preference = _PROPAGATED if route.propagated else _STATIC
            candidates.append(RouteCandidate(route.destination_cidr, route, index, preference))
        elif route.destination_prefix_list_id is not None:
            prefix_list = snapshot.prefix_list(route.destination_prefix_list_id)
            for cidr in prefix_list.cidrs if prefix_list else ():
                candidates.append(RouteCandidate(cidr, route, index, _PREFIX_LIST))
    return candidates


def _best(matching: Sequence[RouteCandidate]) -> RouteCandidate | None:
    if any(c.route.target_kind is RouteTargetKind.LOCAL for c in matching):
        # A propagated route loses to the local route even when it is more specific.
        matching = [c for c in matching if c.preference != _PROPAGATED]
    return max(matching, key=lambda c: (c.destination.prefixlen, c.preference, -c.index), default=None)


def pick_for_address(candidates: Iterable[RouteCandidate], address: IPv4Address) -> RouteCandidate | None:
    """The route the table picks for one destination address."""
    return _best([c for c in candidates if address in c.destination])


def picks_for_range(candidates: Iterable[RouteCandidate], network: IPv4Network) -> list[RoutePick]:
    """The table's pick for every address of `network`, as blocks that share one pick.

    Two CIDRs are either nested or disjoint, so a block that contains no destination strictly
    inside it has the same set of matching routes at every address: one pick serves the block.
    A block with a destination inside it is halved until that holds."""
    relevant = [c for c in candidates if c.destination.overlaps(network)]
    picks: list[RoutePick] = []
    stack = [network]
    while stack:
        block = stack.pop()
        inside = any(c.destination != block and c.destination.subnet_of(block) for c in relevant)
        if inside:
            stack.extend(reversed(list(block.subnets(prefixlen_diff=1))))
            continue
        picks.append(RoutePick(block, _best([c for c in relevant if block.subnet_of(c.destination)])))
    return picks


def judge(candidate: RouteCandidate | None) -> RouteVerdict:
    if candidate is None:
        return RouteVerdict.NO_ROUTE
    if candidate.route.state.lower() != "active":
        return RouteVerdict.INACTIVE
    if candidate.route.target_kind not in PRIVATE_ROUTE_TARGETS:
        return RouteVerdict.WRONG_TARGET
    return RouteVerdict.TOWARD_SOURCES


def answers(snapshot: NetworkSnapshot, subnet_id: str, address: IPv4Address) -> bool:
    """Does the subnet's table send a reply to `address` back toward the sources?"""
    table = effective_route_table(snapshot, subnet_id)
    if table is None:
        return False
    return judge(pick_for_address(route_candidates(snapshot, table), address)) is RouteVerdict.TOWARD_SOURCES


def route_gaps(snapshot: NetworkSnapshot, table: RouteTable, source_range: IPv4Network) -> list[RouteGap]:
    """The parts of `source_range` that `table` does not send toward the sources, one gap per
    winning route (blocks collapsed into the fewest CIDRs), in address order."""
    grouped: dict[tuple[int, IPv4Network] | None, list[IPv4Network]] = {}
    winners: dict[tuple[int, IPv4Network] | None, RouteCandidate | None] = {}
    for pick in picks_for_range(route_candidates(snapshot, table), source_range):
        if judge(pick.candidate) is RouteVerdict.TOWARD_SOURCES:
            continue
        key = None if pick.candidate is None else (pick.candidate.index, pick.candidate.destination)
        grouped.setdefault(key, []).append(pick.block)
        winners[key] = pick.candidate
    gaps = [
        RouteGap(
            source_range=source_range,
            blocks=tuple(collapse_addresses(blocks)),
            candidate=winners[key],
            verdict=judge(winners[key]),
        )
        for key, blocks in grouped.items()
    ]
    return sorted(gaps, key=lambda g: g.blocks[0])
