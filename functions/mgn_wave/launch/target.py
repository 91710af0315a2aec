"""Preflight of the target side: where test and cutover instances land. Findings have the
preflight's shape and stable codes.

- TARGET_ROUTE_TO_INTERNET (BLOCKER): the target subnet's effective route table sends traffic to an
  internet gateway.
- TARGET_NACL_BLOCKS (BLOCKER): the target subnet's NACL drops TCP 443 out to the VPC (the SSM
  endpoints) or the replies.
- TARGET_SUBNET_TOO_SMALL (BLOCKER): the target subnet has fewer free addresses than servers to
  launch (test instances stay until terminated, so a cutover needs room beside them).
- TARGET_SSM_ENDPOINT_MISSING: no ssm, ssmmessages or ec2messages endpoint in the target VPC;
  BLOCKER when post-launch actions are on, WARNING otherwise (each instance's SSM check will fail).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.preflight.checks.common import find_endpoint, service_name
from mgn_wave.preflight.checks.nacls import nacl_of_subnet
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.nacl import evaluate_nacl
from mgn_wave.preflight.network import PROTOCOL_TCP, RouteTargetKind
from mgn_wave.preflight.routes import effective_route_table

if TYPE_CHECKING:
    from mgn_wave.preflight.network import NetworkSnapshot, PrivatePathTarget

TARGET_ROUTE_TO_INTERNET = "TARGET_ROUTE_TO_INTERNET"
TARGET_NACL_BLOCKS = "TARGET_NACL_BLOCKS"
TARGET_SSM_ENDPOINT_MISSING = "TARGET_SSM_ENDPOINT_MISSING"
TARGET_SUBNET_TOO_SMALL = "TARGET_SUBNET_TOO_SMALL"
_SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")
_INTERNET = frozenset({RouteTargetKind.INTERNET_GATEWAY, RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY})
_EPHEMERAL = (1024, 65535)


def check_target(
    snapshot: NetworkSnapshot,
    target: PrivatePathTarget,
    *,
    post_launch_actions: bool,
    free_addresses: int,
    instances: int,
) -> list[Finding]:
    """`target` names the target VPC and subnet in its staging fields (read the same way);
    `instances` are about to launch into a subnet with `free_addresses`."""
    return [
        *_routes(snapshot, target),
        *_room(target, free_addresses, instances),
        *_nacl(snapshot, target),
        *_ssm(snapshot, target, post_launch_actions),
    ]


def _room(target: PrivatePathTarget, free_addresses: int, instances: int) -> list[Finding]:
    if instances <= free_addresses:
        return []
    subnet = target.staging_subnet_id
    return [
        Finding(
            code=TARGET_SUBNET_TOO_SMALL,
            severity=Severity.BLOCKER,
            resource=subnet,
            message=(
                f"Target subnet {subnet} has {free_addresses} free IPv4 addresses for {instances} instances: "
                "the launches beyond them would fail (test instances keep their addresses until terminated)."
            ),
            fix=(
                "Terminate the test instances first (mgn-wave revert), launch fewer servers, "
                f"or use a larger subnet than {subnet}."
            ),
        )
    ]


def _routes(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    subnet = target.staging_subnet_id
    table = effective_route_table(snapshot, subnet)
    if table is None:
        return []
    return [
        Finding(
            code=TARGET_ROUTE_TO_INTERNET,
            severity=Severity.BLOCKER,
            resource=table.route_table_id,
            message=(
                f"Route table {table.route_table_id} of target subnet {subnet} sends "
                f"{route.destination_cidr or route.destination_prefix_list_id} to {route.target_id}: test and "
                "cutover instances would reach the internet, which nothing in this migration may cross."
            ),
            fix=(
                f"Remove the route to {route.target_id} from {table.route_table_id}, or choose a private target subnet."
            ),
        )
        for route in table.routes
        if route.target_kind in _INTERNET and route.state == "active"
    ]


def _nacl(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    subnet = target.staging_subnet_id
    acl = nacl_of_subnet(snapshot, subnet)
    if acl is None:
        return []
    findings = []
    for vpc_cidr in snapshot.vpc.cidr_blocks:
        for egress, ports, what in (
            (True, (443, 443), "TCP 443 out"),
            (False, _EPHEMERAL, "the replies (1024-65535) in"),
        ):
            verdict = evaluate_nacl(acl, egress=egress, peer=vpc_cidr, ports=ports, protocol=PROTOCOL_TCP)
            if verdict.allowed:
                continue
            findings.append(
                Finding(
                    code=TARGET_NACL_BLOCKS,
                    severity=Severity.BLOCKER,
                    resource=acl.network_acl_id,
                    message=(
                        f"Network ACL {acl.network_acl_id} of target subnet {subnet} drops {what} to {vpc_cidr} "
                        f"(rule {verdict.rule_number}): instances cannot reach the VPC's endpoints "
                        "(SSM, post-launch actions)."
                    ),
                    fix=f"Allow {what} for {vpc_cidr} in {acl.network_acl_id} before rule {verdict.rule_number}.",
                )
            )
    return findings


def _ssm(snapshot: NetworkSnapshot, target: PrivatePathTarget, post_launch_actions: bool) -> list[Finding]:
    severity = Severity.BLOCKER if post_launch_actions else Severity.WARNING
    why = (
        "post-launch actions (SSM documents MGN runs on the new instance) cannot start"
        if post_launch_actions
        else "each instance's SSM check will fail (its agent cannot register)"
    )
    findings = []
    for service in _SSM_SERVICES:
        endpoint = find_endpoint(snapshot, target, service, "Interface")
        if endpoint is not None and endpoint.state.lower() == "available":
            continue
        name = service_name(target.region, service)
        findings.append(
            Finding(
                code=TARGET_SSM_ENDPOINT_MISSING,
                severity=severity,
                resource=target.staging_vpc_id,
                message=(
                    f"The target VPC {target.staging_vpc_id} has no available interface endpoint for {name}: {why}."
                ),
                fix=f"Create an Interface VPC endpoint for {name} in {target.staging_vpc_id} with private DNS, "
                "admitting TCP 443 from the target subnet.",
            )
        )
    return findings
