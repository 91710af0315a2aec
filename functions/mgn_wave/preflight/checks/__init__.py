"""Preflight of the private path: pure checks over a `NetworkSnapshot`, no AWS calls.

Each check answers one question the field report this project started from had to answer by hand: are the
endpoints there, can the sources and the replication servers reach them on 443, can the sources
reach the replication servers on 1500, do the route tables, NACLs and endpoint policies let the
traffic through. A check returns findings whose message names the resource and what is missing,
and whose fix says what to add where. The checks live by subject: `endpoints`, `security_groups`,
`routes`, `nacls`, `policies`, `ssm`; `codes` holds the finding codes and `common` what they share.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mgn_wave.core.errors import InvalidInputError
from mgn_wave.preflight.checks.endpoints import (
    check_endpoints_available,
    check_private_dns,
    check_required_endpoints_exist,
    check_vpc_dns,
    endpoint_dns_names,
)
from mgn_wave.preflight.checks.nacls import check_nacls
from mgn_wave.preflight.checks.policies import check_endpoint_policies
from mgn_wave.preflight.checks.routes import check_gateway_route, check_return_routes
from mgn_wave.preflight.checks.security_groups import (
    check_endpoint_sgs_admit_443,
    check_replication_sg_egress,
    check_replication_sgs_admit_1500,
)
from mgn_wave.preflight.checks.ssm import check_ssm_endpoints
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.network import NetworkSnapshot, PrivatePathTarget

if TYPE_CHECKING:
    from collections.abc import Iterable

_SEVERITY_ORDER = {Severity.BLOCKER: 0, Severity.WARNING: 1, Severity.INFO: 2}

Check = Callable[[NetworkSnapshot, PrivatePathTarget], list[Finding]]

CHECKS: tuple[Check, ...] = (
    check_required_endpoints_exist,
    check_endpoints_available,
    check_private_dns,
    check_vpc_dns,
    check_endpoint_sgs_admit_443,
    check_replication_sgs_admit_1500,
    check_replication_sg_egress,
    check_gateway_route,
    check_return_routes,
    check_nacls,
    check_endpoint_policies,
    check_ssm_endpoints,
    endpoint_dns_names,
)


def _require_consistent(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> None:
    # The EC2 adapter guarantees these; a hand-made snapshot that breaks them would make the
    # route/NACL checks silently judge nothing, so refuse it loudly instead.
    if snapshot.vpc.vpc_id != target.staging_vpc_id:
        raise InvalidInputError(
            "stagingVpcId", f"the snapshot is of {snapshot.vpc.vpc_id}, not of {target.staging_vpc_id}"
        )
    if snapshot.subnet(target.staging_subnet_id) is None:
        raise InvalidInputError(
            "stagingSubnetId",
            f"{target.staging_subnet_id} is not a subnet of the staging VPC {target.staging_vpc_id}",
        )


def sort_findings(findings: Iterable[Finding]) -> list[Finding]:
    """BLOCKER, WARNING, INFO; then code; then resource. Stable, so checks' own order breaks ties."""
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER[f.severity], f.code, f.resource))


def run_preflight(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    """Judge the private path described by `target` against `snapshot`; no AWS calls."""
    _require_consistent(snapshot, target)
    return sort_findings(finding for check in CHECKS for finding in check(snapshot, target))
