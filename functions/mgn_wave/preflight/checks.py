"""Preflight of the private path: pure checks over a `NetworkSnapshot`, no AWS calls.

Each check answers one question the field report this project started from had to answer by hand: are the
endpoints there, can the sources and the replication servers reach them on 443, can the sources
reach the replication servers on 1500, do the route tables, NACLs and endpoint policies let the
traffic through. A check returns findings whose message names the resource and what is missing,
and whose fix says what to add where.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Network, collapse_addresses

from mgn_wave import ids
from mgn_wave.errors import InvalidInputError
from mgn_wave.models.findings import Finding, Severity
from mgn_wave.models.network import (
    PROTOCOL_ALL,
    PROTOCOL_TCP,
    NetworkAcl,
    NetworkSnapshot,
    PrivatePathTarget,
    RouteTable,
    SecurityGroup,
    SgRule,
    VpcEndpoint,
)
from mgn_wave.preflight.nacl import DEFAULT_RULE_NUMBER, evaluate_nacl
from mgn_wave.preflight.policy import Decision, evaluate
from mgn_wave.preflight.routes import RouteGap, RouteVerdict, effective_route_table, route_gaps

ENDPOINT_MISSING = "ENDPOINT_MISSING"
ENDPOINT_NOT_AVAILABLE = "ENDPOINT_NOT_AVAILABLE"
PRIVATE_DNS_DISABLED = "PRIVATE_DNS_DISABLED"
VPC_DNS_DISABLED = "VPC_DNS_DISABLED"
ENDPOINT_SG_BLOCKS_443 = "ENDPOINT_SG_BLOCKS_443"
REPLICATION_SG_BLOCKS_1500 = "REPLICATION_SG_BLOCKS_1500"
REPLICATION_SG_EGRESS_BLOCKED = "REPLICATION_SG_EGRESS_BLOCKED"
GATEWAY_ROUTE_MISSING = "GATEWAY_ROUTE_MISSING"
RETURN_ROUTE_MISSING = "RETURN_ROUTE_MISSING"
NACL_BLOCKS = "NACL_BLOCKS"
ENDPOINT_POLICY_DENIES = "ENDPOINT_POLICY_DENIES"
SSM_ENDPOINT_MISSING = "SSM_ENDPOINT_MISSING"
ENDPOINT_DNS_NAMES = "ENDPOINT_DNS_NAMES"

FINDING_CODES: tuple[str, ...] = (
    ENDPOINT_MISSING,
    ENDPOINT_NOT_AVAILABLE,
    PRIVATE_DNS_DISABLED,
    VPC_DNS_DISABLED,
    ENDPOINT_SG_BLOCKS_443,
    REPLICATION_SG_BLOCKS_1500,
    REPLICATION_SG_EGRESS_BLOCKED,
    GATEWAY_ROUTE_MISSING,
    RETURN_ROUTE_MISSING,
    NACL_BLOCKS,
    ENDPOINT_POLICY_DENIES,
    SSM_ENDPOINT_MISSING,
    ENDPOINT_DNS_NAMES,
)

HTTPS_PORT = 443
REPLICATION_PORT = 1500  # the agent → replication server data plane; MGN cannot change it
EPHEMERAL_PORTS = (1024, 65535)  # return traffic through stateless NACLs

INTERFACE = "Interface"
GATEWAY = "Gateway"
# Endpoint states after which the endpoint is as good as gone (AWS still lists it for a while).
_GONE_STATES = frozenset({"deleted", "deleting"})

# What the MGN agent and installer call through the mgn endpoint (docs/mgn-facts.md §3.3): the
# AWSApplicationMigrationAgentInstallationPolicy actions on `*`, and the API Gateway call the
# UG asks to allow when the mgn endpoint has a policy.
_MGN_ACTIONS_ON_ANY_RESOURCE = (
    "mgn:GetAgentInstallationAssetsForMgn",
    "mgn:SendClientMetricsForMgn",
    "mgn:SendClientLogsForMgn",
    "mgn:RegisterAgentForMgn",
    "mgn:VerifyClientRoleForMgn",
)

_SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}

# `vpce-0abc-1x2y3z4w-us-east-1a`: the zonal names of an interface endpoint end with the AZ.
_ZONAL_LABEL = re.compile(rf"-{ids.REGION}[a-z]$")


# --- naming helpers ----------------------------------------------------------------------------


def service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def mgn_s3_buckets(region: str) -> tuple[str, ...]:
    """The buckets replication/conversion servers and installers read (docs/mgn-facts.md §4.2)."""
    return (
        f"aws-mgn-internal-{region}",
        f"aws-mgn-internal-hashes-{region}",
        f"aws-application-migration-service-{region}",
        f"aws-application-migration-service-hashes-{region}",
        f"amazon-ssm-{region}",
        f"al2023-repos-{region}-de612dc2",
    )


@dataclass(frozen=True)
class _EndpointSpec:
    service: str
    endpoint_type: str
    label: str  # how messages call it
    purpose: str


_REQUIRED_ENDPOINTS = (
    _EndpointSpec("mgn", INTERFACE, "mgn interface endpoint", "agents and replication servers call MGN"),
    _EndpointSpec("ec2", INTERFACE, "ec2 interface endpoint", "replication servers call the EC2 API"),
    _EndpointSpec("s3", INTERFACE, "s3 interface endpoint", "installers download the agent from S3"),
    _EndpointSpec(
        "s3",
        GATEWAY,
        "s3 gateway endpoint",
        "replication and conversion servers read S3 (incl. AL2023 repos)",
    ),
)
_MGN = _REQUIRED_ENDPOINTS[0]
_EC2 = _REQUIRED_ENDPOINTS[1]
_S3_INTERFACE = _REQUIRED_ENDPOINTS[2]
_S3_GATEWAY = _REQUIRED_ENDPOINTS[3]
_SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")


def _is_gone(endpoint: VpcEndpoint) -> bool:
    return endpoint.state.lower() in _GONE_STATES


def _is_available(endpoint: VpcEndpoint) -> bool:
    return endpoint.state.lower() == "available"


def find_endpoint(
    snapshot: NetworkSnapshot, target: PrivatePathTarget, service: str, endpoint_type: str
) -> VpcEndpoint | None:
    """The staging VPC's endpoint for `service` of `endpoint_type`, preferring an available one."""
    wanted = service_name(target.region, service)
    candidates = [
        e
        for e in snapshot.endpoints
        if e.vpc_id == target.staging_vpc_id
        and e.service_name == wanted
        and e.endpoint_type.lower() == endpoint_type.lower()
        and not _is_gone(e)
    ]
    candidates.sort(key=lambda e: (not _is_available(e), e.endpoint_id))
    return candidates[0] if candidates else None


def _finding(severity: Severity, code: str, resource: str, message: str, fix: str) -> Finding:
    return Finding(code=code, severity=severity, resource=resource, message=message, fix=fix)


def _ids(values: Iterable[str]) -> str:
    return ", ".join(values)


# --- security group evaluation -----------------------------------------------------------------


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


def _endpoint_sg_ids(snapshot: NetworkSnapshot, endpoint: VpcEndpoint) -> tuple[str, ...]:
    if endpoint.security_group_ids:
        return endpoint.security_group_ids
    # An interface endpoint created without SGs gets the VPC's default SG.
    default = next(
        (g for g in snapshot.security_groups if g.vpc_id == endpoint.vpc_id and g.group_name == "default"),
        None,
    )
    return (default.group_id,) if default else ()


# --- endpoints ---------------------------------------------------------------------------------


def _where_to_create(spec: _EndpointSpec, target: PrivatePathTarget) -> str:
    if spec.endpoint_type == GATEWAY:
        return f"associated with the route table of the staging subnet {target.staging_subnet_id}"
    if spec.service == "s3":
        return f"in a subnet the sources reach (e.g. {target.staging_subnet_id})"
    return f"in the staging subnet {target.staging_subnet_id}, with private DNS enabled"


def check_required_endpoints_exist(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for spec in _REQUIRED_ENDPOINTS:
        if find_endpoint(snapshot, target, spec.service, spec.endpoint_type) is not None:
            continue
        name = service_name(target.region, spec.service)
        findings.append(
            _finding(
                Severity.BLOCKER,
                ENDPOINT_MISSING,
                target.staging_vpc_id,
                f"The staging VPC {target.staging_vpc_id} has no {spec.endpoint_type} endpoint for {name}: "
                f"{spec.purpose} through it.",
                f"Create a {spec.endpoint_type} VPC endpoint for {name} in {target.staging_vpc_id}, "
                f"{_where_to_create(spec, target)}.",
            )
        )
    return findings


def check_endpoints_available(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for spec in _REQUIRED_ENDPOINTS:
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None or _is_available(endpoint):
            continue
        findings.append(
            _finding(
                Severity.BLOCKER,
                ENDPOINT_NOT_AVAILABLE,
                endpoint.endpoint_id,
                f"The {spec.label} {endpoint.endpoint_id} ({endpoint.service_name}) is in state "
                f"'{endpoint.state}', not 'available': {spec.purpose} through it.",
                f"Wait until {endpoint.endpoint_id} is available; if it stays '{endpoint.state}', "
                "delete it and create it again.",
            )
        )
    return findings


def check_private_dns(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for spec in (_MGN, _EC2):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None or endpoint.private_dns_enabled:
            continue
        host = f"{spec.service}.{target.region}.amazonaws.com"
        findings.append(
            _finding(
                Severity.BLOCKER,
                PRIVATE_DNS_DISABLED,
                endpoint.endpoint_id,
                f"The {spec.label} {endpoint.endpoint_id} has private DNS disabled: replication servers "
                f"resolve {host} to the public endpoint, which a private staging subnet cannot reach.",
                f"Enable private DNS on {endpoint.endpoint_id} (modify-vpc-endpoint --private-dns-enabled).",
            )
        )
    return findings


def check_vpc_dns(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    vpc = snapshot.vpc
    for attribute, enabled in (
        ("enableDnsSupport", vpc.enable_dns_support),
        ("enableDnsHostnames", vpc.enable_dns_hostnames),
    ):
        if enabled:
            continue
        findings.append(
            _finding(
                Severity.BLOCKER,
                VPC_DNS_DISABLED,
                vpc.vpc_id,
                f"The staging VPC {vpc.vpc_id} has {attribute}=false: private DNS names of interface "
                "endpoints need both enableDnsSupport and enableDnsHostnames.",
                f"Set {attribute} to true on {vpc.vpc_id} (modify-vpc-attribute).",
            )
        )
    return findings


def check_endpoint_sgs_admit_443(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    staging_subnet = snapshot.subnet(target.staging_subnet_id)
    findings = []
    sources = [(cidr, f"source range {cidr}") for cidr in target.source_cidrs]
    # Who calls which endpoint (docs/mgn-facts.md §4.1): agents call mgn and s3-interface from the sources;
    # replication servers call mgn and ec2 from the staging subnet.
    requirements: tuple[tuple[_EndpointSpec, list[tuple[IPv4Network, str]], bool], ...] = (
        (_MGN, sources, True),
        (_S3_INTERFACE, sources, False),
        (_EC2, [], True),
    )
    for spec, required_sources, from_staging in requirements:
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        sg_ids = _endpoint_sg_ids(snapshot, endpoint)
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
        sg_text = _ids(sg_ids) or "(no security group)"
        first_sg = sg_ids[0] if sg_ids else "the endpoint's security group"
        for network, label in missing:
            findings.append(
                _finding(
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
    sg_text = _ids(replication_sg_ids)
    unknown = [i for i in replication_sg_ids if snapshot.security_group(i) is None]
    note = f" ({_ids(unknown)} not found in the staging VPC)" if unknown else ""
    resource = replication_sg_ids[0] if replication_sg_ids else snapshot.vpc.vpc_id
    findings = []
    for cidr in source_cidrs:
        if sgs_admit(snapshot, replication_sg_ids, egress=False, port=REPLICATION_PORT, network=cidr):
            continue
        findings.append(
            _finding(
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
    sg_text = _ids(replication_sgs)
    findings = []
    for spec in (_MGN, _EC2):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        endpoint_sgs = _endpoint_sg_ids(snapshot, endpoint)
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
                _finding(
                    Severity.BLOCKER,
                    REPLICATION_SG_EGRESS_BLOCKED,
                    first_sg,
                    f"The replication security groups {sg_text} allow no outbound TCP 443 to the "
                    f"{spec.label} {endpoint.endpoint_id} "
                    f"(its network interfaces in {_ids(str(n) for n in unreachable)}).",
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
            _finding(
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


# --- routes ------------------------------------------------------------------------------------


def _how_associated(table: RouteTable, subnet_id: str) -> str:
    return "explicitly associated" if subnet_id in table.subnet_ids else "the main route table, implicitly associated"


def check_gateway_route(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    gateway = find_endpoint(snapshot, target, _S3_GATEWAY.service, _S3_GATEWAY.endpoint_type)
    table = effective_route_table(snapshot, target.staging_subnet_id)
    if gateway is None or table is None or table.route_table_id in gateway.route_table_ids:
        return []
    associated = _ids(gateway.route_table_ids) or "no route table"
    return [
        _finding(
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
    services = [(spec.service, Severity.BLOCKER) for spec in (_MGN, _S3_INTERFACE)]
    services += [(service, Severity.WARNING) for service in _SSM_SERVICES]
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
                    _finding(
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


# --- network ACLs ------------------------------------------------------------------------------


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
    for spec in (_MGN, _S3_INTERFACE):
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
            _finding(
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


# --- endpoint policies -------------------------------------------------------------------------


def _policy_requests(target: PrivatePathTarget, spec: _EndpointSpec, account_id: str) -> list[tuple[str, str]]:
    arn = partition(target.region)
    if spec.service == "s3":
        return [("s3:GetObject", f"arn:{arn}:s3:::{bucket}/*") for bucket in mgn_s3_buckets(target.region)]
    return [
        ("execute-api:Invoke", f"arn:{arn}:execute-api:{target.region}:*:*/POST/CreateSessionForMgn"),
        *((action, "*") for action in _MGN_ACTIONS_ON_ANY_RESOURCE),
        (
            "mgn:IssueClientCertificateForMgn",
            f"arn:{arn}:mgn:{target.region}:{account_id}:source-server/*",
        ),
    ]


def check_endpoint_policies(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    account_id = snapshot.vpc.owner_id or "*"
    findings = []
    for spec in (_MGN, _S3_INTERFACE, _S3_GATEWAY):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        denied = [
            (action, resource, decision)
            for action, resource in _policy_requests(target, spec, account_id)
            if (decision := evaluate(endpoint.policy, action, resource)) is not Decision.ALLOW
        ]
        if not denied:
            continue
        action, resource, decision = denied[0]
        more = f" (and {len(denied) - 1} more request(s))" if len(denied) > 1 else ""
        findings.append(
            _finding(
                Severity.BLOCKER,
                ENDPOINT_POLICY_DENIES,
                endpoint.endpoint_id,
                f"The policy of the {spec.label} {endpoint.endpoint_id} denies {action} on {resource} "
                f"({decision}){more}.",
                f"Add to the policy of {endpoint.endpoint_id} a statement "
                f'{{"Effect": "Allow", "Principal": "*", "Action": "{action}", "Resource": "{resource}"}}'
                + (" and remove the Deny statement that matches it." if decision is Decision.EXPLICIT_DENY else "."),
            )
        )
    return findings


# --- SSM and INFO ------------------------------------------------------------------------------


def check_ssm_endpoints(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for service in _SSM_SERVICES:
        endpoint = find_endpoint(snapshot, target, service, INTERFACE)
        if endpoint is not None and _is_available(endpoint):
            continue
        name = service_name(target.region, service)
        state = "has no" if endpoint is None else f"has a '{endpoint.state}' (not available)"
        resource = target.staging_vpc_id if endpoint is None else endpoint.endpoint_id
        findings.append(
            _finding(
                Severity.WARNING,
                SSM_ENDPOINT_MISSING,
                resource,
                f"The staging VPC {target.staging_vpc_id} {state} interface endpoint for {name}: "
                "SSM Run Command cannot reach hybrid nodes over the private network, so the agent "
                "install step will fail.",
                f"Create an Interface VPC endpoint for {name} in {target.staging_vpc_id} with private DNS, "
                "with a security group that admits TCP 443 from the source ranges.",
            )
        )
    return findings


def regional_dns_name(endpoint: VpcEndpoint) -> str | None:
    """The endpoint-specific regional DNS name (`vpce-…`), without the S3 `*.` prefix."""
    for entry in endpoint.dns_entries:
        name = entry.dns_name.removeprefix("*.")
        first_label = name.split(".", 1)[0]
        if name.startswith("vpce-") and not _ZONAL_LABEL.search(first_label):
            return name
    return None


def endpoint_dns_names(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    mgn = find_endpoint(snapshot, target, _MGN.service, _MGN.endpoint_type)
    mgn_name = regional_dns_name(mgn) if mgn else None
    if mgn is not None and mgn_name is not None:
        findings.append(
            _finding(
                Severity.INFO,
                ENDPOINT_DNS_NAMES,
                mgn.endpoint_id,
                f"The mgn interface endpoint {mgn.endpoint_id} answers at {mgn_name}.",
                f"Pass --endpoint {mgn_name} to the replication agent installer, or make "
                f"mgn.{target.region}.amazonaws.com resolve to the endpoint from the sources "
                "(Route 53 Resolver inbound endpoint).",
            )
        )
    s3 = find_endpoint(snapshot, target, _S3_INTERFACE.service, _S3_INTERFACE.endpoint_type)
    s3_name = regional_dns_name(s3) if s3 else None
    if s3 is not None and s3_name is not None:
        bucket = f"aws-application-migration-service-{target.region}"
        findings.append(
            _finding(
                Severity.INFO,
                ENDPOINT_DNS_NAMES,
                s3.endpoint_id,
                f"The s3 interface endpoint {s3.endpoint_id} answers at {s3_name}; the installer downloads "
                f"from https://{bucket}.bucket.{s3_name}/latest/linux/aws-replication-installer-init.",
                # The bucket-qualified name: the form proven in the field (docs/aws-facts.md); the
                # bare name is not among the endpoint's DNS entries (`*.vpce-…` only).
                f"Pass --s3-endpoint {bucket}.bucket.{s3_name} to the replication agent installer.",
            )
        )
    return findings


# --- the preflight -----------------------------------------------------------------------------

Check = Callable[[NetworkSnapshot, PrivatePathTarget], list[Finding]]

CHECKS: tuple[Check, ...] = (
    check_required_endpoints_exist,
    check_endpoints_available,
    check_private_dns,
    check_vpc_dns,
    check_endpoint_sgs_admit_443,
    check_replication_sgs_admit_1500,
    check_replication_sg_egress,
    check_gateway_route,
    check_return_routes,
    check_nacls,
    check_endpoint_policies,
    check_ssm_endpoints,
    endpoint_dns_names,
)


def _require_consistent(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> None:
    # The EC2 adapter guarantees these; a hand-made snapshot that breaks them would make the
    # route/NACL checks silently judge nothing, so refuse it loudly instead.
    if snapshot.vpc.vpc_id != target.staging_vpc_id:
        raise InvalidInputError(
            "stagingVpcId", f"the snapshot is of {snapshot.vpc.vpc_id}, not of {target.staging_vpc_id}"
        )
    if snapshot.subnet(target.staging_subnet_id) is None:
        raise InvalidInputError(
            "stagingSubnetId",
            f"{target.staging_subnet_id} is not a subnet of the staging VPC {target.staging_vpc_id}",
        )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """BLOCKER, WARNING, INFO; then code; then resource. Stable, so checks' own order breaks ties."""
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER[f.severity], f.code, f.resource))


def run_preflight(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    """Judge the private path described by `target` against `snapshot`; no AWS calls."""
    _require_consistent(snapshot, target)
    return sort_findings(finding for check in CHECKS for finding in check(snapshot, target))
