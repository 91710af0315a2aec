"""What a source server sees of the network: DNS answers and TCP reachability, from the scenario.

`NetworkView` is the interface the fleet asks. `ScenarioNetworkView` answers it from the network
the scenario built in moto, read back through the same EC2 adapter and judged by the same
security-group, NACL and route code the preflight uses, so the emulated nodes and the preflight
cannot disagree about what is open.

Only the path from the sources to the staging VPC's interface endpoints is modelled (that is what
the install needs); the sources reach it through the peering connection the scenario builds, and
nothing public is reachable from the private source network.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network
from typing import TYPE_CHECKING, Protocol

from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.models.network import PROTOCOL_TCP, NetworkSnapshot, VpcEndpoint

# The preflight's own SG judgement, reused rather than written twice. They are private there
# because the preflight only ever asks about whole ranges; a node asks about one address.
from mgn_wave.preflight.checks import _endpoint_sg_ids, nacl_of_subnet, sgs_admit
from mgn_wave.preflight.nacl import evaluate_nacl
from mgn_wave.preflight.routes import answers

if TYPE_CHECKING:
    from mypy_boto3_ec2 import EC2Client

    from mgn_wave_emu.scenario import BuiltScenario, Scenario

EPHEMERAL_PORTS = (1024, 65535)
# Public addresses for names that public DNS answers (never reachable from the private sources).
_PUBLIC_RANGE = IPv4Network("52.94.0.0/16")


class NetworkView(Protocol):
    """What the emulated nodes ask of the network."""

    def resolve(self, name: str) -> list[str]:
        """The IPv4 addresses the sources' DNS answers for `name` (empty: NXDOMAIN)."""
        ...

    def reachable(self, source_ip: str, dest_ip: str, port: int) -> bool:
        """Can a source at `source_ip` open TCP `port` on `dest_ip`?"""
        ...


@dataclass(frozen=True)
class EndpointInterface:
    endpoint_id: str
    subnet_id: str
    availability_zone: str
    address: str


def public_address(name: str) -> str:
    """A stable public-looking address for a name public DNS would answer."""
    digest = int.from_bytes(hashlib.sha256(name.encode()).digest()[:4], "big")
    return str(_PUBLIC_RANGE.network_address + 1 + digest % (_PUBLIC_RANGE.num_addresses - 2))


def place_endpoint_interfaces(ec2: EC2Client, region: str, endpoint_ids: list[str]) -> None:
    """moto 5.2.5 gives an interface endpoint's network interfaces addresses outside their subnets;
    AWS gives each one an address inside its subnet. Clients that read `DescribeNetworkInterfaces`
    (the install Lambda pins hosts entries to these) must see the AWS form, so this moves each
    address into its subnet, deterministically. It writes moto's backend (no API sets it) and does
    nothing when that backend is not there."""
    try:
        from moto.ec2.models import ec2_backends  # noqa: PLC0415 - only the emulation needs it
    except ImportError:  # pragma: no cover - moto is a dependency of this package
        return
    if not endpoint_ids:
        return
    endpoints = ec2.describe_vpc_endpoints(VpcEndpointIds=endpoint_ids)["VpcEndpoints"]
    for endpoint in endpoints:
        account = endpoint.get("OwnerId", "")
        backend = ec2_backends[account][region]
        for interface_id in endpoint.get("NetworkInterfaceIds", []):
            interface = backend.get_network_interface(interface_id)
            subnet = IPv4Network(interface.subnet.cidr_block)
            if IPv4Address(interface.private_ip_address) in subnet:
                continue
            taken = {
                str(other.private_ip_address)
                for other in backend.enis.values()
                if getattr(other.subnet, "id", None) == interface.subnet.id
            }
            # AWS reserves the first four addresses and the last one of every subnet.
            usable = subnet.num_addresses - 5
            start = int.from_bytes(hashlib.sha256(interface_id.encode()).digest()[:4], "big") % usable
            for offset in range(usable):
                candidate = str(subnet.network_address + 4 + (start + offset) % usable)
                if candidate not in taken:
                    break
            interface.private_ip_address = candidate
            interface.private_ip_addresses = [{"Primary": True, "PrivateIpAddress": candidate}]


class ScenarioNetworkView:
    """`NetworkView` over a built scenario. `refresh()` re-reads the network (a test may change an
    SG or a NACL between two commands); the fleet refreshes before every SendCommand."""

    def __init__(self, scenario: Scenario, built: BuiltScenario, ec2: EC2Client) -> None:
        self._scenario = scenario
        self._built = built
        self._ec2 = ec2
        self._snapshot: NetworkSnapshot | None = None
        self._interfaces: dict[str, EndpointInterface] = {}  # address → interface
        self._exact: dict[str, list[str]] = {}
        self._wildcards: dict[str, list[str]] = {}  # suffix (without "*.") → addresses
        self._overrides: dict[str, list[str]] = {}
        place_endpoint_interfaces(ec2, scenario.region, list(built.endpoint_ids.values()))
        self.refresh()

    @property
    def snapshot(self) -> NetworkSnapshot:
        if self._snapshot is None:
            self.refresh()
        assert self._snapshot is not None
        return self._snapshot

    def refresh(self) -> None:
        self._snapshot = Ec2Adapter(self._ec2).collect_network_snapshot(self._built.target)
        self._interfaces = {}
        self._exact = {}
        self._wildcards = {}
        for endpoint in self._snapshot.endpoints:
            if endpoint.endpoint_type != "Interface" or endpoint.state.lower() != "available":
                continue
            interfaces = self._endpoint_interfaces(endpoint)
            for interface in interfaces:
                self._interfaces[interface.address] = interface
            self._add_names(endpoint, interfaces)

    def override_dns(self, name: str, addresses: list[str] | None) -> None:
        """Fault knob: make the sources' DNS answer `addresses` for `name` (empty: NXDOMAIN;
        None: the network's own answer again)."""
        if addresses is None:
            self._overrides.pop(name, None)
        else:
            self._overrides[name] = list(addresses)

    # --- NetworkView ---

    def resolve(self, name: str) -> list[str]:
        if name in self._overrides:
            return list(self._overrides[name])
        if name in self._exact:
            return list(self._exact[name])
        for suffix, addresses in self._wildcards.items():
            if name.endswith("." + suffix):
                return list(addresses)
        if ".vpce." in name:
            return []  # endpoint names exist only as the endpoints publish them
        if name.endswith((".amazonaws.com", ".amazonaws.com.cn")):
            return [public_address(name)]
        return []

    def reachable(self, source_ip: str, dest_ip: str, port: int) -> bool:
        source = IPv4Address(source_ip)
        if not self._scenario.source.peering or not any(source in c for c in self._scenario.source.cidrs):
            return False
        interface = self._interfaces.get(dest_ip)
        if interface is None:
            return False  # public addresses, or nothing: the private sources reach neither
        snapshot = self.snapshot
        endpoint = next(e for e in snapshot.endpoints if e.endpoint_id == interface.endpoint_id)
        peer = IPv4Network(f"{source_ip}/32")
        if not sgs_admit(snapshot, _endpoint_sg_ids(snapshot, endpoint), egress=False, port=port, network=peer):
            return False
        acl = nacl_of_subnet(snapshot, interface.subnet_id)
        if acl is not None:
            inbound = evaluate_nacl(acl, egress=False, peer=peer, ports=(port, port), protocol=PROTOCOL_TCP)
            outbound = evaluate_nacl(acl, egress=True, peer=peer, ports=EPHEMERAL_PORTS, protocol=PROTOCOL_TCP)
            if not (inbound.allowed and outbound.allowed):
                return False
        # Replies leave through the interface subnet's route table: the route it picks for this
        # very address must lead back to the sources (longest prefix, as the VPC router does).
        return answers(snapshot, interface.subnet_id, source)

    # --- names ---

    def _endpoint_interfaces(self, endpoint: VpcEndpoint) -> list[EndpointInterface]:
        if not endpoint.network_interface_ids:
            return []
        described = self._ec2.describe_network_interfaces(NetworkInterfaceIds=list(endpoint.network_interface_ids))
        interfaces = []
        for raw in described["NetworkInterfaces"]:
            subnet = self.snapshot.subnet(raw["SubnetId"]) if self._snapshot else None
            interfaces.append(
                EndpointInterface(
                    endpoint_id=endpoint.endpoint_id,
                    subnet_id=raw["SubnetId"],
                    availability_zone=subnet.availability_zone if subnet else raw.get("AvailabilityZone", ""),
                    address=raw["PrivateIpAddress"],
                )
            )
        return sorted(interfaces, key=lambda i: ipaddress.IPv4Address(i.address))

    def _add_names(self, endpoint: VpcEndpoint, interfaces: list[EndpointInterface]) -> None:
        every = [i.address for i in interfaces]
        private_dns_name = self._private_dns_name(endpoint)
        for entry in endpoint.dns_entries:
            name = entry.dns_name
            if name == private_dns_name:
                # The service's own name: private only where the sources forward to a resolver.
                if self._scenario.source.dns == "resolver":
                    self._exact[name] = every
                continue
            wildcard = name.startswith("*.")
            bare = name.removeprefix("*.")
            label = bare.split(".", 1)[0]
            zonal = [i.address for i in interfaces if i.availability_zone and label.endswith(i.availability_zone)]
            addresses = zonal or every
            # vpce-… names are in public DNS with private answers (S3 UG "AWS PrivateLink for S3").
            # S3 lists only `*.vpce-…` names: any name below them (bucket.…, accesspoint.…,
            # control.…, <bucket>.bucket.…) resolves; the bare name does not, since a DNS wildcard
            # does not cover its own apex (RFC 4592) and S3 publishes no other record for it
            # (docs/aws-facts.md "S3 interface endpoint names"; to verify on a real account).
            if wildcard:
                self._wildcards[bare] = addresses
            else:
                self._exact[bare] = addresses

    @staticmethod
    def _private_dns_name(endpoint: VpcEndpoint) -> str:
        # com.amazonaws.<region>.<service> → <service>.<region>.amazonaws.com
        parts = endpoint.service_name.split(".")
        return f"{parts[-1]}.{parts[-2]}.amazonaws.com" if len(parts) >= 4 else ""
