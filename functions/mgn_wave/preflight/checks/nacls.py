"""Network ACLs of the staging subnet and of the endpoints' subnets, both directions (the
evaluation is `preflight/nacl.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mgn_wave.preflight.checks.codes import NACL_BLOCKS
from mgn_wave.preflight.checks.common import (
    EPHEMERAL_PORTS,
    HTTPS_PORT,
    MGN_ENDPOINT,
    REPLICATION_PORT,
    S3_INTERFACE_ENDPOINT,
    find_endpoint,
    finding,
)
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.nacl import DEFAULT_RULE_NUMBER, evaluate_nacl
from mgn_wave.preflight.network import (
    PROTOCOL_TCP,
    NetworkAcl,
    NetworkSnapshot,
    PrivatePathTarget,
)

if TYPE_CHECKING:
    from ipaddress import IPv4Network


@dataclass(frozen=True)
class _Flow:
    subnet_id: str
    subnet_label: str
    egress: bool
    peer: IPv4Network
    peer_label: str
    ports: tuple[int, int]


def nacl_of_subnet(snapshot: NetworkSnapshot, subnet_id: str) -> NetworkAcl | None:
    explicit = next((a for a in snapshot.network_acls if subnet_id in a.subnet_ids), None)
    return explicit or next((a for a in snapshot.network_acls if a.is_default), None)


def _nacl_flows(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[_Flow]:
    staging = target.staging_subnet_id
    sources = [(cidr, f"source range {cidr}") for cidr in target.source_cidrs]
    staging_label = f"the staging subnet {staging}"
    flows = [
        flow
        for cidr, label in sources
        for flow in (
            _Flow(staging, staging_label, False, cidr, label, (REPLICATION_PORT, REPLICATION_PORT)),
            _Flow(staging, staging_label, True, cidr, label, EPHEMERAL_PORTS),
        )
    ]
    endpoint_subnets: dict[str, str] = {}
    for spec in (MGN_ENDPOINT, S3_INTERFACE_ENDPOINT):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        for subnet_id in endpoint.subnet_ids:
            endpoint_subnets.setdefault(subnet_id, f"subnet {subnet_id} of the {spec.label} {endpoint.endpoint_id}")
    for subnet_id, subnet_label in endpoint_subnets.items():
        for cidr, label in sources:
            flows.append(_Flow(subnet_id, subnet_label, False, cidr, label, (HTTPS_PORT, HTTPS_PORT)))
            flows.append(_Flow(subnet_id, subnet_label, True, cidr, label, EPHEMERAL_PORTS))
    return flows


def _ports_text(ports: tuple[int, int]) -> str:
    return str(ports[0]) if ports[0] == ports[1] else f"{ports[0]}-{ports[1]}"


def check_nacls(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    seen: set[tuple[str, bool, tuple[int, int], IPv4Network]] = set()
    for flow in _nacl_flows(snapshot, target):
        acl = nacl_of_subnet(snapshot, flow.subnet_id)
        if acl is None:
            continue
        key = (acl.network_acl_id, flow.egress, flow.ports, flow.peer)
        if key in seen:  # two endpoint subnets can share one NACL: judge it once
            continue
        seen.add(key)
        verdict = evaluate_nacl(acl, egress=flow.egress, peer=flow.peer, ports=flow.ports, protocol=PROTOCOL_TCP)
        if verdict.allowed:
            continue
        direction, preposition = ("outbound", "to") if flow.egress else ("inbound", "from")
        port_text = _ports_text(flow.ports)
        if verdict.rule_number == DEFAULT_RULE_NUMBER:
            decided_by, below = "the default rule * (deny)", ""
        else:
            decided_by, below = (
                f"rule {verdict.rule_number} (deny)",
                f" with a rule number below {verdict.rule_number}",
            )
        part = ""
        if (verdict.blocked_peer, verdict.blocked_ports) != (flow.peer, flow.ports) and verdict.blocked_ports:
            # A partial block: say which part, so the operator finds the entry that catches it.
            part = f" (for {verdict.blocked_peer} ports {_ports_text(verdict.blocked_ports)})"
        findings.append(
            finding(
                Severity.BLOCKER,
                NACL_BLOCKS,
                acl.network_acl_id,
                f"Network ACL {acl.network_acl_id} of {flow.subnet_label} blocks {direction} TCP {port_text} "
                f"{preposition} {flow.peer_label}: {decided_by} decides{part}.",
                f"Add an {direction} allow entry to {acl.network_acl_id}{below}: TCP {port_text} "
                f"{preposition} {flow.peer}.",
            )
        )
    return findings
