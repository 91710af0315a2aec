"""Pure rules of the agent install: what the installer must be told about the private path,
which servers need no install, and what a finished Run Command invocation means."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from mgn_wave.errors import PrivatePathIncompleteError
from mgn_wave.install.parameters import NodeStatus, parse_result
from mgn_wave.models.server import InstalledServer, ServerResult, ServerStatus, Stage
from mgn_wave.models.source_server import SourceServerRecord
from mgn_wave.preflight.checks import find_endpoint, regional_dns_name

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from mgn_wave.models.network import NetworkSnapshot, PrivatePathTarget, VpcEndpoint


class DnsMode(StrEnum):
    """How a source server finds the endpoints (stack parameter DnsMode)."""

    HOSTS = "hosts"  # the field report's way: mgn/ec2 names pinned to the endpoint ENIs
    RESOLVER = "resolver"  # a Route 53 Resolver inbound endpoint answers the public names privately
    ENDPOINT_NAMES = "endpoint-names"  # the vpce-specific names passed to the installer


@dataclass(frozen=True)
class PrivateEndpoints:
    """What the installer on a source server needs to know about the staging VPC's endpoints."""

    region: str
    s3_dns_name: str  # the S3 interface endpoint: --s3-endpoint and the download host
    mgn_dns_name: str  # the mgn interface endpoint's vpce-specific name
    mgn_address: str  # one private IP of the mgn endpoint (hosts mode)
    ec2_address: str  # one private IP of the ec2 endpoint (hosts mode)
    endpoint_cidrs: tuple[str, ...]  # where the endpoints' addresses live (the probe checks DNS answers)

    def public_name(self, service: str) -> str:
        return f"{service}.{self.region}.amazonaws.com"


def _interface(snapshot: NetworkSnapshot, target: PrivatePathTarget, service: str) -> VpcEndpoint:
    endpoint = find_endpoint(snapshot, target, service, "Interface")
    if endpoint is None or regional_dns_name(endpoint) is None:
        raise PrivatePathIncompleteError(
            f"the staging VPC {target.staging_vpc_id} has no usable {service} interface endpoint; "
            "run the preflight (mgn-wave preflight) and fix its findings"
        )
    return endpoint


def private_endpoints(
    snapshot: NetworkSnapshot, target: PrivatePathTarget, addresses: Mapping[str, str]
) -> PrivateEndpoints:
    """`addresses`: ENI ID → private IP, for the endpoints' network interfaces."""
    s3 = _interface(snapshot, target, "s3")
    mgn = _interface(snapshot, target, "mgn")
    ec2 = _interface(snapshot, target, "ec2")

    def first_address(endpoint: VpcEndpoint) -> str:
        for eni in sorted(endpoint.network_interface_ids):
            if eni in addresses:
                return addresses[eni]
        raise PrivatePathIncompleteError(f"endpoint {endpoint.endpoint_id} has no network interface address")

    subnets = {subnet.subnet_id: subnet for subnet in snapshot.subnets}
    cidrs = sorted({str(subnets[s].cidr) for e in (s3, mgn, ec2) for s in e.subnet_ids if s in subnets})
    return PrivateEndpoints(
        region=target.region,
        s3_dns_name=str(regional_dns_name(s3)),
        mgn_dns_name=str(regional_dns_name(mgn)),
        mgn_address=first_address(mgn),
        ec2_address=first_address(ec2),
        endpoint_cidrs=tuple(cidrs),
    )


def installer_settings(mode: DnsMode, endpoints: PrivateEndpoints) -> dict[str, str]:
    """The DNS-mode dependent values of the install document: hosts entries, `--endpoint`, and
    the names the probe must resolve privately."""
    mgn_name = endpoints.mgn_dns_name if mode is DnsMode.ENDPOINT_NAMES else endpoints.public_name("mgn")
    hosts = ""
    if mode is DnsMode.HOSTS:
        hosts = ",".join(
            [
                f"{endpoints.mgn_address} {endpoints.public_name('mgn')}",
                f"{endpoints.ec2_address} {endpoints.public_name('ec2')}",
            ]
        )
    return {
        "hosts_entries": hosts,
        "mgn_endpoint": endpoints.mgn_dns_name if mode is DnsMode.ENDPOINT_NAMES else "",
        # The node probes the installer, hash and mgn hosts itself; the S3 endpoint publishes only
        # `*.vpce-…` names, so its bare name would not resolve.
        "probe_hosts": mgn_name,
    }


def known_to_mgn(servers: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """Registered, non-archived servers by the instance ID we installed them with
    (`userProvidedID`), or by the AWS instance ID hint MGN reads on EC2 sources."""
    known: dict[str, Mapping[str, Any]] = {}
    for server in servers:
        record = SourceServerRecord(server)
        if record.archived:
            continue
        for instance_id in record.instance_ids:
            known[instance_id] = server
    return known


def skipped_as_registered(instance_id: str, server: Mapping[str, Any], phase: str) -> ServerResult:
    return ServerResult(
        instance_id=instance_id,
        source_server_id=str(server["sourceServerID"]),
        status=ServerStatus.SKIPPED,
        stage=Stage.INSTALL,
        reason=f"already registered with MGN as {server['sourceServerID']} ({phase}); not reinstalled",
        hint='Start the wave with "force": true to reinstall the agent.',
    )


# Run Command's per-node statuses that end an invocation without our script's verdict.
DELIVERY_HINTS = {
    "Undeliverable": "SSM could not deliver the command: the node is offline or its SSM Agent cannot reach "
    "the ssm/ec2messages endpoints.",
    "DeliveryTimedOut": "The command was not delivered in time: check the node's SSM Agent and its path to "
    "the ssm/ec2messages endpoints.",
    "ExecutionTimedOut": "The install ran past its time limit: usually the download through the S3 interface "
    "endpoint is blocked or slow (TCP 443 from the source range).",
    "TimedOut": "The install ran past its time limit: usually the download through the S3 interface endpoint "
    "is blocked or slow (TCP 443 from the source range).",
    "Cancelled": "The command was cancelled before it finished.",
    "Terminated": "The command was terminated on the node.",
}


def install_outcome(instance_id: str, status: str, invocation: Mapping[str, Any]) -> InstalledServer | ServerResult:
    """A finished invocation: the registered server, or why this node failed."""
    node = parse_result(str(invocation.get("StandardOutputContent", "")))
    if status == "Success" and node.status is NodeStatus.INSTALLED and node.source_server_id:
        return InstalledServer(instance_id=instance_id, source_server_id=node.source_server_id)
    stderr_tail = str(invocation.get("StandardErrorContent", ""))[-600:]
    if node.status is NodeStatus.PROBE_FAILED:
        return ServerResult(
            instance_id=instance_id,
            status=ServerStatus.FAILED,
            stage=Stage.PROBE,
            reason=node.reason or "the source server's own checks failed; nothing was downloaded",
            hint="; ".join(f"{f.code}: {f.detail}" for f in node.findings),
            findings=tuple({"code": f.code, "detail": f.detail} for f in node.findings),
        )
    details = str(invocation.get("StatusDetails", status))
    hint = DELIVERY_HINTS.get(details) or DELIVERY_HINTS.get(status) or INSTALL_HINTS.get(node.status, "")
    reason = node.reason or f"Run Command ended {status} ({details})"
    if stderr_tail.strip():
        reason = f"{reason}; stderr: {stderr_tail.strip()}"
    return ServerResult(
        instance_id=instance_id, status=ServerStatus.FAILED, stage=Stage.INSTALL, reason=reason, hint=hint
    )


INSTALL_HINTS = {
    NodeStatus.CHECKSUM_MISMATCH: "The downloaded installer does not match its published SHA-512 and was deleted "
    "unrun: something between the server and the S3 endpoint altered it (a TLS-inspecting proxy?).",
    NodeStatus.DOWNLOAD_FAILED: "The installer could not be downloaded through the S3 interface endpoint: check "
    "TCP 443 from the source range to the endpoint, its security group and its policy.",
    NodeStatus.INSTALL_FAILED: "The installer failed: see the reason; it needs root, the sudoers entry for "
    "aws-replication, and TCP 443 to the mgn endpoint.",
    NodeStatus.PARAMETERS_REJECTED: "The server refused a parameter value: a bug or tampering; nothing ran.",
    NodeStatus.NO_RESULT: "The script left no result line: see stderr (the output may have been cut, or the "
    "script was killed).",
}


# MGN's "Max Active Source Servers" (L-9A599620, adjustable; docs/mgn-facts.md §5.1). A server counts while
# it replicates: registered, not archived, not disconnected, stopped or cut over.
_INACTIVE_REPLICATION = frozenset({"DISCONNECTED", "STOPPED"})
_INACTIVE_LIFECYCLE = frozenset({"DISCONNECTED", "CUTOVER"})


def actively_replicating(servers: Iterable[Mapping[str, Any]]) -> int:
    records = (SourceServerRecord(server) for server in servers)
    return sum(
        1
        for record in records
        if not record.archived
        and record.replication_state not in _INACTIVE_REPLICATION
        and record.lifecycle not in _INACTIVE_LIFECYCLE
    )


def over_quota(instance_id: str, active: int, quota: int) -> ServerResult:
    return ServerResult(
        instance_id=instance_id,
        status=ServerStatus.SKIPPED,
        stage=Stage.INSTALL,
        reason=f"not installed: {active} servers already replicate and MGN allows {quota} at a time in this Region",
        hint="Run it in a later wave once others have finished (cut over or archived), or request an increase "
        "of the MGN quota 'Max Active Source Servers' (L-9A599620) and raise the stack parameter "
        "ActiveReplicationQuota.",
    )
