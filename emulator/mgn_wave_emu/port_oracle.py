"""The emulated network's answer to the port probe: does a TCP connect from the PortProbe function
(its network interface in its VpcConfig subnet, with its security groups) to a private address
complete? Replaces `mgn_wave.adapters.tcp.port_open` while the emulated AWS runs.

Decided as AWS decides (docs/aws-facts.md, "Port checks from the target subnet"):
- a function outside any VPC reaches no private address;
- the address must be a running instance's (a stopped or terminated one answers nothing);
- the instance's security groups must admit TCP <port> inbound from the probe: a rule naming one
  of the probe's security groups, or IPv4 ranges covering the probe's whole subnet (Lambda picks the
  interface's address in it); the probe's groups must admit it outbound to the instance (a group the
  instance is in, or a range covering its address). Security groups are stateful: replies pass;
- between two subnets, both network ACLs (stateless): the port one way, the ephemeral ports
  1024-65535 back. Inside one subnet no network ACL is on the path;
- something must listen on the port: `LaunchFaults.not_listening` names the ports where nothing
  does (the service bound to another address, or not started).
The network is read from moto once per virtual instant, as the replication's network oracle does.
"""

from __future__ import annotations

import threading
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.preflight.checks.common import EPHEMERAL_PORTS
from mgn_wave.preflight.checks.nacls import nacl_of_subnet
from mgn_wave.preflight.checks.security_groups import sgs_admit
from mgn_wave.preflight.nacl import evaluate_nacl
from mgn_wave.preflight.network import PROTOCOL_TCP, NetworkSnapshot, PrivatePathTarget
from mgn_wave_emu.hooks import emulated_world
from mgn_wave_emu.mgn.launch import SOURCE_SERVER_TAG

if TYPE_CHECKING:
    from collections.abc import Callable
    from datetime import datetime

    from mypy_boto3_ec2 import EC2Client

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.mgn.launch import LaunchFaults
    from mgn_wave_emu.stack import EmulatedFunction

PROBE_FUNCTION = "PortProbeFunction"  # the stack's logical ID of the function that connects


class PortOracle:
    def __init__(
        self,
        ec2: EC2Client,
        clock: VirtualClock,
        *,
        function: Callable[[], EmulatedFunction | None],
        faults: Callable[[], LaunchFaults],
    ) -> None:
        self._ec2 = ec2
        self._clock = clock
        self._function = function
        self._faults = faults
        self._lock = threading.Lock()
        self._snapshots: dict[tuple[datetime, str], NetworkSnapshot] = {}

    def port_open(self, address: str, port: int, timeout: float = 3.0) -> bool:
        with emulated_world():
            return self._open(address, port)

    def _open(self, address: str, port: int) -> bool:
        function = self._function()
        if function is None or not function.subnet_ids:
            return False
        instance = self._instance_at(address)
        if instance is None or instance["State"]["Name"] != "running":
            return False
        snapshot = self._snapshot(instance["VpcId"], function)
        if snapshot is None:
            return False  # the probe's subnet is in another VPC: no route to the address
        # The groups of the interface that holds the address (the instance's own list may be empty
        # when the groups were given on the interface, as MGN's launch templates do)
        interface: dict[str, Any] = next(
            (n for n in instance.get("NetworkInterfaces", []) if n.get("PrivateIpAddress") == address), {}
        )
        instance_groups = sorted(
            {g["GroupId"] for g in (*instance.get("SecurityGroups", []), *interface.get("Groups", []))}
        )
        target = IPv4Network(f"{address}/32")
        for subnet_id in function.subnet_ids:  # whichever interface Lambda uses must get through
            subnet = snapshot.subnet(subnet_id)
            if subnet is None or not self._path_open(
                snapshot,
                function,
                probe_cidr=subnet.cidr,
                probe_subnet=subnet_id,
                instance_subnet=instance["SubnetId"],
                instance_groups=instance_groups,
                target=target,
                port=port,
            ):
                return False
        tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
        return port not in self._faults().not_listening.get(tags.get(SOURCE_SERVER_TAG, ""), set())

    @staticmethod
    def _path_open(
        snapshot: NetworkSnapshot,
        function: EmulatedFunction,
        *,
        probe_cidr: IPv4Network,
        probe_subnet: str,
        instance_subnet: str,
        instance_groups: list[str],
        target: IPv4Network,
        port: int,
    ) -> bool:
        probe_groups = list(function.security_group_ids)
        if not sgs_admit(
            snapshot, instance_groups, egress=False, port=port, network=probe_cidr, referenced_sg_ids=probe_groups
        ):
            return False
        if not sgs_admit(
            snapshot, probe_groups, egress=True, port=port, network=target, referenced_sg_ids=instance_groups
        ):
            return False
        if probe_subnet == instance_subnet:
            return True
        flows = (
            (probe_subnet, True, target, (port, port)),
            (probe_subnet, False, target, EPHEMERAL_PORTS),
            (instance_subnet, False, probe_cidr, (port, port)),
            (instance_subnet, True, probe_cidr, EPHEMERAL_PORTS),
        )
        for subnet_id, egress, peer, ports in flows:
            acl = nacl_of_subnet(snapshot, subnet_id)
            if (
                acl is not None
                and not evaluate_nacl(acl, egress=egress, peer=peer, ports=ports, protocol=PROTOCOL_TCP).allowed
            ):
                return False
        return True

    def _instance_at(self, address: str) -> dict[str, Any] | None:
        reservations = self._ec2.describe_instances(Filters=[{"Name": "private-ip-address", "Values": [address]}])
        instances = [
            i for r in reservations["Reservations"] for i in r["Instances"] if i["State"]["Name"] != "terminated"
        ]
        return dict(instances[0]) if instances else None

    def _snapshot(self, vpc_id: str, function: EmulatedFunction) -> NetworkSnapshot | None:
        subnets = self._ec2.describe_subnets(SubnetIds=list(function.subnet_ids))["Subnets"]
        if any(s["VpcId"] != vpc_id for s in subnets):
            return None
        key = (self._clock.now(), vpc_id)
        with self._lock:
            if key not in self._snapshots:
                self._snapshots = {
                    key: Ec2Adapter(self._ec2).collect_network_snapshot(
                        PrivatePathTarget.model_validate(
                            {
                                "region": self._ec2.meta.region_name,
                                "stagingVpcId": vpc_id,
                                "stagingSubnetId": function.subnet_ids[0],
                                "replicationSgIds": list(function.security_group_ids),
                                "sourceCidrs": [subnets[0]["CidrBlock"]],
                            }
                        )
                    )
                }
            return self._snapshots[key]
