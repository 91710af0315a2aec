"""Scenarios: a staging network, a source network and a fleet, described in YAML and built in moto.

A scenario file says what the operator's network looks like (the field report's layout, or a
broken variant of it); `build_scenario` creates it through boto3 in an active moto mock and
returns the IDs, including the `PrivatePathTarget` an operator would give the preflight.

References inside a file are by name. Where a rule, route or NACL entry needs a peer, write one of:
`source` (every source range), `vpc` (the staging VPC CIDR), `subnet:<name>` (a staging subnet),
`sg:<name>` (a security group of the file; SG rules only), `pl:s3` (the Region's S3 prefix list;
SG rules only), `pl:source` (a customer-managed prefix list holding the source ranges; SG rules
only) or a literal IPv4 CIDR.
"""

from __future__ import annotations

import json
import re
from importlib import resources
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import yaml
from pydantic import (
    AliasChoices,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from mgn_wave import ids
from mgn_wave.models.network import PrivatePathTarget
from mgn_wave.preflight.checks import FINDING_CODES

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef, IpPermissionTypeDef, PrefixListIdTypeDef

SCENARIO_PACKAGE = "mgn_wave_emu.scenarios"
# Stack parameters that come from the built network, never from the file.
DERIVED_STACK_PARAMETERS = ("StagingVpcId", "StagingSubnetId", "ReplicationSecurityGroupIds", "SourceCidrs")

_PROTOCOLS = {"tcp": "tcp", "udp": "udp", "icmp": "icmp", "all": "-1"}
_NACL_PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "all": "-1"}


class ScenarioError(ValueError):
    """A scenario file that cannot be used; the message names the file and the key."""


class _Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)


def _ports(value: int | str | None) -> tuple[int, int] | None:
    """`1500` → (1500, 1500); `"1024-65535"` → (1024, 65535); None → every port."""
    if value is None:
        return None
    text = str(value)
    low, _, high = text.partition("-")
    try:
        ports = (int(low), int(high or low))
    except ValueError:
        raise ValueError(f"ports must be a port like 1500 or a range like '1024-65535', got {value!r}") from None
    if not 0 <= ports[0] <= ports[1] <= 65535:
        raise ValueError(f"ports must lie in 0..65535 with from <= to, got {value!r}")
    return ports


def _check_peer(value: str, *, allow_sg: bool) -> str:
    if value in ("source", "vpc") or value.startswith("subnet:"):
        return value
    if value.startswith("sg:") or value in ("pl:s3", "pl:source"):
        if allow_sg:
            return value
        raise ValueError(f"{value!r} is only allowed in security group rules")
    try:
        IPv4Network(value, strict=True)
    except ValueError:
        raise ValueError(
            f"{value!r} is not a peer: use source, vpc, subnet:<name>, sg:<name>, pl:s3, pl:source or an IPv4 CIDR"
        ) from None
    return value


class SubnetSpec(_Spec):
    name: str
    cidr: IPv4Network
    az: str


class RouteSpec(_Spec):
    destination: str  # `source` or an IPv4 CIDR
    target: Literal["peering", "igw"]

    @field_validator("destination")
    @classmethod
    def _destination(cls, value: str) -> str:
        if value != "source":
            IPv4Network(value, strict=True)
        return value


class RouteTableSpec(_Spec):
    name: str
    main: bool = False  # the VPC's main route table: subnets without an association use it
    subnets: tuple[str, ...] = ()
    routes: tuple[RouteSpec, ...] = ()


class SgRuleSpec(_Spec):
    protocol: Literal["tcp", "udp", "icmp", "all"] = "tcp"
    ports: int | str | None = None
    # `from:` in ingress, `to:` in egress reads like the console; both land here.
    peers: tuple[str, ...] = Field(min_length=1, validation_alias=AliasChoices("from", "to", "peers"))

    @field_validator("ports")
    @classmethod
    def _valid_ports(cls, value: int | str | None) -> int | str | None:
        _ports(value)
        return value

    @field_validator("peers")
    @classmethod
    def _valid_peers(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(_check_peer(v, allow_sg=True) for v in value)


class SecurityGroupSpec(_Spec):
    name: str
    description: str = "mgn-wave scenario"
    ingress: tuple[SgRuleSpec, ...] = ()
    # None keeps AWS's default allow-all egress; a list (even empty) replaces it.
    egress: tuple[SgRuleSpec, ...] | None = None


class EndpointSpec(_Spec):
    name: str | None = None  # default: `<service>-<type>`, e.g. `s3-gateway`
    service: str  # the last part of com.amazonaws.<region>.<service>: mgn, ec2, s3, ssm, ...
    type: Literal["Interface", "Gateway"] = "Interface"
    private_dns: bool | None = None  # default: on for Interface endpoints except s3
    security_groups: tuple[str, ...] = ()
    subnets: tuple[str, ...] = ()
    route_tables: tuple[str, ...] = ()
    policy: dict[str, Any] | None = None  # None: AWS's default full-access policy

    @property
    def key(self) -> str:
        return self.name or f"{self.service}-{self.type.lower()}"

    @property
    def private_dns_enabled(self) -> bool:
        if self.private_dns is not None:
            return self.private_dns
        return self.type == "Interface" and self.service != "s3"


class NaclEntrySpec(_Spec):
    rule: int = Field(ge=1, le=32766)
    egress: bool = False
    protocol: Literal["tcp", "udp", "icmp", "all"] = "all"
    ports: int | str | None = None
    cidr: str  # `source` expands to one entry per source range, numbered rule, rule+1, ...
    action: Literal["allow", "deny"]

    @field_validator("ports")
    @classmethod
    def _valid_ports(cls, value: int | str | None) -> int | str | None:
        _ports(value)
        return value

    @field_validator("cidr")
    @classmethod
    def _valid_cidr(cls, value: str) -> str:
        return _check_peer(value, allow_sg=False)


class NetworkAclSpec(_Spec):
    name: str  # `default` changes the VPC's default NACL (which every other subnet uses)
    subnets: tuple[str, ...] = ()
    entries: tuple[NaclEntrySpec, ...] = ()


class StagingSpec(_Spec):
    vpc_cidr: IPv4Network
    enable_dns_support: bool = True
    enable_dns_hostnames: bool = True
    subnets: tuple[SubnetSpec, ...] = Field(min_length=1)
    staging_subnet: str
    route_tables: tuple[RouteTableSpec, ...] = ()
    security_groups: tuple[SecurityGroupSpec, ...] = ()
    replication_security_groups: tuple[str, ...] = Field(min_length=1)
    endpoints: tuple[EndpointSpec, ...] = ()
    network_acls: tuple[NetworkAclSpec, ...] = ()


class SourceSpec(_Spec):
    """The 'on-premises' side: a VPC peered with the staging VPC, as in the field report."""

    cidrs: tuple[IPv4Network, ...] = Field(min_length=1)  # the first is the VPC's primary CIDR
    subnets: tuple[SubnetSpec, ...] = ()
    peering: bool = True
    # What the sources' DNS can answer. `public`: only public DNS, as in the field report, so
    # mgn.<region>.amazonaws.com resolves to a public address (vpce-… names still resolve to the
    # endpoints' private addresses); `resolver`: queries are forwarded to a Route 53 Resolver
    # inbound endpoint, so private DNS names of the endpoints resolve privately too.
    dns: Literal["public", "resolver"] = "public"


class DiskSpec(_Spec):
    device: str = Field(min_length=1)
    gib: int = Field(ge=1, le=65536)


class FleetServer(_Spec):
    """A source server: a hybrid SSM managed node of the emulated fleet (`mgn_wave_emu.fleet`)."""

    name: str
    platform: Literal["linux", "windows"]
    private_ip: IPv4Address
    disks: tuple[DiskSpec, ...] = Field(min_length=1)
    ssm: Literal["online", "offline"] = "online"
    hostname: str
    # The node's wave tag value (key: the stack's WaveTagKey). None: the scenario's `mgn.wave`;
    # "": the node carries no wave tag.
    wave: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)  # further tags on the SSM node
    ssm_agent_version: str = Field(default="3.3.2746.0", pattern=r"^[0-9]{1,6}(\.[0-9]{1,6}){2,3}$")
    free_disk_mib: int = Field(default=40960, ge=0)
    # A firewall in the data centre drops TCP 1500 from this server to the staging subnet: AWS
    # cannot see it, so the preflight passes and replication stalls connecting to its server.
    onprem_blocks_1500: bool = False


class MgnSpec(_Spec):
    """What MGN already holds when the wave starts."""

    initialized: bool = True
    # An existing replication template, as an operator left it: the fields given here over the
    # console's defaults (public IP for data replication, the MGN default SG) on the built staging
    # subnet and replication SGs. Absent: no template yet (EnforceTemplate creates one).
    template: dict[str, Any] | None = None
    # Fleet servers whose agent was installed earlier: registered, tagged with `wave`.
    registered: tuple[str, ...] = ()
    wave: str = "wave-01"


def _names(items: tuple[Any, ...], where: str) -> set[str]:
    names = [getattr(i, "name", None) or i.key for i in items]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{where}: names must be unique, repeated: {duplicates}")
    return set(names)


def _require_known(refs: tuple[str, ...], known: set[str], where: str) -> None:
    for ref in refs:
        if ref not in known:
            raise ValueError(f"{where}: {ref!r} is not defined (known: {sorted(known)})")


class Scenario(_Spec):
    name: str
    description: str = ""
    region: str
    staging: StagingSpec
    source: SourceSpec
    fleet: tuple[FleetServer, ...] = ()
    mgn: MgnSpec = Field(default_factory=MgnSpec)
    # A multi-Region trail logging management events, as most accounts have (an organization's or
    # Control Tower's): it feeds EventBridge the CloudTrail events the hybrid-node tag trigger uses.
    cloudtrail: bool = True
    # Further stack parameters (e.g. LogLevel); the network ones are derived from what is built.
    stack: dict[str, str] = Field(default_factory=dict)
    # The BLOCKER/WARNING codes the preflight must report for this network; tests hold us to it.
    expected_codes: tuple[str, ...] = ()

    @field_validator("region")
    @classmethod
    def _region(cls, value: str) -> str:
        # The target's rule, so a scenario cannot name a Region the preflight would refuse.
        if not re.fullmatch(ids.REGION, value):
            raise ValueError(f"region must be an AWS Region code like 'us-east-1', got {value!r}")
        return value

    @field_validator("stack", mode="before")
    @classmethod
    def _stack(cls, value: Any) -> Any:
        if isinstance(value, dict):
            derived = sorted(set(value) & set(DERIVED_STACK_PARAMETERS))
            if derived:
                raise ValueError(f"{derived} come from the built network; remove them from stack")
            return {str(k): str(v) for k, v in value.items()}
        return value

    @field_validator("expected_codes")
    @classmethod
    def _codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = sorted(set(value) - set(FINDING_CODES))
        if unknown:
            raise ValueError(f"unknown finding codes {unknown}; known: {list(FINDING_CODES)}")
        return value

    @model_validator(mode="after")
    def _references(self) -> Scenario:
        subnets = _names(self.staging.subnets, "staging.subnets")
        groups = _names(self.staging.security_groups, "staging.security_groups")
        self._check_subnets_and_routes(subnets)
        self._check_security_groups_and_endpoints(subnets, groups)
        self._check_network_acls(subnets, groups)
        self._check_source()
        _require_known(self.mgn.registered, {server.name for server in self.fleet}, "mgn.registered")
        if self.mgn.registered and self.mgn.template is None:
            raise ValueError("mgn.registered: servers register against a template; give mgn.template")
        return self

    def _check_subnets_and_routes(self, subnets: set[str]) -> None:
        staging = self.staging
        for subnet in staging.subnets:
            if not subnet.cidr.subnet_of(staging.vpc_cidr):
                raise ValueError(f"staging.subnets.{subnet.name}: {subnet.cidr} is outside {staging.vpc_cidr}")
        _require_known((staging.staging_subnet,), subnets, "staging.staging_subnet")
        _names(staging.route_tables, "staging.route_tables")
        if sum(t.main for t in staging.route_tables) > 1:
            raise ValueError("staging.route_tables: at most one table can be main")
        associated: list[str] = []
        for table in staging.route_tables:
            _require_known(table.subnets, subnets, f"staging.route_tables.{table.name}.subnets")
            associated.extend(table.subnets)
            if not self.source.peering and any(r.target == "peering" for r in table.routes):
                raise ValueError(f"staging.route_tables.{table.name}.routes: target peering needs source.peering")
        if len(associated) != len(set(associated)):
            raise ValueError("staging.route_tables: a subnet can be associated with one route table only")

    def _check_security_groups_and_endpoints(self, subnets: set[str], groups: set[str]) -> None:
        staging = self.staging
        tables = {t.name for t in staging.route_tables}
        _require_known(staging.replication_security_groups, groups, "staging.replication_security_groups")
        for group in staging.security_groups:
            for direction, rules in (("ingress", group.ingress), ("egress", group.egress or ())):
                for rule in rules:
                    self._check_peers(rule.peers, subnets, groups, f"staging.security_groups.{group.name}.{direction}")
        _names(staging.endpoints, "staging.endpoints")
        for endpoint in staging.endpoints:
            where = f"staging.endpoints.{endpoint.key}"
            _require_known(endpoint.security_groups, groups, f"{where}.security_groups")
            _require_known(endpoint.subnets, subnets, f"{where}.subnets")
            _require_known(endpoint.route_tables, tables, f"{where}.route_tables")

    def _check_network_acls(self, subnets: set[str], groups: set[str]) -> None:
        _names(self.staging.network_acls, "staging.network_acls")
        for acl in self.staging.network_acls:
            _require_known(acl.subnets, subnets, f"staging.network_acls.{acl.name}.subnets")
            if acl.name == "default" and acl.subnets:
                raise ValueError("staging.network_acls.default.subnets: subnets without a NACL use it already")
            self._check_peers(
                tuple(e.cidr for e in acl.entries),
                subnets,
                groups,
                f"staging.network_acls.{acl.name}.entries",
            )

    @staticmethod
    def _check_peers(peers: tuple[str, ...], subnets: set[str], groups: set[str], where: str) -> None:
        for peer in peers:
            if peer.startswith("subnet:"):
                _require_known((peer.removeprefix("subnet:"),), subnets, where)
            elif peer.startswith("sg:"):
                _require_known((peer.removeprefix("sg:"),), groups, where)

    def _check_source(self) -> None:
        _names(self.source.subnets, "source.subnets")
        for cidr in self.source.cidrs:
            if cidr.overlaps(self.staging.vpc_cidr):
                raise ValueError(f"source.cidrs: {cidr} overlaps the staging VPC {self.staging.vpc_cidr}")
        for subnet in self.source.subnets:
            if not any(subnet.cidr.subnet_of(c) for c in self.source.cidrs):
                raise ValueError(f"source.subnets.{subnet.name}: {subnet.cidr} is outside source.cidrs")
        _names(self.fleet, "fleet")
        for index, server in enumerate(self.fleet):
            if not any(server.private_ip in c for c in self.source.cidrs):
                raise ValueError(
                    f"fleet[{index}].private_ip: {server.private_ip} of {server.name} is outside source.cidrs"
                )

    @property
    def source_cidrs(self) -> tuple[IPv4Network, ...]:
        return self.source.cidrs


class BuiltScenario(BaseModel):
    """What `build_scenario` created, by the names the file gave."""

    model_config = ConfigDict(frozen=True)

    name: str
    region: str
    staging_vpc_id: str
    source_vpc_id: str
    peering_connection_id: str | None
    internet_gateway_id: str | None
    subnet_ids: dict[str, str]
    source_subnet_ids: dict[str, str]
    route_table_ids: dict[str, str]
    security_group_ids: dict[str, str]
    endpoint_ids: dict[str, str]
    network_acl_ids: dict[str, str]
    s3_prefix_list_id: str | None
    target: PrivatePathTarget
    fleet: tuple[FleetServer, ...]
    stack_parameters: dict[str, str]
    expected_codes: tuple[str, ...]


# --- loading -----------------------------------------------------------------------------------


def _location(loc: tuple[int | str, ...]) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _problem(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown key (a typo? see the schema in mgn_wave_emu/scenario.py)"
    if error["type"] == "missing":
        return "required key is missing"
    return str(error["msg"]).removeprefix("Value error, ")


def parse_scenario(data: Any, origin: str = "<scenario>") -> Scenario:
    """Validate already-loaded YAML; errors name `origin` and the key."""
    if not isinstance(data, dict):
        raise ScenarioError(f"{origin}: a scenario is a mapping with keys name, region, staging, source, fleet")
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            # Cross-reference errors are raised for the whole file and name their key themselves.
            where = _location(tuple(error["loc"]))
            problems.append(f"{where}: {_problem(error)}" if where else _problem(error))
        raise ScenarioError(f"{origin}: {'; '.join(problems)}") from None


def shipped_scenarios() -> list[str]:
    """Names of the scenarios shipped in the package."""
    folder = resources.files(SCENARIO_PACKAGE)
    return sorted(p.name.removesuffix(".yaml") for p in folder.iterdir() if p.name.endswith(".yaml"))


def load_scenario(name_or_path: str | Path) -> Scenario:
    """A shipped scenario by name (`seed-clean`), or a scenario file by path."""
    text = str(name_or_path)
    if isinstance(name_or_path, Path) or text.endswith((".yaml", ".yml")) or "/" in text:
        path = Path(name_or_path)
        if not path.is_file():
            raise ScenarioError(f"{path}: no such scenario file")
        raw, origin = path.read_text(encoding="utf-8"), str(path)
    else:
        resource = resources.files(SCENARIO_PACKAGE) / f"{text}.yaml"
        if not resource.is_file():
            raise ScenarioError(f"{text}: no such shipped scenario (shipped: {', '.join(shipped_scenarios())})")
        raw, origin = resource.read_text(encoding="utf-8"), f"{text}.yaml"
    try:
        data = yaml.safe_load(raw)
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{origin}: not valid YAML: {exc}") from None
    return parse_scenario(data, origin)


# --- building ----------------------------------------------------------------------------------


class _Builder:
    """Creates one scenario through boto3; moto must already be active."""

    def __init__(self, scenario: Scenario, ec2: EC2Client) -> None:
        self.scenario = scenario
        self.ec2 = ec2
        self.staging = scenario.staging
        self.subnet_ids: dict[str, str] = {}
        self.source_subnet_ids: dict[str, str] = {}
        self.route_table_ids: dict[str, str] = {}
        self.sg_ids: dict[str, str] = {}
        self.endpoint_ids: dict[str, str] = {}
        self.nacl_ids: dict[str, str] = {}
        self.peering_id: str | None = None
        self.igw_id: str | None = None
        self.s3_prefix_list_id: str | None = None
        self.source_prefix_list_id: str | None = None
        self.vpc_id = ""
        self.source_vpc_id = ""

    def build(self) -> BuiltScenario:
        self._source_vpc()
        self._staging_vpc()
        self._peering()
        self._route_tables()
        self._security_groups()
        self._endpoints()
        self._network_acls()
        self._dns_attributes(self.staging.enable_dns_support, self.staging.enable_dns_hostnames)
        target = PrivatePathTarget(
            region=self.scenario.region,
            staging_vpc_id=self.vpc_id,
            staging_subnet_id=self.subnet_ids[self.staging.staging_subnet],
            replication_sg_ids=tuple(self.sg_ids[n] for n in self.staging.replication_security_groups),
            source_cidrs=self.scenario.source.cidrs,
        )
        derived = {
            "StagingVpcId": target.staging_vpc_id,
            "StagingSubnetId": target.staging_subnet_id,
            "ReplicationSecurityGroupIds": ",".join(target.replication_sg_ids),
            "SourceCidrs": ",".join(str(c) for c in target.source_cidrs),
        }
        return BuiltScenario(
            name=self.scenario.name,
            region=self.scenario.region,
            staging_vpc_id=self.vpc_id,
            source_vpc_id=self.source_vpc_id,
            peering_connection_id=self.peering_id,
            internet_gateway_id=self.igw_id,
            subnet_ids=self.subnet_ids,
            source_subnet_ids=self.source_subnet_ids,
            route_table_ids=self.route_table_ids,
            security_group_ids=self.sg_ids,
            endpoint_ids=self.endpoint_ids,
            network_acl_ids=self.nacl_ids,
            s3_prefix_list_id=self.s3_prefix_list_id,
            target=target,
            fleet=self.scenario.fleet,
            stack_parameters={**self.scenario.stack, **derived},
            expected_codes=self.scenario.expected_codes,
        )

    # --- VPCs ---

    def _vpc_filter(self, vpc_id: str, *extra: FilterTypeDef) -> list[FilterTypeDef]:
        return [{"Name": "vpc-id", "Values": [vpc_id]}, *extra]

    def _source_vpc(self) -> None:
        source = self.scenario.source
        self.source_vpc_id = self.ec2.create_vpc(CidrBlock=str(source.cidrs[0]))["Vpc"]["VpcId"]
        for cidr in source.cidrs[1:]:
            self.ec2.associate_vpc_cidr_block(VpcId=self.source_vpc_id, CidrBlock=str(cidr))
        for subnet in source.subnets:
            created = self.ec2.create_subnet(
                VpcId=self.source_vpc_id, CidrBlock=str(subnet.cidr), AvailabilityZone=subnet.az
            )
            self.source_subnet_ids[subnet.name] = created["Subnet"]["SubnetId"]

    def _staging_vpc(self) -> None:
        self.vpc_id = self.ec2.create_vpc(CidrBlock=str(self.staging.vpc_cidr))["Vpc"]["VpcId"]
        # Private DNS on an interface endpoint needs both attributes while it is created; the
        # scenario's own values are applied at the end.
        self._dns_attributes(support=True, hostnames=True)
        for subnet in self.staging.subnets:
            created = self.ec2.create_subnet(VpcId=self.vpc_id, CidrBlock=str(subnet.cidr), AvailabilityZone=subnet.az)
            self.subnet_ids[subnet.name] = created["Subnet"]["SubnetId"]

    def _dns_attributes(self, support: bool, hostnames: bool) -> None:
        # One attribute per call: the API refuses both at once.
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsSupport={"Value": support})
        self.ec2.modify_vpc_attribute(VpcId=self.vpc_id, EnableDnsHostnames={"Value": hostnames})

    def _peering(self) -> None:
        if not self.scenario.source.peering:
            return
        created = self.ec2.create_vpc_peering_connection(VpcId=self.vpc_id, PeerVpcId=self.source_vpc_id)
        self.peering_id = created["VpcPeeringConnection"]["VpcPeeringConnectionId"]
        self.ec2.accept_vpc_peering_connection(VpcPeeringConnectionId=self.peering_id)
        # The source side routes back to the staging VPC, as the field report's source VPC does.
        source_main = self._main_route_table(self.source_vpc_id)
        self.ec2.create_route(
            RouteTableId=source_main,
            DestinationCidrBlock=str(self.staging.vpc_cidr),
            VpcPeeringConnectionId=self.peering_id,
        )

    # --- routes ---

    def _main_route_table(self, vpc_id: str) -> str:
        tables = self.ec2.describe_route_tables(
            Filters=self._vpc_filter(vpc_id, {"Name": "association.main", "Values": ["true"]})
        )["RouteTables"]
        return tables[0]["RouteTableId"]

    def _internet_gateway(self) -> str:
        if self.igw_id is None:
            self.igw_id = self.ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
            self.ec2.attach_internet_gateway(InternetGatewayId=self.igw_id, VpcId=self.vpc_id)
        return self.igw_id

    def _route_tables(self) -> None:
        for table in self.staging.route_tables:
            if table.main:
                table_id = self._main_route_table(self.vpc_id)
            else:
                table_id = self.ec2.create_route_table(VpcId=self.vpc_id)["RouteTable"]["RouteTableId"]
            self.route_table_ids[table.name] = table_id
            for subnet in table.subnets:
                self.ec2.associate_route_table(RouteTableId=table_id, SubnetId=self.subnet_ids[subnet])
            for route in table.routes:
                destinations = (
                    [str(c) for c in self.scenario.source.cidrs]
                    if route.destination == "source"
                    else [route.destination]
                )
                for destination in destinations:
                    if route.target == "peering" and self.peering_id is not None:
                        # (the Scenario validator makes `peering` routes require source.peering)
                        self.ec2.create_route(
                            RouteTableId=table_id,
                            DestinationCidrBlock=destination,
                            VpcPeeringConnectionId=self.peering_id,
                        )
                    else:
                        self.ec2.create_route(
                            RouteTableId=table_id,
                            DestinationCidrBlock=destination,
                            GatewayId=self._internet_gateway(),
                        )

    # --- security groups ---

    def _s3_prefix_list(self) -> str:
        if self.s3_prefix_list_id is None:
            name = f"com.amazonaws.{self.scenario.region}.s3"
            lists = self.ec2.describe_managed_prefix_lists(Filters=[{"Name": "prefix-list-name", "Values": [name]}])
            self.s3_prefix_list_id = lists["PrefixLists"][0]["PrefixListId"]
        return self.s3_prefix_list_id

    def _peer_cidrs(self, peer: str) -> list[str]:
        if peer == "source":
            return [str(c) for c in self.scenario.source.cidrs]
        if peer == "vpc":
            return [str(self.staging.vpc_cidr)]
        if peer.startswith("subnet:"):
            name = peer.removeprefix("subnet:")
            return [str(next(s.cidr for s in self.staging.subnets if s.name == name))]
        return [peer]

    def _permission(self, rule: SgRuleSpec) -> IpPermissionTypeDef:
        permission: IpPermissionTypeDef = {"IpProtocol": _PROTOCOLS[rule.protocol]}
        ports = _ports(rule.ports)
        if rule.protocol != "all":
            low, high = ports or ((-1, -1) if rule.protocol == "icmp" else (0, 65535))
            permission["FromPort"], permission["ToPort"] = low, high
        ranges = [c for p in rule.peers if not p.startswith(("sg:", "pl:")) for c in self._peer_cidrs(p)]
        groups = [self.sg_ids[p.removeprefix("sg:")] for p in rule.peers if p.startswith("sg:")]
        if ranges:
            permission["IpRanges"] = [{"CidrIp": c} for c in ranges]
        if groups:
            permission["UserIdGroupPairs"] = [{"GroupId": g} for g in groups]
        prefix_lists: list[PrefixListIdTypeDef] = (
            [{"PrefixListId": self._s3_prefix_list()}] if "pl:s3" in rule.peers else []
        )
        if "pl:source" in rule.peers:
            prefix_lists.append({"PrefixListId": self._source_prefix_list()})
        if prefix_lists:
            permission["PrefixListIds"] = prefix_lists
        return permission

    def _source_prefix_list(self) -> str:
        """The operator's own prefix list of the source ranges (customer-managed: its entries are
        read with ec2:GetManagedPrefixListEntries)."""
        if self.source_prefix_list_id is None:
            cidrs = [str(c) for c in self.scenario.source.cidrs]
            created = self.ec2.create_managed_prefix_list(
                PrefixListName=f"{self.scenario.name}-sources",
                AddressFamily="IPv4",
                MaxEntries=max(len(cidrs), 1),
                Entries=[{"Cidr": cidr, "Description": "source range"} for cidr in cidrs],
            )
            self.source_prefix_list_id = created["PrefixList"]["PrefixListId"]
        return self.source_prefix_list_id

    def _security_groups(self) -> None:
        # All groups first, so that rules can reference each other by name.
        for group in self.staging.security_groups:
            created = self.ec2.create_security_group(
                GroupName=group.name, Description=group.description, VpcId=self.vpc_id
            )
            self.sg_ids[group.name] = created["GroupId"]
        for group in self.staging.security_groups:
            group_id = self.sg_ids[group.name]
            for rule in group.ingress:
                self.ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[self._permission(rule)])
            if group.egress is None:
                continue
            self.ec2.revoke_security_group_egress(
                GroupId=group_id, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
            )
            for rule in group.egress:
                self.ec2.authorize_security_group_egress(GroupId=group_id, IpPermissions=[self._permission(rule)])

    # --- endpoints ---

    def _endpoints(self) -> None:
        region = self.scenario.region
        # Gateways first: an S3 interface endpoint with private DNS requires the S3 gateway.
        for endpoint in sorted(self.staging.endpoints, key=lambda e: e.type != "Gateway"):
            common: dict[str, Any] = {
                "VpcId": self.vpc_id,
                "ServiceName": f"com.amazonaws.{region}.{endpoint.service}",
                "VpcEndpointType": endpoint.type,
            }
            if endpoint.policy is not None:
                common["PolicyDocument"] = json.dumps(endpoint.policy)
            if endpoint.type == "Gateway":
                # moto adds the prefix-list route to each table itself, as AWS does.
                created = self.ec2.create_vpc_endpoint(
                    **common, RouteTableIds=[self.route_table_ids[t] for t in endpoint.route_tables]
                )
            else:
                created = self.ec2.create_vpc_endpoint(
                    **common,
                    SubnetIds=[self.subnet_ids[s] for s in endpoint.subnets],
                    SecurityGroupIds=[self.sg_ids[g] for g in endpoint.security_groups],
                    PrivateDnsEnabled=endpoint.private_dns_enabled,
                )
            endpoint_id = created["VpcEndpoint"]["VpcEndpointId"]
            self.endpoint_ids[endpoint.key] = endpoint_id
            if endpoint.type == "Interface":
                self._aws_style_dns_entries(endpoint_id, endpoint)

    def _aws_style_dns_entries(self, endpoint_id: str, endpoint: EndpointSpec) -> None:
        """moto 5.2.5 names an interface endpoint `vpce-<id>-<sfx>.com.amazonaws.<region>.<service>`
        and lists no zonal or private names. AWS lists the regional name
        `vpce-<id>-<sfx>.<service>.<region>.vpce.amazonaws.com` (S3: with a `*.` prefix), one zonal
        name per AZ and, with private DNS, `<service>.<region>.amazonaws.com`. Installers get these
        names as `--endpoint`/`--s3-endpoint`, so the emulation shows the AWS form. moto has no API
        to set them: this writes its backend, and does nothing if that backend is not there."""
        try:
            from moto.ec2.models import ec2_backends  # noqa: PLC0415 - only the emulation needs it
        except ImportError:  # pragma: no cover - moto is a dependency of this package
            return
        described = self.ec2.describe_vpc_endpoints(VpcEndpointIds=[endpoint_id])["VpcEndpoints"][0]
        account = described.get("OwnerId", "")
        moto_endpoint = ec2_backends[account][self.scenario.region].vpc_end_points.get(endpoint_id)
        names = [e.get("DnsName", "") for e in described.get("DnsEntries", [])]
        if moto_endpoint is None or not names or not names[0].startswith(f"{endpoint_id}-"):
            return
        region, service = self.scenario.region, endpoint.service
        label = names[0].split(".", 1)[0]  # vpce-<id>-<sfx>
        star = "*." if service == "s3" else ""
        zone = f"Z{endpoint_id[-12:].upper()}"
        azs = sorted({s.az for s in self.staging.subnets if s.name in endpoint.subnets})
        entries = [{"dns_name": f"{star}{label}.{service}.{region}.vpce.amazonaws.com", "hosted_zone_id": zone}]
        entries += [
            {"dns_name": f"{star}{label}-{az}.{service}.{region}.vpce.amazonaws.com", "hosted_zone_id": zone}
            for az in azs
        ]
        if endpoint.private_dns_enabled:
            entries.append({"dns_name": f"{service}.{region}.amazonaws.com", "hosted_zone_id": zone})
        moto_endpoint.dns_entries = entries

    # --- network ACLs ---

    def _default_nacl(self) -> dict[str, Any]:
        acls = self.ec2.describe_network_acls(
            Filters=self._vpc_filter(self.vpc_id, {"Name": "default", "Values": ["true"]})
        )["NetworkAcls"]
        return dict(acls[0])

    def _network_acls(self) -> None:
        for acl in self.staging.network_acls:
            if acl.name == "default":
                default = self._default_nacl()
                acl_id = default["NetworkAclId"]
                existing = {(e["RuleNumber"], e["Egress"]) for e in default.get("Entries", [])}
            else:
                acl_id = self.ec2.create_network_acl(VpcId=self.vpc_id)["NetworkAcl"]["NetworkAclId"]
                existing = set()
                for subnet in acl.subnets:
                    self._associate_nacl(acl_id, self.subnet_ids[subnet])
            self.nacl_ids[acl.name] = acl_id
            for entry in acl.entries:
                for offset, cidr in enumerate(self._peer_cidrs(entry.cidr)):
                    rule_number = entry.rule + offset
                    arguments: dict[str, Any] = {
                        "NetworkAclId": acl_id,
                        "RuleNumber": rule_number,
                        "Protocol": _NACL_PROTOCOLS[entry.protocol],
                        "RuleAction": entry.action,
                        "Egress": entry.egress,
                        "CidrBlock": cidr,
                    }
                    ports = _ports(entry.ports)
                    if ports is not None and entry.protocol in ("tcp", "udp"):
                        arguments["PortRange"] = {"From": ports[0], "To": ports[1]}
                    if (rule_number, entry.egress) in existing:
                        self.ec2.replace_network_acl_entry(**arguments)
                    else:
                        self.ec2.create_network_acl_entry(**arguments)

    def _associate_nacl(self, acl_id: str, subnet_id: str) -> None:
        current = self.ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
        association = next(
            a["NetworkAclAssociationId"]
            for a in current["NetworkAcls"][0]["Associations"]
            if a.get("SubnetId") == subnet_id
        )
        self.ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl_id)


def build_scenario(scenario: Scenario, ec2: EC2Client) -> BuiltScenario:
    """Create the scenario's networks through `ec2` (moto must be active) and return their IDs."""
    return _Builder(scenario, ec2).build()
