"""The EC2 adapter: reads the staging network into a `NetworkSnapshot`. Read-only by design.

It owns every EC2 call of the preflight: pagination, the `vpc-id` filters, and the translation
of `ClientError` (by EC2's code table in `mgn_wave.adapters.errors`) into the typed errors of
`mgn_wave.errors`. Nothing outside this
module sees boto3 shapes; it only ever calls `Describe*`/`Get*` operations.
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import EC2_ERRORS, aws_call
from mgn_wave.errors import AwsResourceNotFoundError, InvalidInputError
from mgn_wave.models.network import (
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

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import (
        FilterTypeDef,
        IpPermissionOutputTypeDef,
        NetworkAclTypeDef,
        RouteTableTypeDef,
        RouteTypeDef,
        SecurityGroupTypeDef,
        SubnetTypeDef,
        VpcEndpointTypeDef,
    )

# The IAM actions `collect_network_snapshot` needs: all read-only. The stack's preflight role and
# an operator's laptop policy should grant exactly these.
REQUIRED_IAM_ACTIONS: tuple[str, ...] = (
    "ec2:DescribeVpcs",
    "ec2:DescribeVpcAttribute",
    "ec2:DescribeSubnets",
    "ec2:DescribeRouteTables",
    "ec2:DescribeVpcEndpoints",
    "ec2:DescribeSecurityGroups",
    "ec2:DescribeNetworkAcls",
    "ec2:DescribeManagedPrefixLists",
    "ec2:GetManagedPrefixListEntries",
)

_AWS_OWNER = "AWS"  # OwnerId of AWS-managed prefix lists (S3, DynamoDB, ...)


@contextmanager
def _ec2_call(action: str, *, resource: str = "", setting: str = "") -> Iterator[None]:
    """One EC2 call (including every page of it), its errors translated by EC2's code table."""
    with aws_call(
        action,
        codes=EC2_ERRORS,
        resource=f"{resource} (from {setting})" if setting else resource,
        denied_fix=f"grant {action} to the role that runs the preflight",
    ):
        yield


# --- shapes → models ---------------------------------------------------------------------------


def _subnet(raw: SubnetTypeDef) -> SubnetInfo:
    return SubnetInfo(
        subnet_id=raw["SubnetId"],
        cidr=IPv4Network(raw["CidrBlock"]),
        availability_zone=raw["AvailabilityZone"],
    )


def _route_target(raw: RouteTypeDef) -> tuple[RouteTargetKind, str]:
    # The instance case first: a route to an instance also carries the instance's ENI ID.
    by_field: tuple[tuple[str, RouteTargetKind], ...] = (
        ("VpcPeeringConnectionId", RouteTargetKind.PEERING_CONNECTION),
        ("TransitGatewayId", RouteTargetKind.TRANSIT_GATEWAY),
        ("InstanceId", RouteTargetKind.INSTANCE),
        ("NetworkInterfaceId", RouteTargetKind.NETWORK_INTERFACE),
        ("NatGatewayId", RouteTargetKind.NAT_GATEWAY),
        ("LocalGatewayId", RouteTargetKind.LOCAL_GATEWAY),
        ("CarrierGatewayId", RouteTargetKind.CARRIER_GATEWAY),
        ("CoreNetworkArn", RouteTargetKind.CORE_NETWORK),
        ("EgressOnlyInternetGatewayId", RouteTargetKind.EGRESS_ONLY_INTERNET_GATEWAY),
    )
    fields: dict[str, Any] = dict(raw)
    for field, kind in by_field:
        if fields.get(field):
            return kind, str(fields[field])
    gateway = str(fields.get("GatewayId", ""))
    # GatewayId holds several kinds of target; the ID prefix says which.
    if gateway == "local":
        return RouteTargetKind.LOCAL, gateway
    for prefix, kind in (
        ("igw-", RouteTargetKind.INTERNET_GATEWAY),
        ("vgw-", RouteTargetKind.VIRTUAL_PRIVATE_GATEWAY),
        ("vpce-", RouteTargetKind.VPC_ENDPOINT),
    ):
        if gateway.startswith(prefix):
            return kind, gateway
    return RouteTargetKind.UNKNOWN, gateway or "unknown"


def _route(raw: RouteTypeDef) -> Route | None:
    cidr = raw.get("DestinationCidrBlock")
    prefix_list_id = raw.get("DestinationPrefixListId")
    if cidr is None and prefix_list_id is None:
        return None  # an IPv6-only route: MGN's private data path is IPv4 (docs/mgn-facts.md §1.4)
    kind, target_id = _route_target(raw)
    return Route(
        destination_cidr=IPv4Network(cidr) if cidr else None,
        destination_prefix_list_id=prefix_list_id,
        target_kind=kind,
        target_id=target_id,
        state=raw.get("State", "active"),
        propagated=raw.get("Origin") == "EnableVgwRoutePropagation",
    )


def _route_table(raw: RouteTableTypeDef) -> RouteTable:
    associations = [
        a
        for a in raw.get("Associations", [])
        if a.get("AssociationState", {}).get("State", "associated") == "associated"
    ]
    routes = [r for r in (_route(route) for route in raw.get("Routes", [])) if r is not None]
    return RouteTable(
        route_table_id=raw["RouteTableId"],
        is_main=any(a.get("Main", False) for a in associations),
        subnet_ids=tuple(sorted(a["SubnetId"] for a in associations if a.get("SubnetId"))),
        routes=tuple(routes),
    )


def _policy(document: str | None) -> dict[str, Any] | None:
    if not document:
        return None  # no policy: the endpoint grants full access
    try:
        parsed = json.loads(document)
    except json.JSONDecodeError:
        # Never seen from AWS; an unreadable policy is judged as allowing nothing, and the
        # resulting finding names the endpoint so the operator looks at it.
        return {"Statement": []}
    return parsed if isinstance(parsed, dict) else {"Statement": []}


def _endpoint(raw: VpcEndpointTypeDef) -> VpcEndpoint:
    return VpcEndpoint(
        endpoint_id=raw["VpcEndpointId"],
        vpc_id=raw["VpcId"],
        service_name=raw["ServiceName"],
        endpoint_type=raw.get("VpcEndpointType", "Gateway"),
        state=raw.get("State", "unknown"),
        private_dns_enabled=bool(raw.get("PrivateDnsEnabled", False)),
        security_group_ids=tuple(g["GroupId"] for g in raw.get("Groups", []) if g.get("GroupId")),
        subnet_ids=tuple(raw.get("SubnetIds", [])),
        route_table_ids=tuple(raw.get("RouteTableIds", [])),
        policy=_policy(raw.get("PolicyDocument")),
        dns_entries=tuple(
            DnsEntry(dns_name=e["DnsName"], hosted_zone_id=e.get("HostedZoneId"))
            for e in raw.get("DnsEntries", [])
            if e.get("DnsName")
        ),
        network_interface_ids=tuple(raw.get("NetworkInterfaceIds", [])),
    )


def _sg_rule(raw: IpPermissionOutputTypeDef) -> SgRule:
    return SgRule(
        protocol=raw.get("IpProtocol", "-1"),
        from_port=raw.get("FromPort"),
        to_port=raw.get("ToPort"),
        ipv4_ranges=tuple(IPv4Network(r["CidrIp"]) for r in raw.get("IpRanges", []) if r.get("CidrIp")),
        referenced_sg_ids=tuple(p["GroupId"] for p in raw.get("UserIdGroupPairs", []) if p.get("GroupId")),
        prefix_list_ids=tuple(p["PrefixListId"] for p in raw.get("PrefixListIds", []) if p.get("PrefixListId")),
    )


def _security_group(raw: SecurityGroupTypeDef) -> SecurityGroup:
    return SecurityGroup(
        group_id=raw["GroupId"],
        group_name=raw.get("GroupName", ""),
        vpc_id=raw.get("VpcId", ""),
        ingress=tuple(_sg_rule(p) for p in raw.get("IpPermissions", [])),
        egress=tuple(_sg_rule(p) for p in raw.get("IpPermissionsEgress", [])),
    )


def _network_acl(raw: NetworkAclTypeDef) -> NetworkAcl:
    entries = []
    for entry in raw.get("Entries", []):
        port_range = entry.get("PortRange")
        cidr = entry.get("CidrBlock")
        entries.append(
            NaclEntry(
                rule_number=entry["RuleNumber"],
                protocol=entry.get("Protocol", "-1"),
                rule_action=entry.get("RuleAction", "deny"),
                egress=entry.get("Egress", False),
                cidr=IPv4Network(cidr) if cidr else None,
                port_range=(
                    PortRange(from_port=port_range["From"], to_port=port_range["To"])
                    if port_range and "From" in port_range and "To" in port_range
                    else None
                ),
            )
        )
    return NetworkAcl(
        network_acl_id=raw["NetworkAclId"],
        is_default=raw.get("IsDefault", False),
        subnet_ids=tuple(sorted(a["SubnetId"] for a in raw.get("Associations", []) if a.get("SubnetId"))),
        entries=tuple(entries),
    )


# --- the adapter -------------------------------------------------------------------------------


class Ec2Adapter:
    """Reads the staging network. Takes an EC2 client so tests and the CLI choose the endpoint."""

    def __init__(self, ec2: EC2Client) -> None:
        self._ec2 = ec2

    def collect_network_snapshot(self, target: PrivatePathTarget) -> NetworkSnapshot:
        """Everything the preflight checks need about `target.staging_vpc_id`, read-only."""
        vpc_filter: list[FilterTypeDef] = [{"Name": "vpc-id", "Values": [target.staging_vpc_id]}]
        vpc = self._staging_vpc(target)
        subnets = self._subnets(vpc_filter)
        self._require_staging_subnet(target, subnets)
        route_tables = self._route_tables(vpc_filter)
        security_groups = self._security_groups(vpc_filter)
        self._require_replication_sgs(target, security_groups)
        s3_prefix_list_id = self._s3_prefix_list_id(target.region)
        referenced = {
            *(pl for g in security_groups for r in (*g.ingress, *g.egress) for pl in r.prefix_list_ids),
            *(r.destination_prefix_list_id for t in route_tables for r in t.routes if r.destination_prefix_list_id),
        }
        referenced.discard(s3_prefix_list_id or "")
        return NetworkSnapshot(
            region=target.region,
            vpc=vpc,
            subnets=tuple(sorted(subnets, key=lambda s: s.subnet_id)),
            route_tables=tuple(sorted(route_tables, key=lambda t: t.route_table_id)),
            endpoints=tuple(sorted(self._endpoints(vpc_filter), key=lambda e: e.endpoint_id)),
            security_groups=tuple(sorted(security_groups, key=lambda g: g.group_id)),
            network_acls=tuple(sorted(self._network_acls(vpc_filter), key=lambda a: a.network_acl_id)),
            prefix_lists=self._customer_prefix_lists(sorted(referenced)),
            s3_prefix_list_id=s3_prefix_list_id,
        )

    # --- the VPC and the operator's settings ---

    def _staging_vpc(self, target: PrivatePathTarget) -> VpcInfo:
        vpc_id = target.staging_vpc_id
        with _ec2_call("ec2:DescribeVpcs", resource=f"staging VPC {vpc_id}", setting="stagingVpcId"):
            vpcs = self._ec2.describe_vpcs(VpcIds=[vpc_id])["Vpcs"]
        if not vpcs:
            raise AwsResourceNotFoundError(f"staging VPC {vpc_id} (from stagingVpcId) does not exist")
        raw = vpcs[0]
        cidrs = [
            a["CidrBlock"]
            for a in raw.get("CidrBlockAssociationSet", [])
            if a.get("CidrBlock") and a.get("CidrBlockState", {}).get("State", "associated") == "associated"
        ] or [raw["CidrBlock"]]
        return VpcInfo(
            vpc_id=vpc_id,
            owner_id=raw.get("OwnerId"),
            cidr_blocks=tuple(IPv4Network(c) for c in cidrs),
            enable_dns_support=self._vpc_attribute(vpc_id, "enableDnsSupport"),
            enable_dns_hostnames=self._vpc_attribute(vpc_id, "enableDnsHostnames"),
        )

    def _vpc_attribute(self, vpc_id: str, attribute: str) -> bool:
        with _ec2_call("ec2:DescribeVpcAttribute", resource=f"staging VPC {vpc_id}", setting="stagingVpcId"):
            if attribute == "enableDnsSupport":
                answer = self._ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsSupport")
                return bool(answer.get("EnableDnsSupport", {}).get("Value", False))
            answer = self._ec2.describe_vpc_attribute(VpcId=vpc_id, Attribute="enableDnsHostnames")
            return bool(answer.get("EnableDnsHostnames", {}).get("Value", False))

    def _require_staging_subnet(self, target: PrivatePathTarget, subnets: Sequence[SubnetInfo]) -> None:
        subnet_id = target.staging_subnet_id
        if any(s.subnet_id == subnet_id for s in subnets):
            return
        with _ec2_call("ec2:DescribeSubnets", resource=f"staging subnet {subnet_id}", setting="stagingSubnetId"):
            found = self._ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
        if not found:
            raise AwsResourceNotFoundError(f"staging subnet {subnet_id} (from stagingSubnetId) does not exist")
        raise InvalidInputError(
            "stagingSubnetId",
            f"{subnet_id} is in {found[0].get('VpcId')}, not in the staging VPC {target.staging_vpc_id}",
        )

    def _require_replication_sgs(self, target: PrivatePathTarget, groups: Sequence[SecurityGroup]) -> None:
        in_vpc = {g.group_id for g in groups}
        outside = [i for i in target.replication_sg_ids if i not in in_vpc]
        if not outside:
            return
        # A filter (not GroupIds) so that missing groups come back as an empty answer we can
        # name one by one, instead of one error for the whole list.
        with _ec2_call("ec2:DescribeSecurityGroups", resource=", ".join(outside), setting="replicationSgIds"):
            pages = self._ec2.get_paginator("describe_security_groups").paginate(
                Filters=[{"Name": "group-id", "Values": outside}]
            )
            elsewhere = {g["GroupId"]: g.get("VpcId", "") for page in pages for g in page["SecurityGroups"]}
        missing = [i for i in outside if i not in elsewhere]
        if missing:
            raise AwsResourceNotFoundError(
                f"replication security group(s) {', '.join(missing)} (from replicationSgIds) do not exist "
                f"in {target.region}"
            )
        placed = ", ".join(f"{i} is in {elsewhere[i]}" for i in outside)
        raise InvalidInputError(
            "replicationSgIds",
            f"{placed}; replication SGs must belong to the staging VPC {target.staging_vpc_id}",
        )

    # --- collections of the VPC ---

    def private_addresses(self, network_interface_ids: Sequence[str]) -> dict[str, str]:
        """ENI ID → primary private IPv4 address (the endpoint addresses a hosts file pins)."""
        if not network_interface_ids:
            return {}
        with _ec2_call("ec2:DescribeNetworkInterfaces"):
            pages = self._ec2.get_paginator("describe_network_interfaces").paginate(
                NetworkInterfaceIds=list(network_interface_ids)
            )
            return {
                eni["NetworkInterfaceId"]: eni["PrivateIpAddress"]
                for page in pages
                for eni in page["NetworkInterfaces"]
                if eni.get("PrivateIpAddress")
            }

    def _subnets(self, vpc_filter: list[FilterTypeDef]) -> list[SubnetInfo]:
        with _ec2_call("ec2:DescribeSubnets"):
            pages = self._ec2.get_paginator("describe_subnets").paginate(Filters=vpc_filter)
            return [_subnet(s) for page in pages for s in page["Subnets"]]

    def _route_tables(self, vpc_filter: list[FilterTypeDef]) -> list[RouteTable]:
        with _ec2_call("ec2:DescribeRouteTables"):
            pages = self._ec2.get_paginator("describe_route_tables").paginate(Filters=vpc_filter)
            return [_route_table(t) for page in pages for t in page["RouteTables"]]

    def _endpoints(self, vpc_filter: list[FilterTypeDef]) -> list[VpcEndpoint]:
        with _ec2_call("ec2:DescribeVpcEndpoints"):
            pages = self._ec2.get_paginator("describe_vpc_endpoints").paginate(Filters=vpc_filter)
            return [_endpoint(e) for page in pages for e in page["VpcEndpoints"]]

    def _security_groups(self, vpc_filter: list[FilterTypeDef]) -> list[SecurityGroup]:
        with _ec2_call("ec2:DescribeSecurityGroups"):
            pages = self._ec2.get_paginator("describe_security_groups").paginate(Filters=vpc_filter)
            return [_security_group(g) for page in pages for g in page["SecurityGroups"]]

    def _network_acls(self, vpc_filter: list[FilterTypeDef]) -> list[NetworkAcl]:
        with _ec2_call("ec2:DescribeNetworkAcls"):
            pages = self._ec2.get_paginator("describe_network_acls").paginate(Filters=vpc_filter)
            return [_network_acl(a) for page in pages for a in page["NetworkAcls"]]

    # --- prefix lists ---

    def _s3_prefix_list_id(self, region: str) -> str | None:
        name = f"com.amazonaws.{region}.s3"
        with _ec2_call("ec2:DescribeManagedPrefixLists"):
            pages = self._ec2.get_paginator("describe_managed_prefix_lists").paginate(
                Filters=[{"Name": "prefix-list-name", "Values": [name]}]
            )
            ids = [p["PrefixListId"] for page in pages for p in page["PrefixLists"] if p.get("PrefixListId")]
        return ids[0] if ids else None

    def _customer_prefix_lists(self, prefix_list_ids: Sequence[str]) -> tuple[PrefixList, ...]:
        """Entries of the customer-managed prefix lists that rules or routes reference.

        AWS-managed lists (S3, DynamoDB, ...) hold public service ranges, never a source range, so
        their entries are not read.
        """
        if not prefix_list_ids:
            return ()
        with _ec2_call("ec2:DescribeManagedPrefixLists", resource=", ".join(prefix_list_ids)):
            pages = self._ec2.get_paginator("describe_managed_prefix_lists").paginate(
                PrefixListIds=list(prefix_list_ids)
            )
            described = [p for page in pages for p in page["PrefixLists"]]
        prefix_lists = []
        for raw in described:
            prefix_list_id = raw.get("PrefixListId", "")
            if not prefix_list_id or raw.get("OwnerId") == _AWS_OWNER or raw.get("AddressFamily") == "IPv6":
                continue
            with _ec2_call("ec2:GetManagedPrefixListEntries", resource=prefix_list_id):
                pages_of_entries = self._ec2.get_paginator("get_managed_prefix_list_entries").paginate(
                    PrefixListId=prefix_list_id
                )
                cidrs = [e["Cidr"] for page in pages_of_entries for e in page["Entries"] if e.get("Cidr")]
            prefix_lists.append(
                PrefixList(
                    prefix_list_id=prefix_list_id,
                    name=raw.get("PrefixListName", ""),
                    cidrs=tuple(IPv4Network(c) for c in cidrs),
                )
            )
        return tuple(sorted(prefix_lists, key=lambda p: p.prefix_list_id))
