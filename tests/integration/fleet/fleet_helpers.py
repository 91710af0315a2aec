"""Helpers of the fleet tests: the test scenario, and installs built the way the Lambda builds them."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import yaml

from mgn_wave.agent_install.parameters import (
    LINUX_STEP_NAME,
    STEP_NAME_BY_PLATFORM,
    InstallParameters,
    parse_install_parameters,
)
from mgn_wave_emu.scenario import Scenario, parse_scenario

if TYPE_CHECKING:
    from mgn_wave_emu.fleet import Fleet
    from mgn_wave_emu.harness import EmulatedAws

REGION = "us-east-1"
MGN_NAME = f"mgn.{REGION}.amazonaws.com"
LINUX_NODES = [
    "lin-hosts",
    "lin-names",
    "lin-resolver",
    "lin-probe",
    "lin-tamper",
    "lin-sg",
    "lin-corpus",
    "lin-faults",
    "lin-a",
    "lin-b",
    "lin-nonroot",
    "lin-unresolved",
    "lin-timing",
    "lin-form-bucket",
    "lin-form-regional",
    "lin-no-invention",
    "lin-curlrc",
    "lin-stale-hosts",
    "lin-half-block",
    "lin-backups",
    "lin-console",
    "lin-dns-first",
    "lin-route",
]


def fleet_scenario(dns: str) -> Scenario:
    """seed-clean's network, with the sources' DNS as given and a larger fleet."""
    data: dict[str, Any] = yaml.safe_load(
        (resources.files("mgn_wave_emu.scenarios") / "seed-clean.yaml").read_text(encoding="utf-8")
    )
    servers: list[dict[str, Any]] = [
        {"name": name, "platform": "linux", "private_ip": f"10.10.1.{10 + i}", "hostname": f"{name}.corp.example"}
        for i, name in enumerate(LINUX_NODES)
    ]
    servers += [
        {
            "name": "lin-lowdisk",
            "platform": "linux",
            "private_ip": "10.10.1.60",
            "hostname": "lowdisk",
            "free_disk_mib": 100,
        },
        {
            "name": "lin-old-agent",
            "platform": "linux",
            "private_ip": "10.10.1.61",
            "hostname": "old",
            "ssm_agent_version": "3.2.582.0",
        },
        {
            "name": "lin-offline",
            "platform": "linux",
            "private_ip": "10.10.1.62",
            "hostname": "offline",
            "ssm": "offline",
        },
        {
            "name": "lin-other-wave",
            "platform": "linux",
            "private_ip": "10.10.1.63",
            "hostname": "other",
            "wave": "wave-02",
        },
        {"name": "win-1", "platform": "windows", "private_ip": "10.10.1.70", "hostname": "WIN-1"},
    ]
    for server in servers:
        server.setdefault("disks", [{"device": "/dev/xvda", "gib": 8}])
    data |= {"name": f"fleet-{dns}", "fleet": servers, "mgn": {"template": {}, "registered": [], "wave": "wave-01"}}
    data["source"]["dns"] = dns
    return parse_scenario(data, f"fleet-{dns} (tests/integration/fleet/conftest.py)")


@dataclass(frozen=True)
class PrivatePath:
    """What the install Lambda reads from EC2 to build a node's parameters."""

    s3_endpoint: str  # the S3 interface endpoint's regional name (without "*.")
    mgn_endpoint: str  # the mgn interface endpoint's regional name
    mgn_addresses: tuple[str, ...]
    endpoint_cidrs: tuple[str, ...]  # the subnets of the mgn and S3 interface endpoints' interfaces


def read_private_path(aws: EmulatedAws) -> PrivatePath:
    ec2 = aws.client("ec2")
    endpoints = {
        e["ServiceName"].rsplit(".", 1)[1]: e
        for e in ec2.describe_vpc_endpoints()["VpcEndpoints"]
        if e["VpcEndpointType"] == "Interface"
    }

    def regional(endpoint: dict[str, Any]) -> str:
        names = [d["DnsName"].removeprefix("*.") for d in endpoint["DnsEntries"]]
        return next(n for n in names if n.startswith("vpce-") and n.split(".")[0].count("-") == 2)

    interfaces = ec2.describe_network_interfaces(
        NetworkInterfaceIds=endpoints["mgn"]["NetworkInterfaceIds"] + endpoints["s3"]["NetworkInterfaceIds"]
    )["NetworkInterfaces"]
    subnets = {s["SubnetId"]: s["CidrBlock"] for s in ec2.describe_subnets()["Subnets"]}
    mgn_interfaces = set(endpoints["mgn"]["NetworkInterfaceIds"])
    return PrivatePath(
        s3_endpoint=regional(endpoints["s3"]),
        mgn_endpoint=regional(endpoints["mgn"]),
        mgn_addresses=tuple(i["PrivateIpAddress"] for i in interfaces if i["NetworkInterfaceId"] in mgn_interfaces),
        endpoint_cidrs=tuple(sorted({subnets[i["SubnetId"]] for i in interfaces})),
    )


@dataclass
class Installs:
    """Builds a node's parameters the way the install Lambda would, and runs them through SSM."""

    aws: EmulatedAws
    path: PrivatePath

    @property
    def fleet(self) -> Fleet:
        assert self.aws.fleet is not None
        return self.aws.fleet

    def node_id(self, name: str) -> str:
        return self.fleet.node(name).node_id

    def credentials(self) -> dict[str, str]:
        issued = self.aws.client("sts").assume_role(
            RoleArn="arn:aws:iam::123456789012:role/mgn-wave-install",
            RoleSessionName="mgn-wave-install",
            DurationSeconds=900,
        )["Credentials"]
        return {k: issued[k] for k in ("AccessKeyId", "SecretAccessKey", "SessionToken")}

    def parameters(self, name: str, *, dns_mode: str, mode: str = "install", **overrides: Any) -> InstallParameters:
        values: dict[str, Any] = {
            "Mode": mode,
            "Region": REGION,
            "S3Endpoint": self.path.s3_endpoint,
            "UserProvidedId": self.node_id(name),
            "WaveTags": {"MigrationWave": "wave-01"},
            "ExpectedCidrs": list(self.path.endpoint_cidrs),
        }
        if dns_mode == "hosts":
            values["HostsEntries"] = {MGN_NAME: self.path.mgn_addresses[0]}
        elif dns_mode == "endpoint-names":
            values["MgnEndpoint"] = self.path.mgn_endpoint
        if mode == "install":
            values |= self.credentials()
        return parse_install_parameters(values | overrides)

    def send(self, names: list[str], parameters: InstallParameters, **arguments: Any) -> str:
        sent = self.aws.client("ssm").send_command(
            DocumentName=self.fleet.document_name,
            InstanceIds=[self.node_id(n) for n in names],
            Parameters=parameters.to_document_parameters(),
            **arguments,
        )
        return str(sent["Command"]["CommandId"])

    def finish(self) -> None:
        """Move the virtual clock until no invocation will change any more."""
        while (moment := self.fleet.next_change_at()) is not None:
            self.aws.clock.advance((moment - self.aws.clock.now()).total_seconds())

    def invocation(self, command_id: str, name: str) -> dict[str, Any]:
        node = self.fleet.node(name)
        return dict(
            self.aws.client("ssm").get_command_invocation(
                CommandId=command_id, InstanceId=node.node_id, PluginName=STEP_NAME_BY_PLATFORM[node.platform]
            )
        )

    def run(self, name: str, parameters: InstallParameters) -> dict[str, Any]:
        """Send to one node, let it finish, and return its invocation of the Linux step."""
        command_id = self.send([name], parameters)
        self.finish()
        return dict(
            self.aws.client("ssm").get_command_invocation(
                CommandId=command_id, InstanceId=self.node_id(name), PluginName=LINUX_STEP_NAME
            )
        )
