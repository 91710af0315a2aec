"""The emulated network's say in replication: which initiation step fails for a source server.

The MGN emulator asks a `NetworkOracle` once per replication attempt (see `mgn/replication.py`).
This one reads the scenario's staging VPC from moto with the EC2 adapter and judges the flows each
step needs with the preflight's own functions (security groups, NACLs, routes, endpoints,
endpoint policies), so the preflight and the emulated outcome cannot disagree about what the
network lets through. The step a flow belongs to (docs/mgn-facts.md §1.9, §4; ⚠️ the mapping is an inference):

| step | flow |
|---|---|
| LAUNCH_REPLICATION_SERVER | the staging subnet and the replication SGs exist in the staging VPC |
| AUTHENTICATE_WITH_SERVICE | replication server → mgn, ec2 on 443 (endpoints with private DNS, or the Internet) |
| DOWNLOAD_REPLICATION_SOFTWARE | replication server → S3 on 443 (gateway endpoint on its route table, or Internet) |
| PAIR_REPLICATION_SERVER_WITH_AGENT | agent → mgn endpoint on 443 from the source server, and the way back |
| CONNECT_AGENT_TO_REPLICATION_SERVER | agent → replication server on TCP 1500 and the way back; `dataPlaneRouting` |

Configuration decisions: `dataPlaneRouting=PUBLIC_IP` fails CONNECT (the agent is sent to the
replication server's public IP, and the emulated source network is private by construction);
`createPublicIP=true` fails nothing by itself and, with a 0.0.0.0/0 route to an Internet gateway
on the staging subnet, gives the replication server the public path to mgn/ec2/S3 where no private
one exists; `associateDefaultSecurityGroup=true` adds MGN's default SG (inbound TCP 1500 from
anywhere, all outbound: UG "Replication template reference").
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.models.network import (
    PROTOCOL_ALL,
    PROTOCOL_TCP,
    NetworkSnapshot,
    PrivatePathTarget,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    VpcEndpoint,
)
from mgn_wave.preflight.checks import (
    EPHEMERAL_PORTS,
    GATEWAY,
    HTTPS_PORT,
    INTERFACE,
    REPLICATION_PORT,
    check_endpoint_policies,
    check_endpoint_sgs_admit_443,
    check_endpoints_available,
    check_gateway_route,
    check_private_dns,
    check_replication_sg_egress,
    check_vpc_dns,
    find_endpoint,
    nacl_of_subnet,
    replication_sgs_admit_1500,
    return_route_findings,
    subnets_answering_sources,
)
from mgn_wave.preflight.nacl import evaluate_nacl
from mgn_wave.preflight.routes import effective_route_table
from mgn_wave_emu.mgn.replication import OracleFailure

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence
    from datetime import datetime

    from mypy_boto3_ec2 import EC2Client

    from mgn_wave.models.findings import Finding
    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.scenario import BuiltScenario

# Stands in for the security group MGN creates when associateDefaultSecurityGroup is true
MGN_DEFAULT_SG_ID = "sg-0000000000000000d"
_ANYWHERE = IPv4Network("0.0.0.0/0")

LAUNCH = "LAUNCH_REPLICATION_SERVER"
AUTHENTICATE = "AUTHENTICATE_WITH_SERVICE"
DOWNLOAD = "DOWNLOAD_REPLICATION_SOFTWARE"
PAIR = "PAIR_REPLICATION_SERVER_WITH_AGENT"
CONNECT = "CONNECT_AGENT_TO_REPLICATION_SERVER"


@dataclass(frozen=True)
class _Flow:
    """One direction of TCP through one subnet's NACL."""

    subnet_id: str
    egress: bool
    peer: IPv4Network
    ports: tuple[int, int]


def replication_path_failures(
    snapshot: NetworkSnapshot, configuration: Mapping[str, Any], sources: Sequence[IPv4Network]
) -> list[OracleFailure]:
    """Every step the network makes fail for a server at `sources` with `configuration` (its
    replication configuration), in initiation order, each with what the network says."""
    subnet_id = configuration.get("stagingAreaSubnetId")
    sg_ids = list(dict.fromkeys(configuration.get("replicationServersSecurityGroupsIDs") or ()))
    launch = _launch_problems(snapshot, subnet_id, sg_ids, configuration)
    if launch:
        # Without a replication server nothing after it can be judged
        return [OracleFailure(LAUNCH, "; ".join(launch))]
    if configuration.get("associateDefaultSecurityGroup") is True:
        snapshot = _with_mgn_default_sg(snapshot)
        sg_ids.append(MGN_DEFAULT_SG_ID)
    try:
        target = PrivatePathTarget(
            region=snapshot.region,
            staging_vpc_id=snapshot.vpc.vpc_id,
            staging_subnet_id=subnet_id,
            replication_sg_ids=sg_ids,
            source_cidrs=list(dict.fromkeys(sources)),
        )
    except ValidationError as exc:
        return [OracleFailure(LAUNCH, f"the replication configuration cannot place a replication server: {exc}")]
    internet = _has_internet_path(snapshot, target.staging_subnet_id, configuration)
    judged = (
        (AUTHENTICATE, _service_problems(snapshot, target, internet=internet)),
        (DOWNLOAD, _s3_problems(snapshot, target, internet=internet)),
        (PAIR, _agent_problems(snapshot, target)),
        (CONNECT, _data_path_problems(snapshot, target, configuration)),
    )
    return [OracleFailure(step, "; ".join(problems)) for step, problems in judged if problems]


# --- the steps -----------------------------------------------------------------------------------


def _launch_problems(
    snapshot: NetworkSnapshot, subnet_id: Any, sg_ids: list[str], configuration: Mapping[str, Any]
) -> list[str]:
    vpc_id = snapshot.vpc.vpc_id
    problems = []
    if not isinstance(subnet_id, str) or snapshot.subnet(subnet_id) is None:
        problems.append(f"stagingAreaSubnetId {subnet_id} is not a subnet of the staging VPC {vpc_id}")
    missing = [sg_id for sg_id in sg_ids if snapshot.security_group(sg_id) is None]
    if missing:
        problems.append(f"replication security groups {', '.join(missing)} are not in the staging VPC {vpc_id}")
    if not sg_ids and configuration.get("associateDefaultSecurityGroup") is not True:
        problems.append("no replication security group: none listed and associateDefaultSecurityGroup is false")
    return problems


def _service_problems(snapshot: NetworkSnapshot, target: PrivatePathTarget, *, internet: bool) -> list[str]:
    """Replication server → mgn and ec2 on 443."""
    problems: list[str] = []
    dns_findings = [f.message for f in check_vpc_dns(snapshot, target)]
    for service in ("mgn", "ec2"):
        endpoint = find_endpoint(snapshot, target, service, INTERFACE)
        if endpoint is None or not endpoint.private_dns_enabled or dns_findings:
            # The public name resolves to the public endpoint: only an Internet path reaches it
            if internet:
                continue
            if endpoint is None:
                problems.append(
                    f"the staging VPC {target.staging_vpc_id} has no {service} interface endpoint and the "
                    f"staging subnet {target.staging_subnet_id} has no Internet path"
                )
            else:
                problems.extend(f.message for f in check_private_dns(snapshot, target) if _about(f, endpoint))
                problems.extend(dns_findings)
            continue
        problems.extend(_endpoint_problems(snapshot, target, endpoint))
    return list(dict.fromkeys(problems))


def _endpoint_problems(snapshot: NetworkSnapshot, target: PrivatePathTarget, endpoint: VpcEndpoint) -> list[str]:
    """The replication server's way to one interface endpoint: its state, its SG, the replication
    SGs' egress, the NACLs between the subnets, and (mgn) its policy."""
    problems = [f.message for f in check_endpoints_available(snapshot, target) if _about(f, endpoint)]
    # The check judges the sources and the staging subnet together; without the staging subnet
    # in the picture it judges the sources alone, so the difference is the staging side.
    everyone = check_endpoint_sgs_admit_443(snapshot, target)
    sources_only = check_endpoint_sgs_admit_443(_without_subnet(snapshot, target.staging_subnet_id), target)
    problems.extend(f.message for f in everyone if _about(f, endpoint) and f not in sources_only)
    # Likewise the egress check judges this endpoint plus S3; S3 alone is what remains without it.
    with_endpoint = check_replication_sg_egress(_only_endpoints(snapshot, endpoint), target)
    s3_only = check_replication_sg_egress(_only_endpoints(snapshot), target)
    problems.extend(f.message for f in with_endpoint if f not in s3_only)
    staging = snapshot.subnet(target.staging_subnet_id)
    for subnet_id in endpoint.subnet_ids:
        endpoint_subnet = snapshot.subnet(subnet_id)
        if staging is None or endpoint_subnet is None or subnet_id == staging.subnet_id:
            continue  # within one subnet no NACL is crossed
        problems.extend(
            _nacl_problems(
                snapshot,
                [
                    _Flow(staging.subnet_id, True, endpoint_subnet.cidr, (HTTPS_PORT, HTTPS_PORT)),
                    _Flow(staging.subnet_id, False, endpoint_subnet.cidr, EPHEMERAL_PORTS),
                    _Flow(subnet_id, False, staging.cidr, (HTTPS_PORT, HTTPS_PORT)),
                    _Flow(subnet_id, True, staging.cidr, EPHEMERAL_PORTS),
                ],
            )
        )
    if endpoint.service_name.endswith(".mgn"):
        problems.extend(f.message for f in check_endpoint_policies(snapshot, target) if _about(f, endpoint))
    return problems


def _s3_problems(snapshot: NetworkSnapshot, target: PrivatePathTarget, *, internet: bool) -> list[str]:
    """Replication server → S3 on 443: through the gateway endpoint when its route table has it."""
    gateway = find_endpoint(snapshot, target, "s3", GATEWAY)
    unrouted = check_gateway_route(snapshot, target)
    problems = [f.message for f in check_replication_sg_egress(_only_endpoints(snapshot), target)]
    if gateway is not None and not unrouted:
        problems.extend(f.message for f in check_endpoint_policies(snapshot, target) if _about(f, gateway))
    elif not internet:
        problems.extend(f.message for f in unrouted)
        if gateway is None:
            problems.append(
                f"the staging VPC {target.staging_vpc_id} has no s3 gateway endpoint and the staging subnet "
                f"{target.staging_subnet_id} has no Internet path"
            )
    return problems


def _agent_problems(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[str]:
    """Agent → mgn endpoint on 443 (pairing goes through the service)."""
    endpoint = find_endpoint(snapshot, target, "mgn", INTERFACE)
    if endpoint is None:
        return []  # the agent registered through some other way to mgn; nothing here to judge
    sources_only = check_endpoint_sgs_admit_443(_without_subnet(snapshot, target.staging_subnet_id), target)
    problems = [f.message for f in sources_only if _about(f, endpoint)]
    # The endpoint's replies leave through its subnets' route tables
    mgn_subnets = [s for s in subnets_answering_sources(snapshot, target) if s.endpoint_id == endpoint.endpoint_id]
    problems.extend(f.message for f in return_route_findings(snapshot, target, mgn_subnets))
    flows = [
        flow
        for subnet_id in endpoint.subnet_ids
        for source in target.source_cidrs
        for flow in (
            _Flow(subnet_id, False, source, (HTTPS_PORT, HTTPS_PORT)),
            _Flow(subnet_id, True, source, EPHEMERAL_PORTS),
        )
    ]
    return problems + _nacl_problems(snapshot, flows)


def _data_path_problems(
    snapshot: NetworkSnapshot, target: PrivatePathTarget, configuration: Mapping[str, Any]
) -> list[str]:
    """Agent → replication server on TCP 1500, and the replies."""
    problems = []
    if configuration.get("dataPlaneRouting") == "PUBLIC_IP":
        address = (
            "public IP"
            if configuration.get("createPublicIP") is True
            else "public IP (there is none: createPublicIP is false)"
        )
        problems.append(
            f"dataPlaneRouting is PUBLIC_IP: the agent is sent to the replication server's {address}, "
            "which the private source network cannot reach (use PRIVATE_IP)"
        )
    problems.extend(
        f.message for f in replication_sgs_admit_1500(snapshot, target.replication_sg_ids, target.source_cidrs)
    )
    flows = [
        flow
        for source in target.source_cidrs
        for flow in (
            _Flow(target.staging_subnet_id, False, source, (REPLICATION_PORT, REPLICATION_PORT)),
            _Flow(target.staging_subnet_id, True, source, EPHEMERAL_PORTS),
        )
    ]
    problems.extend(_nacl_problems(snapshot, flows))
    # The replication server's replies leave through the staging subnet's route table
    staging = [s for s in subnets_answering_sources(snapshot, target) if s.role == "staging"]
    problems.extend(f.message for f in return_route_findings(snapshot, target, staging))
    return problems


# --- helpers -------------------------------------------------------------------------------------


def _about(finding: Finding, endpoint: VpcEndpoint) -> bool:
    return finding.resource == endpoint.endpoint_id


def _nacl_problems(snapshot: NetworkSnapshot, flows: Iterable[_Flow]) -> list[str]:
    problems = []
    for flow in flows:
        acl = nacl_of_subnet(snapshot, flow.subnet_id)
        if acl is None:
            continue
        verdict = evaluate_nacl(acl, egress=flow.egress, peer=flow.peer, ports=flow.ports, protocol=PROTOCOL_TCP)
        if verdict.allowed:
            continue
        direction, preposition = ("outbound", "to") if flow.egress else ("inbound", "from")
        low, high = flow.ports
        ports = str(low) if low == high else f"{low}-{high}"
        problems.append(
            f"Network ACL {acl.network_acl_id} of subnet {flow.subnet_id} blocks {direction} TCP {ports} "
            f"{preposition} {flow.peer} (rule {verdict.rule_number})"
        )
    return problems


def _has_internet_path(snapshot: NetworkSnapshot, subnet_id: str, configuration: Mapping[str, Any]) -> bool:
    if configuration.get("createPublicIP") is not True:
        return False
    table = effective_route_table(snapshot, subnet_id)
    return table is not None and any(
        route.destination_cidr == _ANYWHERE
        and route.target_kind is RouteTargetKind.INTERNET_GATEWAY
        and route.state.lower() == "active"
        for route in table.routes
    )


def _with_mgn_default_sg(snapshot: NetworkSnapshot) -> NetworkSnapshot:
    default_sg = SecurityGroup(
        group_id=MGN_DEFAULT_SG_ID,
        group_name="mgn-wave emulated MGN default security group",
        vpc_id=snapshot.vpc.vpc_id,
        ingress=(
            SgRule(
                protocol=PROTOCOL_TCP, from_port=REPLICATION_PORT, to_port=REPLICATION_PORT, ipv4_ranges=(_ANYWHERE,)
            ),
        ),
        egress=(SgRule(protocol=PROTOCOL_ALL, ipv4_ranges=(_ANYWHERE,)),),
    )
    return snapshot.model_copy(update={"security_groups": (*snapshot.security_groups, default_sg)})


def _without_subnet(snapshot: NetworkSnapshot, subnet_id: str) -> NetworkSnapshot:
    return snapshot.model_copy(update={"subnets": tuple(s for s in snapshot.subnets if s.subnet_id != subnet_id)})


def _only_endpoints(snapshot: NetworkSnapshot, *endpoints: VpcEndpoint) -> NetworkSnapshot:
    return snapshot.model_copy(update={"endpoints": endpoints})


# --- the oracle ----------------------------------------------------------------------------------


class ScenarioNetworkOracle:
    """`fn(server, replication_configuration) -> OracleFailure | None` over a built scenario.

    The staging VPC is read from moto once per virtual instant (servers registered together
    share one read)."""

    def __init__(self, ec2: EC2Client, built: BuiltScenario, clock: VirtualClock) -> None:
        self._adapter = Ec2Adapter(ec2)
        self._built = built
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: tuple[datetime, NetworkSnapshot] | None = None
        # Hostnames the fleet registers with → their private IPs, for servers whose SourceServer
        # carries no network interfaces
        self._ips = {server.hostname: IPv4Address(server.private_ip) for server in built.fleet}

    def __call__(self, server: Mapping[str, Any], configuration: Mapping[str, Any]) -> OracleFailure | None:
        failures = replication_path_failures(self.snapshot(), configuration, self.sources_of(server))
        return failures[0] if failures else None

    def snapshot(self) -> NetworkSnapshot:
        now = self._clock.now()
        with self._lock:
            if self._snapshot is None or self._snapshot[0] != now:
                self._snapshot = (now, self._adapter.collect_network_snapshot(self._built.target))
            return self._snapshot[1]

    def sources_of(self, server: Mapping[str, Any]) -> list[IPv4Network]:
        """The server's own address (/32): from its network interfaces, else the fleet entry of its
        hostname; a server known by neither is judged as any of the operator's source ranges."""
        properties = server.get("sourceProperties") or {}
        addresses = [
            ip
            for interface in properties.get("networkInterfaces") or ()
            for ip in interface.get("ips") or ()
            if _is_ipv4(ip)
        ]
        if addresses:
            return [IPv4Network(f"{addresses[0]}/32")]
        hostname = (properties.get("identificationHints") or {}).get("hostname")
        if hostname in self._ips:
            return [IPv4Network(f"{self._ips[hostname]}/32")]
        return list(self._built.target.source_cidrs)


def build_network_oracle(ec2: EC2Client, built: BuiltScenario, clock: VirtualClock) -> ScenarioNetworkOracle:
    """The oracle `MgnEmulator.set_network_oracle` takes, judging `built`'s network in moto:
    `aws.mgn.set_network_oracle(build_network_oracle(aws.client("ec2"), built, aws.clock))`."""
    return ScenarioNetworkOracle(ec2, built, clock)


def _is_ipv4(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        IPv4Address(value)
    except ValueError:
        return False
    return True
