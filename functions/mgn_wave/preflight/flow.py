"""Preflight: read the staging network once, check every link of the private path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.preflight.checks import run_preflight, sort_findings
from mgn_wave.preflight.models import PreflightReport
from mgn_wave.preflight.trail import check_trail_for_tag_events

if TYPE_CHECKING:
    from mgn_wave.adapters.cloudtrail import CloudTrailAdapter
    from mgn_wave.adapters.ec2 import Ec2Adapter
    from mgn_wave.preflight.network import PrivatePathTarget


def check_private_path(
    target: PrivatePathTarget, ec2: Ec2Adapter, cloudtrail: CloudTrailAdapter | None = None
) -> PreflightReport:
    """Read the staging network once and check every link of the private path; with `cloudtrail`,
    also whether a trail feeds the tag trigger's CloudTrail events."""
    snapshot = ec2.collect_network_snapshot(target)
    findings = run_preflight(snapshot, target)
    if cloudtrail is not None:
        findings = sort_findings([*findings, *check_trail_for_tag_events(cloudtrail.trails(), target.region)])
    return PreflightReport.from_findings(findings)
