"""Preflight: read the staging network once, check every link of the private path."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.models.preflight import PreflightReport
from mgn_wave.preflight.checks import run_preflight

if TYPE_CHECKING:
    from mgn_wave.adapters.ec2 import Ec2Adapter
    from mgn_wave.models.network import PrivatePathTarget


def check_private_path(target: PrivatePathTarget, ec2: Ec2Adapter) -> PreflightReport:
    """Read the staging network once and check every link of the private path."""
    snapshot = ec2.collect_network_snapshot(target)
    return PreflightReport.from_findings(run_preflight(snapshot, target))
