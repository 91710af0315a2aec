"""Hand-built snapshots of the field report's network (seed-clean), to break one link at a time.

`network` is a mutable picture of a clean private path: tests change one thing (a rule, a route,
an endpoint) and ask the pure checks what they see. No moto, no sockets.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Network
from typing import Any, ClassVar

import pytest

from mgn_wave.preflight.checks import run_preflight
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.network import (
    DnsEntry,
    NaclEntry,
    NetworkAcl,
    NetworkSnapshot,
    PortRange,
    PrefixList,
    PrivatePathTarget,
    Route,
    RouteTable,
    RouteTargetKind,
    SecurityGroup,
    SgRule,
    SubnetInfo,
    VpcEndpoint,
    VpcInfo,
)

REGION = "us-east-1"
VPC_ID = "vpc-0a11a11a11a11a11a"
VPC_CIDR = IPv4Network("192.168.128.0/24")
SOURCE_CIDR = IPv4Network("10.10.0.0/16")
STAGING_SUBNET = "subnet-0000000000000000a"
ENDPOINT_SUBNET = "subnet-0000000000000000b"
MAIN_RT = "rtb-00000000000000001"
STAGING_RT = "rtb-00000000000000002"
PEERING = "pcx-00000000000000001"
DEFAULT_NACL = "acl-00000000000000001"
S3_PREFIX_LIST = "pl-63a5400a"

SG_IDS = {
    "default": "sg-00000000000000000",
    "replication": "sg-00000000000001500",
    "mgn-endpoint": "sg-00000000000000443",
    "ec2-endpoint": "sg-00000000000000ec2",
    "s3-endpoint": "sg-000000000000000b3",
    "ssm-endpoints": "sg-00000000000000550",
}
ENDPOINT_IDS = {
    "s3-gateway": "vpce-0000000000000000a",
    "mgn": "vpce-0000000000000000b",
    "ec2": "vpce-0000000000000000c",
    "s3-interface": "vpce-0000000000000000d",
    "ssm": "vpce-0000000000000000e",
    "ssmmessages": "vpce-0000000000000000f",
    "ec2messages": "vpce-00000000000000010",
}


def tcp(
    ports: int | tuple[int, int],
    *cidrs: str,
    sgs: tuple[str, ...] = (),
    prefix_lists: tuple[str, ...] = (),
    protocol: str = "tcp",
) -> SgRule:
    low, high = (ports, ports) if isinstance(ports, int) else ports
    return SgRule(
        protocol=protocol,
        from_port=low,
        to_port=high,
        ipv4_ranges=tuple(IPv4Network(c) for c in cidrs),
        referenced_sg_ids=sgs,
        prefix_list_ids=prefix_lists,
    )


def all_traffic(*cidrs: str) -> SgRule:
    return SgRule(protocol="-1", ipv4_ranges=tuple(IPv4Network(c) for c in cidrs))


def nacl_entry(
    rule: int,
    action: str,
    cidr: str,
    *,
    egress: bool = False,
    protocol: str = "-1",
    ports: tuple[int, int] | None = None,
) -> NaclEntry:
    return NaclEntry(
        rule_number=rule,
        protocol=protocol,
        rule_action=action,
        egress=egress,
        cidr=IPv4Network(cidr),
        port_range=PortRange(from_port=ports[0], to_port=ports[1]) if ports else None,
    )


def route(destination: str, kind: RouteTargetKind, target_id: str, state: str = "active") -> Route:
    if destination.startswith("pl-"):
        return Route(destination_prefix_list_id=destination, target_kind=kind, target_id=target_id, state=state)
    return Route(destination_cidr=IPv4Network(destination), target_kind=kind, target_id=target_id, state=state)


def _interface(key: str, service: str, sg: str, *, private_dns: bool = True) -> VpcEndpoint:
    endpoint_id = ENDPOINT_IDS[key]
    star = "*." if service == "s3" else ""
    dns = [
        DnsEntry(dns_name=f"{star}{endpoint_id}-abcd1234.{service}.{REGION}.vpce.amazonaws.com"),
        DnsEntry(dns_name=f"{star}{endpoint_id}-abcd1234-us-east-1a.{service}.{REGION}.vpce.amazonaws.com"),
    ]
    return VpcEndpoint(
        endpoint_id=endpoint_id,
        vpc_id=VPC_ID,
        service_name=f"com.amazonaws.{REGION}.{service}",
        endpoint_type="Interface",
        state="available",
        private_dns_enabled=private_dns,
        security_group_ids=(SG_IDS[sg],),
        subnet_ids=(STAGING_SUBNET, ENDPOINT_SUBNET),
        dns_entries=tuple(dns),
        network_interface_ids=(f"eni-{endpoint_id[5:]}",),
    )


@dataclass
class PathNetwork:
    """A clean private path, as mutable parts; `snapshot()` freezes it for the checks.

    The factory helpers and IDs ride along as attributes (`network.tcp(...)`, `network.SG_IDS`),
    so test modules need not import this conftest.
    """

    REGION: ClassVar[str] = REGION
    VPC_ID: ClassVar[str] = VPC_ID
    SOURCE_CIDR: ClassVar[IPv4Network] = SOURCE_CIDR
    STAGING_SUBNET: ClassVar[str] = STAGING_SUBNET
    ENDPOINT_SUBNET: ClassVar[str] = ENDPOINT_SUBNET
    MAIN_RT: ClassVar[str] = MAIN_RT
    STAGING_RT: ClassVar[str] = STAGING_RT
    PEERING: ClassVar[str] = PEERING
    DEFAULT_NACL: ClassVar[str] = DEFAULT_NACL
    S3_PREFIX_LIST: ClassVar[str] = S3_PREFIX_LIST
    SG_IDS: ClassVar[dict[str, str]] = SG_IDS
    ENDPOINT_IDS: ClassVar[dict[str, str]] = ENDPOINT_IDS
    tcp = staticmethod(tcp)
    all_traffic = staticmethod(all_traffic)
    nacl_entry = staticmethod(nacl_entry)
    route = staticmethod(route)

    vpc: VpcInfo
    subnets: list[SubnetInfo]
    route_tables: dict[str, RouteTable]
    endpoints: dict[str, VpcEndpoint]
    security_groups: dict[str, SecurityGroup]
    network_acls: dict[str, NetworkAcl]
    prefix_lists: list[PrefixList] = field(default_factory=list)
    s3_prefix_list_id: str | None = S3_PREFIX_LIST
    source_cidrs: list[IPv4Network] = field(default_factory=lambda: [SOURCE_CIDR])
    replication_sg_ids: list[str] = field(default_factory=lambda: [SG_IDS["replication"]])

    # --- changing one thing ---

    def set_endpoint(self, key: str, **changes: Any) -> None:
        self.endpoints[key] = self.endpoints[key].model_copy(update=changes)

    def remove_endpoint(self, key: str) -> None:
        del self.endpoints[key]

    def set_sg(self, role: str, **changes: Any) -> None:
        self.security_groups[role] = self.security_groups[role].model_copy(update=changes)

    def set_route_table(self, table_id: str, **changes: Any) -> None:
        self.route_tables[table_id] = self.route_tables[table_id].model_copy(update=changes)

    def set_nacl(self, acl_id: str, **changes: Any) -> None:
        self.network_acls[acl_id] = self.network_acls[acl_id].model_copy(update=changes)

    def set_vpc(self, **changes: Any) -> None:
        self.vpc = self.vpc.model_copy(update=changes)

    # --- asking ---

    def target(self) -> PrivatePathTarget:
        return PrivatePathTarget(
            region=REGION,
            staging_vpc_id=VPC_ID,
            staging_subnet_id=STAGING_SUBNET,
            replication_sg_ids=tuple(self.replication_sg_ids),
            source_cidrs=tuple(self.source_cidrs),
        )

    def snapshot(self) -> NetworkSnapshot:
        return NetworkSnapshot(
            region=REGION,
            vpc=self.vpc,
            subnets=tuple(self.subnets),
            route_tables=tuple(self.route_tables.values()),
            endpoints=tuple(self.endpoints.values()),
            security_groups=tuple(self.security_groups.values()),
            network_acls=tuple(self.network_acls.values()),
            prefix_lists=tuple(self.prefix_lists),
            s3_prefix_list_id=self.s3_prefix_list_id,
        )

    def findings(self) -> list[Finding]:
        return run_preflight(self.snapshot(), self.target())

    def problems(self) -> list[Finding]:
        """BLOCKER and WARNING findings: what stops or endangers the wave."""
        return [f for f in self.findings() if f.severity is not Severity.INFO]

    def codes(self) -> set[str]:
        return {f.code for f in self.problems()}


def clean_network() -> PathNetwork:
    source = str(SOURCE_CIDR)
    replication = SG_IDS["replication"]
    security_groups = {
        "default": SecurityGroup(
            group_id=SG_IDS["default"],
            group_name="default",
            vpc_id=VPC_ID,
            egress=(all_traffic("0.0.0.0/0"),),
        ),
        "replication": SecurityGroup(
            group_id=replication,
            group_name="replication",
            vpc_id=VPC_ID,
            ingress=(tcp(1500, source),),
            egress=(tcp(443, str(VPC_CIDR), prefix_lists=(S3_PREFIX_LIST,)),),
        ),
        "mgn-endpoint": SecurityGroup(
            group_id=SG_IDS["mgn-endpoint"],
            vpc_id=VPC_ID,
            ingress=(tcp(443, source, sgs=(replication,)),),
            egress=(all_traffic("0.0.0.0/0"),),
        ),
        "ec2-endpoint": SecurityGroup(
            group_id=SG_IDS["ec2-endpoint"], vpc_id=VPC_ID, ingress=(tcp(443, sgs=(replication,)),)
        ),
        "s3-endpoint": SecurityGroup(group_id=SG_IDS["s3-endpoint"], vpc_id=VPC_ID, ingress=(tcp(443, source),)),
        "ssm-endpoints": SecurityGroup(group_id=SG_IDS["ssm-endpoints"], vpc_id=VPC_ID, ingress=(tcp(443, source),)),
    }
    endpoints = {
        "s3-gateway": VpcEndpoint(
            endpoint_id=ENDPOINT_IDS["s3-gateway"],
            vpc_id=VPC_ID,
            service_name=f"com.amazonaws.{REGION}.s3",
            endpoint_type="Gateway",
            state="available",
            route_table_ids=(STAGING_RT,),
        ),
        "mgn": _interface("mgn", "mgn", "mgn-endpoint"),
        "ec2": _interface("ec2", "ec2", "ec2-endpoint"),
        "s3-interface": _interface("s3-interface", "s3", "s3-endpoint", private_dns=False),
        **{svc: _interface(svc, svc, "ssm-endpoints") for svc in ("ssm", "ssmmessages", "ec2messages")},
    }
    local = route(str(VPC_CIDR), RouteTargetKind.LOCAL, "local")
    route_tables = {
        MAIN_RT: RouteTable(route_table_id=MAIN_RT, is_main=True, routes=(local,)),
        STAGING_RT: RouteTable(
            route_table_id=STAGING_RT,
            is_main=False,
            subnet_ids=(STAGING_SUBNET, ENDPOINT_SUBNET),
            routes=(
                local,
                route(source, RouteTargetKind.PEERING_CONNECTION, PEERING),
                route(S3_PREFIX_LIST, RouteTargetKind.VPC_ENDPOINT, ENDPOINT_IDS["s3-gateway"]),
            ),
        ),
    }
    default_entries = (
        nacl_entry(100, "allow", "0.0.0.0/0"),
        nacl_entry(32767, "deny", "0.0.0.0/0"),
        nacl_entry(100, "allow", "0.0.0.0/0", egress=True),
        nacl_entry(32767, "deny", "0.0.0.0/0", egress=True),
    )
    return PathNetwork(
        vpc=VpcInfo(
            vpc_id=VPC_ID,
            owner_id="123456789012",
            cidr_blocks=(VPC_CIDR,),
            enable_dns_support=True,
            enable_dns_hostnames=True,
        ),
        subnets=[
            SubnetInfo(subnet_id=STAGING_SUBNET, cidr=IPv4Network("192.168.128.0/25"), availability_zone="us-east-1a"),
            SubnetInfo(
                subnet_id=ENDPOINT_SUBNET,
                cidr=IPv4Network("192.168.128.128/25"),
                availability_zone="us-east-1b",
            ),
        ],
        route_tables=route_tables,
        endpoints=endpoints,
        security_groups=security_groups,
        network_acls={
            DEFAULT_NACL: NetworkAcl(
                network_acl_id=DEFAULT_NACL,
                is_default=True,
                subnet_ids=(STAGING_SUBNET, ENDPOINT_SUBNET),
                entries=default_entries,
            )
        },
    )


@pytest.fixture
def network() -> PathNetwork:
    return clean_network()
