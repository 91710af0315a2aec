"""Network ACL evaluation, the way AWS does it, for a whole range of peers and ports at once.

AWS evaluates a NACL per packet: entries of the packet's direction in ascending rule number, the
first entry whose protocol, CIDR and port range match decides, and the `*` rule (32767) denies
what nothing else matched. The preflight asks about ranges ("TCP 1024-65535 back to
10.1.0.0/16"), so we carry the part of the range that no entry has decided yet as a set of
(network, port interval) boxes: an allow entry removes what it covers, and the first deny entry
that touches what is left decides the verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mgn_wave.preflight.network import PROTOCOL_ALL, NaclEntry, NetworkAcl

if TYPE_CHECKING:
    from ipaddress import IPv4Network

DEFAULT_RULE_NUMBER = 32767  # shown as `*` in the console: the implicit deny-all entry
_ALL_PORTS = (0, 65535)


@dataclass(frozen=True)
class NaclVerdict:
    allowed: bool
    # The rule number that decided: the deny that matched first, the allow that covered the last
    # undecided part, or DEFAULT_RULE_NUMBER when nothing matched.
    rule_number: int
    # Part of the asked range that the deciding deny matched (None when allowed).
    blocked_peer: IPv4Network | None = None
    blocked_ports: tuple[int, int] | None = None


@dataclass(frozen=True)
class _Box:
    peer: IPv4Network
    low: int
    high: int


def _entry_ports(entry: NaclEntry) -> tuple[int, int]:
    if entry.protocol == PROTOCOL_ALL or entry.port_range is None:
        return _ALL_PORTS
    return entry.port_range.from_port, entry.port_range.to_port


def _intersection(box: _Box, entry_peer: IPv4Network, ports: tuple[int, int]) -> _Box | None:
    # CIDR blocks are either nested or disjoint, so the overlap is the smaller one, if any.
    if box.peer.subnet_of(entry_peer):
        peer = box.peer
    elif entry_peer.subnet_of(box.peer):
        peer = entry_peer
    else:
        return None
    low, high = max(box.low, ports[0]), min(box.high, ports[1])
    if low > high:
        return None
    return _Box(peer, low, high)


def _subtract(box: _Box, covered: _Box) -> list[_Box]:
    rest: list[_Box] = []
    if covered.peer != box.peer:
        rest.extend(_Box(net, box.low, box.high) for net in box.peer.address_exclude(covered.peer))
    if covered.low > box.low:
        rest.append(_Box(covered.peer, box.low, covered.low - 1))
    if covered.high < box.high:
        rest.append(_Box(covered.peer, covered.high + 1, box.high))
    return rest


def evaluate_nacl(
    acl: NetworkAcl,
    *,
    egress: bool,
    peer: IPv4Network,
    ports: tuple[int, int],
    protocol: str,
) -> NaclVerdict:
    """Does `acl` let every packet of `protocol` between `peer` and `ports` through, one way?"""
    entries = sorted(
        (e for e in acl.entries if e.egress == egress),
        key=lambda e: e.rule_number,
    )
    undecided = [_Box(peer, ports[0], ports[1])]
    for entry in entries:
        # An IPv6 entry (no IPv4 CIDR) never matches the IPv4 traffic MGN uses.
        if entry.cidr is None or entry.protocol not in (PROTOCOL_ALL, protocol):
            continue
        still_undecided: list[_Box] = []
        for box in undecided:
            hit = _intersection(box, entry.cidr, _entry_ports(entry))
            if hit is None:
                still_undecided.append(box)
            elif entry.rule_action.lower() != "allow":
                return NaclVerdict(False, entry.rule_number, hit.peer, (hit.low, hit.high))
            else:
                still_undecided.extend(_subtract(box, hit))
        undecided = still_undecided
        if not undecided:
            return NaclVerdict(True, entry.rule_number)
    first = undecided[0]
    return NaclVerdict(False, DEFAULT_RULE_NUMBER, first.peer, (first.low, first.high))
