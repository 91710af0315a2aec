"""SSM: Run Command reaches the sources only through the ssm, ssmmessages and ec2messages
endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.preflight.checks.codes import SSM_ENDPOINT_MISSING
from mgn_wave.preflight.checks.common import INTERFACE, SSM_SERVICES, find_endpoint, finding, is_available, service_name
from mgn_wave.preflight.findings import Finding, Severity

if TYPE_CHECKING:
    from mgn_wave.preflight.network import (
        NetworkSnapshot,
        PrivatePathTarget,
    )


def check_ssm_endpoints(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    findings = []
    for service in SSM_SERVICES:
        endpoint = find_endpoint(snapshot, target, service, INTERFACE)
        if endpoint is not None and is_available(endpoint):
            continue
        name = service_name(target.region, service)
        state = "has no" if endpoint is None else f"has a '{endpoint.state}' (not available)"
        resource = target.staging_vpc_id if endpoint is None else endpoint.endpoint_id
        findings.append(
            finding(
                Severity.WARNING,
                SSM_ENDPOINT_MISSING,
                resource,
                f"The staging VPC {target.staging_vpc_id} {state} interface endpoint for {name}: "
                "SSM Run Command cannot reach hybrid nodes over the private network, so the agent "
                "install step will fail.",
                f"Create an Interface VPC endpoint for {name} in {target.staging_vpc_id} with private DNS, "
                "with a security group that admits TCP 443 from the source ranges.",
            )
        )
    return findings
