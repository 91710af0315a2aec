"""The fleet's SSM managed nodes: hybrid (`mi-…`) nodes built from a scenario's `fleet`."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from datetime import datetime

    from mgn_wave_emu.scenario import FleetServer, Scenario

HYBRID_ROLE = "SSMServiceRole"  # the hybrid activation's IAM role, as the SSM console names it
_PLATFORM_NAMES = {
    "Linux": ("Amazon Linux", "2"),
    "Windows": ("Microsoft Windows Server 2019 Datacenter", "10.0.17763"),
}


def node_id_for(scenario_name: str, server_name: str) -> str:
    """A stable hybrid node ID (`mi-` + 17 hex digits) for a scenario's server."""
    return "mi-" + hashlib.sha256(f"{scenario_name}/{server_name}".encode()).hexdigest()[:17]


@dataclass
class ManagedNode:
    """One source server as SSM sees it, plus the knobs of its emulated host."""

    name: str  # the scenario's name for the server
    node_id: str
    platform: str  # Linux | Windows (SSM's PlatformType)
    ip_address: str
    computer_name: str
    online: bool
    agent_version: str
    registered_at: datetime
    activation_id: str
    tags: dict[str, str] = field(default_factory=dict)
    disks: list[tuple[str, int]] = field(default_factory=list)  # (device, GiB)
    free_disk_mib: int = 40960
    uid: int = 0  # the SSM Agent runs commands as root
    # nsswitch.conf's `hosts:` line: "files dns" (the default everywhere) or "dns files", where
    # the DNS answer wins over /etc/hosts and no pin decides anything
    hosts_lookup: str = "files dns"

    @property
    def ping_status(self) -> str:
        return "Online" if self.online else "ConnectionLost"

    def information(self, now: datetime) -> dict[str, Any]:
        """`InstanceInformation` as DescribeInstanceInformation returns it."""
        platform_name, platform_version = _PLATFORM_NAMES[self.platform]
        return {
            "InstanceId": self.node_id,
            "PingStatus": self.ping_status,
            "LastPingDateTime": (now if self.online else self.registered_at).timestamp(),
            "AgentVersion": self.agent_version,
            "IsLatestVersion": False,
            "PlatformType": self.platform,
            "PlatformName": platform_name,
            "PlatformVersion": platform_version,
            "ActivationId": self.activation_id,
            "IamRole": HYBRID_ROLE,
            "RegistrationDate": self.registered_at.timestamp(),
            "ResourceType": "ManagedInstance",
            "Name": self.tags.get("Name", self.name),
            "IPAddress": self.ip_address,
            "ComputerName": self.computer_name,
            "SourceId": self.node_id,
            "SourceType": "AWS::SSM::ManagedInstance",
        }


def nodes_from_scenario(scenario: Scenario, *, wave_tag_key: str, registered_at: datetime) -> list[ManagedNode]:
    activation_id = str(uuid.UUID(hashlib.sha256(f"{scenario.name}/activation".encode()).hexdigest()[:32]))
    return [_node(scenario, server, wave_tag_key, registered_at, activation_id) for server in scenario.fleet]


def _node(
    scenario: Scenario, server: FleetServer, wave_tag_key: str, registered_at: datetime, activation_id: str
) -> ManagedNode:
    tags = {"Name": server.name, **server.tags}
    wave = scenario.mgn.wave if server.wave is None else server.wave
    if wave:
        tags[wave_tag_key] = wave
    return ManagedNode(
        name=server.name,
        node_id=node_id_for(scenario.name, server.name),
        platform="Linux" if server.platform == "linux" else "Windows",
        ip_address=str(server.private_ip),
        computer_name=server.hostname,
        online=server.ssm == "online",
        agent_version=server.ssm_agent_version,
        registered_at=registered_at,
        activation_id=activation_id,
        tags=tags,
        disks=[(disk.device, disk.gib) for disk in server.disks],
        free_disk_mib=server.free_disk_mib,
    )
