"""The private path: what the operator says it is, and what EC2 says it is.

`PrivatePathTarget` is the operator's claim (staging VPC, staging subnet, replication SGs, source
ranges). `NetworkSnapshot` is a read-only picture of the staging VPC collected by the EC2
adapter; the preflight checks judge the claim against the picture without calling AWS.
"""

from __future__ import annotations

import re
from enum import StrEnum
from ipaddress import IPv4Network
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mgn_wave import ids

_REGION = re.compile(ids.REGION)
_VPC_ID = re.compile(ids.VPC_ID)
_SUBNET_ID = re.compile(ids.SUBNET_ID)
_SG_ID = re.compile(ids.SECURITY_GROUP_ID)

MAX_REPLICATION_SGS = 32  # replicationServersSecurityGroupsIDs accepts 0..32 (docs/mgn-facts.md §1.4)

# Protocol names as security groups spell them, mapped to the numbers NACLs use, so one
# comparison serves both ("tcp" in an SG rule and "6" in a NACL entry are the same traffic).
_PROTOCOL_NUMBERS = {"tcp": "6", "udp": "17", "icmp": "1", "icmpv6": "58", "all": "-1"}
PROTOCOL_ALL = "-1"
PROTOCOL_TCP = "6"


def normalize_protocol(value: str | int) -> str:
    """`tcp`/`6` → `6`, `-1`/`all` → `-1`: the numeric form both SG rules and NACL entries share."""
    text = str(value).strip().lower()
    return _PROTOCOL_NUMBERS.get(text, text)


def _check_id(value: str, pattern: re.Pattern[str], field: str, form: str) -> str:
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise ValueError(f"{field} must be {form}, got {value!r}")
    return value


def _strict_ipv4_network(value: Any, field: str) -> IPv4Network:
    if isinstance(value, IPv4Network):
        return value
    try:
        return IPv4Network(str(value), strict=True)
    except ValueError as exc:
        raise ValueError(
            f"{field} must be an IPv4 network in CIDR form with no host bits set, "
            f"like 10.1.0.0/16; got {value!r} ({exc})"
        ) from exc


class PrivatePathTarget(BaseModel):
    """The operator's description of the private path that the preflight verifies."""

    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="forbid")

    region: str
    staging_vpc_id: str = Field(alias="stagingVpcId")
    staging_subnet_id: str = Field(alias="stagingSubnetId")
    replication_sg_ids: tuple[str, ...] = Field(alias="replicationSgIds")
    source_cidrs: tuple[IPv4Network, ...] = Field(alias="sourceCidrs")

    @field_validator("region", mode="before")
    @classmethod
    def _region(cls, value: Any) -> str:
        return _check_id(value, _REGION, "region", "an AWS Region code like 'us-east-1'")

    @field_validator("staging_vpc_id", mode="before")
    @classmethod
    def _staging_vpc(cls, value: Any) -> str:
        return _check_id(value, _VPC_ID, "stagingVpcId", "'vpc-' followed by 8 or 17 hex digits")

    @field_validator("staging_subnet_id", mode="before")
    @classmethod
    def _staging_subnet(cls, value: Any) -> str:
        return _check_id(value, _SUBNET_ID, "stagingSubnetId", "'subnet-' followed by 8 or 17 hex digits")

    @field_validator("replication_sg_ids", mode="before")
    @classmethod
    def _replication_sgs(cls, value: Any) -> tuple[str, ...]:
        if isinstance(value, str) or not isinstance(value, list | tuple):
            raise ValueError(f"replicationSgIds must be a list of 1..{MAX_REPLICATION_SGS} 'sg-…' IDs")
        if not 1 <= len(value) <= MAX_REPLICATION_SGS:
            raise ValueError(
                f"replicationSgIds must hold 1..{MAX_REPLICATION_SGS} security group IDs, got {len(value)}"
            )
        ids = tuple(
            _check_id(v, _SG_ID, f"replicationSgIds[{i}]", "'sg-' followed by 8 or 17 hex digits")
            for i, v in enumerate(value)
        )
        if len(set(ids)) != len(ids):
            raise ValueError(f"replicationSgIds lists a security group twice: {list(ids)}")
        return ids

    @field_validator("source_cidrs", mode="before")
    @classmethod
    def _source_cidrs(cls, value: Any) -> tuple[IPv4Network, ...]:
        if isinstance(value, str) or not isinstance(value, list | tuple) or not value:
            raise ValueError("sourceCidrs must be a non-empty list of IPv4 networks like ['10.1.0.0/16']")
        cidrs = tuple(_strict_ipv4_network(v, f"sourceCidrs[{i}]") for i, v in enumerate(value))
        if len(set(cidrs)) != len(cidrs):
            raise ValueError(f"sourceCidrs lists a range twice: {[str(c) for c in cidrs]}")
        return cidrs


# --- the snapshot ------------------------------------------------------------------------------


class _Snapshot(BaseModel):
    model_config: ClassVar[ConfigDict] = ConfigDict(frozen=True, extra="forbid")


class VpcInfo(_Snapshot):
    vpc_id: str
    owner_id: str | None = None
    cidr_blocks: tuple[IPv4Network, ...]
    enable_dns_support: bool
    enable_dns_hostnames: bool


class SubnetInfo(_Snapshot):
    subnet_id: str
    cidr: IPv4Network
    availability_zone: str


class RouteTargetKind(StrEnum):
    """What a route sends traffic to, classified from the target's ID prefix."""

    LOCAL = "local"
    INTERNET_GATEWAY = "internet-gateway"
    EGRESS_ONLY_INTERNET_GATEWAY = "egress-only-internet-gateway"
    VPC_ENDPOINT = "vpc-endpoint"
    VIRTUAL_PRIVATE_GATEWAY = "virtual-private-gateway"
    PEERING_CONNECTION = "peering-connection"
    TRANSIT_GATEWAY = "transit-gateway"
    NETWORK_INTERFACE = "network-interface"
    INSTANCE = "instance"
    NAT_GATEWAY = "nat-gateway"
    LOCAL_GATEWAY = "local-gateway"
    CARRIER_GATEWAY = "carrier-gateway"
    CORE_NETWORK = "core-network"
    UNKNOWN = "unknown"


class Route(_Snapshot):
    destination_cidr: IPv4Network | None = None
    destination_prefix_list_id: str | None = None
    target_kind: RouteTargetKind
    target_id: str
    state: str = "active"
    # A route a virtual private gateway propagated (Origin EnableVgwRoutePropagation): at equal
    # prefix length it loses to static and prefix-list routes, and it never beats `local`.
    propagated: bool = False


class RouteTable(_Snapshot):
    route_table_id: str
    is_main: bool
    subnet_ids: tuple[str, ...] = ()
    routes: tuple[Route, ...] = ()


class DnsEntry(_Snapshot):
    dns_name: str
    hosted_zone_id: str | None = None


class VpcEndpoint(_Snapshot):
    endpoint_id: str
    vpc_id: str
    service_name: str
    endpoint_type: str  # Interface | Gateway | GatewayLoadBalancer | ...
    state: str
    private_dns_enabled: bool = False
    security_group_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    route_table_ids: tuple[str, ...] = ()
    # None means no policy document: the endpoint grants full access.
    policy: dict[str, Any] | None = None
    dns_entries: tuple[DnsEntry, ...] = ()
    network_interface_ids: tuple[str, ...] = ()


class SgRule(_Snapshot):
    protocol: str  # normalised: "-1", "6", "17", ...
    from_port: int | None = None  # None: every port (protocol -1, or an ICMP "all")
    to_port: int | None = None
    ipv4_ranges: tuple[IPv4Network, ...] = ()
    referenced_sg_ids: tuple[str, ...] = ()
    prefix_list_ids: tuple[str, ...] = ()

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: Any) -> str:
        return normalize_protocol(value)


class SecurityGroup(_Snapshot):
    group_id: str
    group_name: str = ""
    vpc_id: str
    ingress: tuple[SgRule, ...] = ()
    egress: tuple[SgRule, ...] = ()


class PortRange(_Snapshot):
    from_port: int
    to_port: int


class NaclEntry(_Snapshot):
    rule_number: int
    protocol: str  # normalised like SgRule.protocol
    rule_action: str  # allow | deny
    egress: bool
    cidr: IPv4Network | None = None  # None for an IPv6 entry: it never matches IPv4 traffic
    port_range: PortRange | None = None  # None: every port

    @field_validator("protocol", mode="before")
    @classmethod
    def _protocol(cls, value: Any) -> str:
        return normalize_protocol(value)


class NetworkAcl(_Snapshot):
    network_acl_id: str
    is_default: bool
    subnet_ids: tuple[str, ...] = ()
    entries: tuple[NaclEntry, ...] = ()


class PrefixList(_Snapshot):
    """A customer-managed prefix list referenced by a rule or a route, with its entries."""

    prefix_list_id: str
    name: str = ""
    cidrs: tuple[IPv4Network, ...] = ()


class NetworkSnapshot(_Snapshot):
    """Everything the preflight checks read about the staging VPC, collected read-only."""

    region: str
    vpc: VpcInfo
    subnets: tuple[SubnetInfo, ...] = ()
    route_tables: tuple[RouteTable, ...] = ()
    endpoints: tuple[VpcEndpoint, ...] = ()
    security_groups: tuple[SecurityGroup, ...] = ()
    network_acls: tuple[NetworkAcl, ...] = ()
    prefix_lists: tuple[PrefixList, ...] = ()
    s3_prefix_list_id: str | None = None

    def subnet(self, subnet_id: str) -> SubnetInfo | None:
        return next((s for s in self.subnets if s.subnet_id == subnet_id), None)

    def security_group(self, group_id: str) -> SecurityGroup | None:
        return next((g for g in self.security_groups if g.group_id == group_id), None)

    def prefix_list(self, prefix_list_id: str) -> PrefixList | None:
        return next((p for p in self.prefix_lists if p.prefix_list_id == prefix_list_id), None)
