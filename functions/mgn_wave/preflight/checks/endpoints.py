"""The endpoints themselves: present, available, private DNS on, the VPC's DNS attributes, and
(INFO) the names the installer should be given."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mgn_wave.core import ids
from mgn_wave.preflight.checks.codes import (
    ENDPOINT_DNS_NAMES,
    ENDPOINT_MISSING,
    ENDPOINT_NOT_AVAILABLE,
    PRIVATE_DNS_DISABLED,
    VPC_DNS_DISABLED,
)
from mgn_wave.preflight.checks.common import (
    EC2_ENDPOINT,
    GATEWAY,
    MGN_ENDPOINT,
    REQUIRED_ENDPOINTS,
    S3_INTERFACE_ENDPOINT,
    EndpointSpec,
    find_endpoint,
    finding,
    is_available,
    service_name,
)
from mgn_wave.preflight.findings import Finding, Severity

if TYPE_CHECKING:
    from mgn_wave.preflight.network import (
        NetworkSnapshot,
        PrivatePathTarget,
        VpcEndpoint,
    )

# `vpce-0abc-1x2y3z4w-us-east-1a`: the zonal names of an interface endpoint end with the AZ.
_ZONAL_LABEL = re.compile(rf"-{ids.REGION}[a-z]$")


def _where_to_create(spec: EndpointSpec, target: PrivatePathTarget) -> str:
    if spec.endpoint_type == GATEWAY:
        return f"associated with the route table of the staging subnet {target.staging_subnet_id}"
    if spec.service == "s3":
        return f"in a subnet the sources reach (e.g. {target.staging_subnet_id})"
    return f"in the staging subnet {target.staging_subnet_id}, with private DNS enabled"


def check_required_endpoints_exist(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for spec in REQUIRED_ENDPOINTS:
        if find_endpoint(snapshot, target, spec.service, spec.endpoint_type) is not None:
            continue
        name = service_name(target.region, spec.service)
        findings.append(
            finding(
                Severity.BLOCKER,
                ENDPOINT_MISSING,
                target.staging_vpc_id,
                f"The staging VPC {target.staging_vpc_id} has no {spec.endpoint_type} endpoint for {name}: "
                f"{spec.purpose} through it.",
                f"Create a {spec.endpoint_type} VPC endpoint for {name} in {target.staging_vpc_id}, "
                f"{_where_to_create(spec, target)}.",
            )
        )
    return findings


def check_endpoints_available(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for spec in REQUIRED_ENDPOINTS:
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None or is_available(endpoint):
            continue
        findings.append(
            finding(
                Severity.BLOCKER,
                ENDPOINT_NOT_AVAILABLE,
                endpoint.endpoint_id,
                f"The {spec.label} {endpoint.endpoint_id} ({endpoint.service_name}) is in state "
                f"'{endpoint.state}', not 'available': {spec.purpose} through it.",
                f"Wait until {endpoint.endpoint_id} is available; if it stays '{endpoint.state}', "
                "delete it and create it again.",
            )
        )
    return findings


def check_private_dns(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for spec in (MGN_ENDPOINT, EC2_ENDPOINT):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None or endpoint.private_dns_enabled:
            continue
        host = f"{spec.service}.{target.region}.amazonaws.com"
        findings.append(
            finding(
                Severity.BLOCKER,
                PRIVATE_DNS_DISABLED,
                endpoint.endpoint_id,
                f"The {spec.label} {endpoint.endpoint_id} has private DNS disabled: replication servers "
                f"resolve {host} to the public endpoint, which a private staging subnet cannot reach.",
                f"Enable private DNS on {endpoint.endpoint_id} (modify-vpc-endpoint --private-dns-enabled).",
            )
        )
    return findings


def check_vpc_dns(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    vpc = snapshot.vpc
    for attribute, enabled in (
        ("enableDnsSupport", vpc.enable_dns_support),
        ("enableDnsHostnames", vpc.enable_dns_hostnames),
    ):
        if enabled:
            continue
        findings.append(
            finding(
                Severity.BLOCKER,
                VPC_DNS_DISABLED,
                vpc.vpc_id,
                f"The staging VPC {vpc.vpc_id} has {attribute}=false: private DNS names of interface "
                "endpoints need both enableDnsSupport and enableDnsHostnames.",
                f"Set {attribute} to true on {vpc.vpc_id} (modify-vpc-attribute).",
            )
        )
    return findings


def regional_dns_name(endpoint: VpcEndpoint) -> str | None:
    """The endpoint-specific regional DNS name (`vpce-…`), without the S3 `*.` prefix."""
    for entry in endpoint.dns_entries:
        name = entry.dns_name.removeprefix("*.")
        first_label = name.split(".", 1)[0]
        if name.startswith("vpce-") and not _ZONAL_LABEL.search(first_label):
            return name
    return None


def endpoint_dns_names(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    mgn = find_endpoint(snapshot, target, MGN_ENDPOINT.service, MGN_ENDPOINT.endpoint_type)
    mgn_name = regional_dns_name(mgn) if mgn else None
    if mgn is not None and mgn_name is not None:
        findings.append(
            finding(
                Severity.INFO,
                ENDPOINT_DNS_NAMES,
                mgn.endpoint_id,
                f"The mgn interface endpoint {mgn.endpoint_id} answers at {mgn_name}.",
                f"Pass --endpoint {mgn_name} to the replication agent installer, or make "
                f"mgn.{target.region}.amazonaws.com resolve to the endpoint from the sources "
                "(Route 53 Resolver inbound endpoint).",
            )
        )
    s3 = find_endpoint(snapshot, target, S3_INTERFACE_ENDPOINT.service, S3_INTERFACE_ENDPOINT.endpoint_type)
    s3_name = regional_dns_name(s3) if s3 else None
    if s3 is not None and s3_name is not None:
        bucket = f"aws-application-migration-service-{target.region}"
        findings.append(
            finding(
                Severity.INFO,
                ENDPOINT_DNS_NAMES,
                s3.endpoint_id,
                f"The s3 interface endpoint {s3.endpoint_id} answers at {s3_name}; the installer downloads "
                f"from https://{bucket}.bucket.{s3_name}/latest/linux/aws-replication-installer-init.",
                # The bucket-qualified name: the form proven in the field (docs/aws-facts.md); the
                # bare name is not among the endpoint's DNS entries (`*.vpce-…` only).
                f"Pass --s3-endpoint {bucket}.bucket.{s3_name} to the replication agent installer.",
            )
        )
    return findings
