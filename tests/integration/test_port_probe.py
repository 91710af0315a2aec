"""The port probe: the TCP adapter against real sockets on this machine, and the emulated target
VPC's answer to it (security groups, network ACLs, the instance's state, what listens) in moto."""

from __future__ import annotations

import socket
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from mgn_wave.adapters import tcp
from mgn_wave.core.errors import InvalidInputError
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers.port_probe import ProbeRequest
from mgn_wave.launch.ports import MAX_CHECK_PORTS
from mgn_wave_emu.clock import VirtualClock
from mgn_wave_emu.mgn.launch import SOURCE_SERVER_TAG, LaunchFaults
from mgn_wave_emu.port_oracle import PortOracle
from mgn_wave_emu.stack import EmulatedFunction

if TYPE_CHECKING:
    from collections.abc import Iterator

REGION = "us-east-1"
SERVER = "s-0123456789abcdefg"


def test_tcp_closed_ports_connects_for_real() -> None:
    # One port that listens on this machine, one bound that does not listen (the connect is refused)
    with socket.socket() as listening, socket.socket() as silent:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        silent.bind(("127.0.0.1", 0))
        open_port, closed_port = listening.getsockname()[1], silent.getsockname()[1]
        result = tcp.closed_ports([("127.0.0.1", [open_port, closed_port]), ("127.0.0.1", [open_port])])
    assert result == [(closed_port,), ()]


class _Network:
    """A target VPC in moto: the probe's subnet and group, an instance subnet, one instance."""

    def __init__(self) -> None:
        self.ec2: Any = boto3.client("ec2", region_name=REGION)
        self.vpc = self.ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"]
        self.probe_subnet = self._subnet("10.60.1.0/24")
        self.other_subnet = self._subnet("10.60.2.0/24")
        self.probe_sg = self._group("probe")
        self.instance_sg = self._group("instance")
        self.faults = LaunchFaults()
        self.function: EmulatedFunction | None = EmulatedFunction(
            logical_id="PortProbeFunction",
            function_name="probe",
            arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
            handler="mgn_wave.handlers.port_probe.handler",
            environment={},
            timeout_seconds=60,
            memory_mb=512,
            subnet_ids=(self.probe_subnet,),
            security_group_ids=(self.probe_sg,),
        )
        self.clock = VirtualClock()
        self.oracle = PortOracle(self.ec2, self.clock, function=lambda: self.function, faults=lambda: self.faults)

    def _subnet(self, cidr: str) -> str:
        return str(self.ec2.create_subnet(VpcId=self.vpc, CidrBlock=cidr)["Subnet"]["SubnetId"])

    def _group(self, name: str) -> str:
        return str(self.ec2.create_security_group(GroupName=name, Description=name, VpcId=self.vpc)["GroupId"])

    def instance(self, subnet: str) -> tuple[str, str]:
        image = self.ec2.register_image(Name="conv", RootDeviceName="/dev/xvda")["ImageId"]
        launched = self.ec2.run_instances(
            ImageId=image,
            MinCount=1,
            MaxCount=1,
            NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [self.instance_sg]}],
            TagSpecifications=[{"ResourceType": "instance", "Tags": [{"Key": SOURCE_SERVER_TAG, "Value": SERVER}]}],
        )["Instances"][0]
        return str(launched["InstanceId"]), str(launched["PrivateIpAddress"])

    def admit(self, port: int, **source: Any) -> None:
        self.ec2.authorize_security_group_ingress(
            GroupId=self.instance_sg, IpPermissions=[{"IpProtocol": "tcp", "FromPort": port, "ToPort": port, **source}]
        )
        self.clock.advance(1)  # a new instant: the oracle reads the network again

    def is_open(self, address: str, port: int) -> bool:
        return self.oracle.port_open(address, port)


@pytest.fixture
def network(monkeypatch: pytest.MonkeyPatch) -> Iterator[_Network]:
    monkeypatch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
    with mock_aws():
        yield _Network()


def test_port_answers_only_when_the_instance_group_admits_the_probe(network: _Network) -> None:
    _instance_id, address = network.instance(network.probe_subnet)
    assert not network.is_open(address, 443)  # a new group admits nothing inbound
    network.admit(443, UserIdGroupPairs=[{"GroupId": network.probe_sg}])
    assert network.is_open(address, 443)
    assert not network.is_open(address, 22)  # only the port the rule names


def test_a_cidr_rule_must_cover_the_probe_subnet_whatever_address_lambda_picks(network: _Network) -> None:
    _instance_id, address = network.instance(network.probe_subnet)
    network.admit(22, IpRanges=[{"CidrIp": "10.60.1.0/25"}])  # half of the probe's subnet
    assert not network.is_open(address, 22)
    network.admit(22, IpRanges=[{"CidrIp": "10.60.0.0/16"}])
    assert network.is_open(address, 22)


def test_probe_egress_must_admit_the_port(network: _Network) -> None:
    _instance_id, address = network.instance(network.probe_subnet)
    network.admit(443, UserIdGroupPairs=[{"GroupId": network.probe_sg}])
    network.ec2.revoke_security_group_egress(
        GroupId=network.probe_sg, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
    )
    network.clock.advance(1)
    assert not network.is_open(address, 443)


def test_nothing_listening_stopped_instance_or_no_vpc_never_answers(network: _Network) -> None:
    instance_id, address = network.instance(network.probe_subnet)
    network.admit(443, UserIdGroupPairs=[{"GroupId": network.probe_sg}])
    network.admit(22, UserIdGroupPairs=[{"GroupId": network.probe_sg}])
    network.faults.not_listening[SERVER] = {22}
    assert network.is_open(address, 443)
    assert not network.is_open(address, 22)
    in_vpc, network.function = network.function, None  # no PortProbe in a VPC: a private address is out of reach
    assert not network.is_open(address, 443)
    network.function = in_vpc
    network.ec2.stop_instances(InstanceIds=[instance_id])
    assert not network.is_open(address, 443)


def test_across_subnets_the_network_acls_decide_both_ways(network: _Network) -> None:
    _instance_id, address = network.instance(network.other_subnet)
    network.admit(443, UserIdGroupPairs=[{"GroupId": network.probe_sg}])
    assert network.is_open(address, 443)  # the default network ACL allows everything
    # A network ACL on the instance's subnet that admits 443 in but not the replies out
    acl = network.ec2.create_network_acl(VpcId=network.vpc)["NetworkAcl"]["NetworkAclId"]
    default = network.ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [network.other_subnet]}]
    )["NetworkAcls"][0]
    association = next(a for a in default["Associations"] if a["SubnetId"] == network.other_subnet)
    network.ec2.replace_network_acl_association(AssociationId=association["NetworkAclAssociationId"], NetworkAclId=acl)

    def allow_from_probe_subnet(*, egress: bool, ports: tuple[int, int]) -> None:
        network.ec2.create_network_acl_entry(
            NetworkAclId=acl,
            RuleNumber=100,
            Protocol="6",
            RuleAction="allow",
            Egress=egress,
            CidrBlock="10.60.1.0/24",
            PortRange={"From": ports[0], "To": ports[1]},
        )
        network.clock.advance(1)

    allow_from_probe_subnet(egress=False, ports=(443, 443))
    assert not network.is_open(address, 443)
    allow_from_probe_subnet(egress=True, ports=(1024, 65535))
    assert network.is_open(address, 443)


# ---- the PortProbe function's input ----------------------------------------------------------

_TARGET = {"instanceId": "i-0123456789abcdef0", "address": "10.0.1.5", "ports": [22, 443]}


@pytest.mark.parametrize(
    ("targets", "field"),
    [
        ([], "targets"),
        ([{**_TARGET, "instanceId": "i-1; reboot"}], "instanceId"),
        ([{**_TARGET, "address": "db.corp.example"}], "address"),
        ([{**_TARGET, "ports": [0]}], "ports"),
        ([{**_TARGET, "ports": ["22"]}], "ports"),
        ([{**_TARGET, "ports": list(range(1, MAX_CHECK_PORTS + 2))}], "ports"),
        ([{**_TARGET, "command": "id"}], "command"),
        ([_TARGET] * 51, "targets"),
    ],
)
def test_port_probe_refuses_bad_targets_naming_the_field(targets: list[dict[str, Any]], field: str) -> None:

    with pytest.raises(InvalidInputError) as raised:
        parse_model(ProbeRequest, {"targets": targets})
    assert field in raised.value.field
