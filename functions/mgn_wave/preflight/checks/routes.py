"""Routes: the s3 gateway endpoint on the staging subnet's table, and every subnet that answers
the sources routing its replies back to them (the route picking is `preflight/routes.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mgn_wave.preflight.checks.codes import GATEWAY_ROUTE_MISSING, RETURN_ROUTE_MISSING
from mgn_wave.preflight.checks.common import (
    INTERFACE,
    MGN_ENDPOINT,
    S3_GATEWAY_ENDPOINT,
    S3_INTERFACE_ENDPOINT,
    SSM_SERVICES,
    find_endpoint,
    finding,
    joined,
)
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.routes import RouteGap, RouteVerdict, effective_route_table, route_gaps

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mgn_wave.preflight.network import (
        NetworkSnapshot,
        PrivatePathTarget,
        RouteTable,
    )


def _how_associated(table: RouteTable, subnet_id: str) -> str:
    return "explicitly associated" if subnet_id in table.subnet_ids else "the main route table, implicitly associated"


def check_gateway_route(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    gateway = find_endpoint(snapshot, target, S3_GATEWAY_ENDPOINT.service, S3_GATEWAY_ENDPOINT.endpoint_type)
    table = effective_route_table(snapshot, target.staging_subnet_id)
    if gateway is None or table is None or table.route_table_id in gateway.route_table_ids:
        return []
    associated = joined(gateway.route_table_ids) or "no route table"
    return [
        finding(
            Severity.BLOCKER,
            GATEWAY_ROUTE_MISSING,
            gateway.endpoint_id,
            f"The s3 gateway endpoint {gateway.endpoint_id} is associated with {associated}, but the staging "
            f"subnet {target.staging_subnet_id} uses {table.route_table_id} "
            f"({_how_associated(table, target.staging_subnet_id)}): replication servers have no route to S3.",
            f"Associate {gateway.endpoint_id} with route table {table.route_table_id} "
            f"(modify-vpc-endpoint --add-route-table-ids {table.route_table_id}).",
        )
    ]


@dataclass(frozen=True)
class AnsweringSubnet:
    """A subnet whose replies must find their way back to the sources, and who answers from it."""

    subnet_id: str
    role: str  # "staging", or the service of the endpoint whose interface sits in it
    endpoint_id: str | None
    severity: Severity


def subnets_answering_sources(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[AnsweringSubnet]:
    """The staging subnet (TCP 1500 from the agents), every subnet of the mgn and s3 interface
    endpoints (the agents' and installers' TCP 443), and of the SSM endpoints when there are any
    (the SSM Agents': Run Command installs the agent; without those endpoints the sources may use
    another way to SSM, hence a WARNING like SSM_ENDPOINT_MISSING's)."""
    subnets = [AnsweringSubnet(target.staging_subnet_id, "staging", None, Severity.BLOCKER)]
    services = [(spec.service, Severity.BLOCKER) for spec in (MGN_ENDPOINT, S3_INTERFACE_ENDPOINT)]
    services += [(service, Severity.WARNING) for service in SSM_SERVICES]
    for service, severity in services:
        endpoint = find_endpoint(snapshot, target, service, INTERFACE)
        if endpoint is not None:
            subnets.extend(
                AnsweringSubnet(subnet_id, service, endpoint.endpoint_id, severity) for subnet_id in endpoint.subnet_ids
            )
    return subnets


def _who_answers(table: RouteTable, members: Sequence[AnsweringSubnet]) -> tuple[str, str]:
    """(which subnets use the table and what sits in them, what cannot answer) for a message."""
    by_subnet: dict[str, list[AnsweringSubnet]] = {}
    for member in members:
        by_subnet.setdefault(member.subnet_id, []).append(member)
    described = []
    for subnet_id, here in by_subnet.items():
        name = f"the staging subnet {subnet_id}" if any(m.role == "staging" for m in here) else f"subnet {subnet_id}"
        endpoints = [m.role for m in here if m.endpoint_id]
        inside = f", with the {', '.join(endpoints)} endpoint interfaces" if endpoints else ""
        described.append(f"{name} ({_how_associated(table, subnet_id)}{inside})")
    roles = list(dict.fromkeys(m.role for m in members))
    cannot = []
    if "staging" in roles:
        cannot.append("replication servers cannot answer the agents on TCP 1500")
    services = [r for r in roles if r != "staging"]
    if services:
        cannot.append(f"the {', '.join(services)} interface endpoints cannot answer the sources' TCP 443")
    return "; ".join(described), "; ".join(cannot)


def _gap_problem(gap: RouteGap, blocks: str) -> str:
    candidate = gap.candidate
    if candidate is None:
        return f"has no route for {blocks}"
    if gap.verdict is RouteVerdict.INACTIVE:
        return f"sends {blocks} to the route {candidate.describe()}, which is '{candidate.route.state}'"
    return f"sends {blocks} to the route {candidate.describe()}, which does not lead back to the private source network"


def _gap_fix(gap: RouteGap, table: RouteTable) -> str:
    way = "the peering connection, transit gateway or virtual private gateway that leads to the source network"
    candidate = gap.candidate
    if candidate is None or candidate.destination.prefixlen < gap.source_range.prefixlen:
        # A route for the whole range wins over the broader one and leaves more specific good routes alone.
        return f"Add a route to {table.route_table_id}: {gap.source_range} via {way}."
    if candidate.via_prefix_list:
        return (
            f"Remove {candidate.destination} from prefix list {candidate.route.destination_prefix_list_id}, or point "
            f"its route in {table.route_table_id} (now {candidate.route.target_id}) at {way}."
        )
    return (
        f"Replace the route {candidate.destination} in {table.route_table_id} (now {candidate.route.target_id}) "
        f"with one via {way} (replace-route), or delete it if a broader route to the sources covers it."
    )


def return_route_findings(
    snapshot: NetworkSnapshot, target: PrivatePathTarget, subnets: Sequence[AnsweringSubnet]
) -> list[Finding]:
    """One finding per route table, source range and winning route: the table of those subnets
    sends these parts of the range somewhere other than back to the sources."""
    tables: dict[str, tuple[RouteTable, list[AnsweringSubnet]]] = {}
    for subnet in subnets:
        table = effective_route_table(snapshot, subnet.subnet_id)
        if table is not None:
            tables.setdefault(table.route_table_id, (table, []))[1].append(subnet)
    findings = []
    for table, members in tables.values():
        severity = Severity.BLOCKER if any(m.severity is Severity.BLOCKER for m in members) else Severity.WARNING
        used_by, consequences = _who_answers(table, members)
        for source_range in target.source_cidrs:
            for gap in route_gaps(snapshot, table, source_range):
                blocks = ", ".join(str(b) for b in gap.blocks)
                if gap.blocks != (source_range,):
                    blocks = f"{blocks} of source range {source_range}"
                else:
                    blocks = f"source range {source_range}"
                findings.append(
                    finding(
                        severity,
                        RETURN_ROUTE_MISSING,
                        table.route_table_id,
                        f"Route table {table.route_table_id} of {used_by} {_gap_problem(gap, blocks)}: {consequences}.",
                        _gap_fix(gap, table),
                    )
                )
    return findings


def check_return_routes(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    return return_route_findings(snapshot, target, subnets_answering_sources(snapshot, target))
