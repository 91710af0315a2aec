"""What every preflight check shares: the ports of the private path, the endpoints MGN needs and
how to find them in a snapshot, and how a finding is written."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from mgn_wave.preflight.findings import Finding, Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mgn_wave.preflight.network import (
        NetworkSnapshot,
        PrivatePathTarget,
        VpcEndpoint,
    )

HTTPS_PORT = 443
REPLICATION_PORT = 1500  # the agent → replication server data plane; MGN cannot change it
EPHEMERAL_PORTS = (1024, 65535)  # return traffic through stateless NACLs

INTERFACE = "Interface"
GATEWAY = "Gateway"
# Endpoint states after which the endpoint is as good as gone (AWS still lists it for a while).
_GONE_STATES = frozenset({"deleted", "deleting"})


def service_name(region: str, service: str) -> str:
    return f"com.amazonaws.{region}.{service}"


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def mgn_s3_buckets(region: str) -> tuple[str, ...]:
    """The buckets replication/conversion servers and installers read (docs/mgn-facts.md §4.2)."""
    return (
        f"aws-mgn-internal-{region}",
        f"aws-mgn-internal-hashes-{region}",
        f"aws-application-migration-service-{region}",
        f"aws-application-migration-service-hashes-{region}",
        f"amazon-ssm-{region}",
        f"al2023-repos-{region}-de612dc2",
    )


@dataclass(frozen=True)
class EndpointSpec:
    service: str
    endpoint_type: str
    label: str  # how messages call it
    purpose: str


REQUIRED_ENDPOINTS = (
    EndpointSpec("mgn", INTERFACE, "mgn interface endpoint", "agents and replication servers call MGN"),
    EndpointSpec("ec2", INTERFACE, "ec2 interface endpoint", "replication servers call the EC2 API"),
    EndpointSpec("s3", INTERFACE, "s3 interface endpoint", "installers download the agent from S3"),
    EndpointSpec(
        "s3",
        GATEWAY,
        "s3 gateway endpoint",
        "replication and conversion servers read S3 (incl. AL2023 repos)",
    ),
)
MGN_ENDPOINT = REQUIRED_ENDPOINTS[0]
EC2_ENDPOINT = REQUIRED_ENDPOINTS[1]
S3_INTERFACE_ENDPOINT = REQUIRED_ENDPOINTS[2]
S3_GATEWAY_ENDPOINT = REQUIRED_ENDPOINTS[3]
SSM_SERVICES = ("ssm", "ssmmessages", "ec2messages")


def _is_gone(endpoint: VpcEndpoint) -> bool:
    return endpoint.state.lower() in _GONE_STATES


def is_available(endpoint: VpcEndpoint) -> bool:
    return endpoint.state.lower() == "available"


def find_endpoint(
    snapshot: NetworkSnapshot, target: PrivatePathTarget, service: str, endpoint_type: str
) -> VpcEndpoint | None:
    """The staging VPC's endpoint for `service` of `endpoint_type`, preferring an available one."""
    wanted = service_name(target.region, service)
    candidates = [
        e
        for e in snapshot.endpoints
        if e.vpc_id == target.staging_vpc_id
        and e.service_name == wanted
        and e.endpoint_type.lower() == endpoint_type.lower()
        and not _is_gone(e)
    ]
    candidates.sort(key=lambda e: (not is_available(e), e.endpoint_id))
    return candidates[0] if candidates else None


def finding(severity: Severity, code: str, resource: str, message: str, fix: str) -> Finding:
    return Finding(code=code, severity=severity, resource=resource, message=message, fix=fix)


def joined(values: Iterable[str]) -> str:
    return ", ".join(values)
