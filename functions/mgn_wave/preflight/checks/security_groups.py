"""Security groups: the endpoints admit TCP 443 from the sources and the staging subnet, the
replication SGs admit TCP 1500 from the sources and let the replication servers out on 443."""

from __future__ import annotations

from ipaddress import IPv4Network, collapse_addresses
from typing import TYPE_CHECKING

from mgn_wave.preflight.checks.codes import (
    ENDPOINT_SG_BLOCKS_443,
    REPLICATION_SG_BLOCKS_1500,
    REPLICATION_SG_EGRESS_BLOCKED,
)
from mgn_wave.preflight.checks.common import (
    EC2_ENDPOINT,
    HTTPS_PORT,
    MGN_ENDPOINT,
    REPLICATION_PORT,
    S3_INTERFACE_ENDPOINT,
    EndpointSpec,
    find_endpoint,
    finding,
    joined,
)
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.network import (
    PROTOCOL_ALL,
    PROTOCOL_TCP,
    NetworkSnapshot,
    PrivatePathTarget,
    SecurityGroup,
    SgRule,
    VpcEndpoint,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence


def _rule_admits_port(rule: SgRule, port: int) -> bool:
    if rule.protocol == PROTOCOL_ALL:
        return True
    if rule.protocol != PROTOCOL_TCP:
        return False
    if rule.from_port is None or rule.to_port is None:
        return True
    return rule.from_port <= port <= rule.to_port


def _rule_cidrs(snapshot: NetworkSnapshot, rule: SgRule) -> list[IPv4Network]:
    cidrs = list(rule.ipv4_ranges)
    for prefix_list_id in rule.prefix_list_ids:
        prefix_list = snapshot.prefix_list(prefix_list_id)
        if prefix_list is not None:
            cidrs.extend(prefix_list.cidrs)
    return cidrs


def _covers(cidrs: Iterable[IPv4Network], network: IPv4Network) -> bool:
    # Collapsing first lets two adjacent rules (10.1.0.0/17 + 10.1.128.0/17) cover a /16.
    return any(network.subnet_of(block) for block in collapse_addresses(cidrs))


def _groups(snapshot: NetworkSnapshot, group_ids: Iterable[str]) -> list[SecurityGroup]:
    return [g for g in (snapshot.security_group(i) for i in group_ids) if g is not None]


def _rules(groups: Iterable[SecurityGroup], *, egress: bool, port: int) -> list[SgRule]:
    return [
        rule
        for group in groups
        for rule in (group.egress if egress else group.ingress)
        if _rule_admits_port(rule, port)
    ]


def sgs_admit(
    snapshot: NetworkSnapshot,
    group_ids: Sequence[str],
    *,
    egress: bool,
    port: int,
    network: IPv4Network | None = None,
    referenced_sg_ids: Iterable[str] = (),
    prefix_list_id: str | None = None,
) -> bool:
    """Do the SGs (their union) admit TCP `port` to/from `network`, a referenced SG or a prefix list?"""
    rules = _rules(_groups(snapshot, group_ids), egress=egress, port=port)
    referenced = set(referenced_sg_ids)
    if referenced and any(referenced.intersection(r.referenced_sg_ids) for r in rules):
        return True
    if prefix_list_id is not None and any(prefix_list_id in r.prefix_list_ids for r in rules):
        return True
    if network is None:
        return False
    return _covers((c for r in rules for c in _rule_cidrs(snapshot, r)), network)


def endpoint_sg_ids(snapshot: NetworkSnapshot, endpoint: VpcEndpoint) -> tuple[str, ...]:
    if endpoint.security_group_ids:
        return endpoint.security_group_ids
    # An interface endpoint created without SGs gets the VPC's default SG.
    default = next(
        (g for g in snapshot.security_groups if g.vpc_id == endpoint.vpc_id and g.group_name == "default"),
        None,
    )
    return (default.group_id,) if default else ()


def check_endpoint_sgs_admit_443(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    staging_subnet = snapshot.subnet(target.staging_subnet_id)
    findings = []
    sources = [(cidr, f"source range {cidr}") for cidr in target.source_cidrs]
    # Who calls which endpoint (docs/mgn-facts.md §4.1): agents call mgn and s3-interface from the sources;
    # replication servers call mgn and ec2 from the staging subnet.
    requirements: tuple[tuple[EndpointSpec, list[tuple[IPv4Network, str]], bool], ...] = (
        (MGN_ENDPOINT, sources, True),
        (S3_INTERFACE_ENDPOINT, sources, False),
        (EC2_ENDPOINT, [], True),
    )
    for spec, required_sources, from_staging in requirements:
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        sg_ids = endpoint_sg_ids(snapshot, endpoint)
        missing = [
            (network, label)
            for network, label in required_sources
            if not sgs_admit(snapshot, sg_ids, egress=False, port=HTTPS_PORT, network=network)
        ]
        if (
            from_staging
            and staging_subnet is not None
            and not sgs_admit(
                snapshot,
                sg_ids,
                egress=False,
                port=HTTPS_PORT,
                network=staging_subnet.cidr,
                referenced_sg_ids=target.replication_sg_ids,
            )
        ):
            missing.append((staging_subnet.cidr, f"the staging subnet {staging_subnet.subnet_id}"))
        sg_text = joined(sg_ids) or "(no security group)"
        first_sg = sg_ids[0] if sg_ids else "the endpoint's security group"
        for network, label in missing:
            findings.append(
                finding(
                    Severity.BLOCKER,
                    ENDPOINT_SG_BLOCKS_443,
                    endpoint.endpoint_id,
                    f"The security groups {sg_text} of the {spec.label} {endpoint.endpoint_id} admit no "
                    f"TCP 443 from {label} ({network}).",
                    f"Add an inbound rule to {first_sg}: TCP 443 from {network}.",
                )
            )
    return findings


# --- replication security groups --------------------------------------------------------------


def replication_sgs_admit_1500(
    snapshot: NetworkSnapshot,
    replication_sg_ids: Sequence[str],
    source_cidrs: Sequence[IPv4Network],
) -> list[Finding]:
    """One BLOCKER per source range that the replication SGs together do not admit on TCP 1500.

    Public on purpose: the replication-template guardrails reuse it when they set
    `replicationServersSecurityGroupsIDs` with `associateDefaultSecurityGroup=false`, because
    then no MGN-managed SG opens 1500 for us.
    """
    sg_text = joined(replication_sg_ids)
    unknown = [i for i in replication_sg_ids if snapshot.security_group(i) is None]
    note = f" ({joined(unknown)} not found in the staging VPC)" if unknown else ""
    resource = replication_sg_ids[0] if replication_sg_ids else snapshot.vpc.vpc_id
    findings = []
    for cidr in source_cidrs:
        if sgs_admit(snapshot, replication_sg_ids, egress=False, port=REPLICATION_PORT, network=cidr):
            continue
        findings.append(
            finding(
                Severity.BLOCKER,
                REPLICATION_SG_BLOCKS_1500,
                resource,
                f"The replication security groups {sg_text}{note} admit no TCP 1500 from source range "
                f"{cidr}: agents there cannot reach their replication servers "
                "(FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER).",
                f"Add an inbound rule to {resource}: TCP 1500 from {cidr}.",
            )
        )
    return findings


def check_replication_sgs_admit_1500(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    return replication_sgs_admit_1500(snapshot, target.replication_sg_ids, target.source_cidrs)


def _endpoint_networks(snapshot: NetworkSnapshot, endpoint: VpcEndpoint) -> list[IPv4Network]:
    networks = [s.cidr for s in (snapshot.subnet(i) for i in endpoint.subnet_ids) if s is not None]
    return networks or list(snapshot.vpc.cidr_blocks)


def check_replication_sg_egress(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    replication_sgs = target.replication_sg_ids
    first_sg = replication_sgs[0]
    sg_text = joined(replication_sgs)
    findings = []
    for spec in (MGN_ENDPOINT, EC2_ENDPOINT):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        endpoint_sgs = endpoint_sg_ids(snapshot, endpoint)
        unreachable = [
            network
            for network in _endpoint_networks(snapshot, endpoint)
            if not sgs_admit(
                snapshot,
                replication_sgs,
                egress=True,
                port=HTTPS_PORT,
                network=network,
                referenced_sg_ids=endpoint_sgs,
            )
        ]
        if unreachable:
            vpc_cidr = snapshot.vpc.cidr_blocks[0] if snapshot.vpc.cidr_blocks else unreachable[0]
            findings.append(
                finding(
                    Severity.BLOCKER,
                    REPLICATION_SG_EGRESS_BLOCKED,
                    first_sg,
                    f"The replication security groups {sg_text} allow no outbound TCP 443 to the "
                    f"{spec.label} {endpoint.endpoint_id} "
                    f"(its network interfaces in {joined(str(n) for n in unreachable)}).",
                    f"Add an outbound rule to {first_sg}: TCP 443 to {vpc_cidr}"
                    + (f" (or to the endpoint's security group {endpoint_sgs[0]})." if endpoint_sgs else "."),
                )
            )
    s3_prefix_list = snapshot.s3_prefix_list_id
    if not sgs_admit(
        snapshot,
        replication_sgs,
        egress=True,
        port=HTTPS_PORT,
        network=IPv4Network("0.0.0.0/0"),
        prefix_list_id=s3_prefix_list,
    ):
        destination = f"the S3 prefix list {s3_prefix_list}" if s3_prefix_list else "0.0.0.0/0"
        findings.append(
            finding(
                Severity.BLOCKER,
                REPLICATION_SG_EGRESS_BLOCKED,
                first_sg,
                f"The replication security groups {sg_text} allow no outbound TCP 443 to S3 "
                f"({destination}): replication servers cannot download their software or AL2023 packages "
                "through the gateway endpoint.",
                f"Add an outbound rule to {first_sg}: TCP 443 to {destination}.",
            )
        )
    return findings
