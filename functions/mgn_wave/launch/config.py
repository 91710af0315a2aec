"""LaunchWave's configuration from the environment (stack parameters), validated once."""

from __future__ import annotations

import os
import re

from mgn_wave.core.errors import ConfigurationError
from mgn_wave.launch.settings import LaunchTarget

_SUBNET = re.compile(r"^subnet-([0-9a-f]{8}|[0-9a-f]{17})$")
_GROUP = re.compile(r"^sg-([0-9a-f]{8}|[0-9a-f]{17})$")


def _require(name: str, parameter: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        raise ConfigurationError(
            f"environment variable {name} is not set (it comes from the stack parameter {parameter})"
        )
    return value


def launch_target_from_env() -> LaunchTarget:
    subnet = _require("TARGET_SUBNET_ID", "TargetSubnetId")
    if not _SUBNET.fullmatch(subnet):
        raise ConfigurationError(f"TargetSubnetId: 'subnet-' followed by 8 or 17 hex digits, got {subnet!r}")
    groups = tuple(g.strip() for g in _require("TARGET_SG_IDS", "TargetSecurityGroupIds").split(",") if g.strip())
    bad = [g for g in groups if not _GROUP.fullmatch(g)]
    if bad or not 1 <= len(groups) <= 5:
        raise ConfigurationError(f"TargetSecurityGroupIds: 1..5 'sg-…' IDs, got {','.join(groups)!r}")
    return LaunchTarget(subnet_id=subnet, security_group_ids=groups)


def seconds_from_env(name: str, parameter: str) -> int:
    raw = _require(name, parameter)
    if not raw.isdigit() or int(raw) <= 0:
        raise ConfigurationError(f"{parameter}: a positive whole number, got {raw!r}")
    return int(raw)


def port_probe_function_from_env() -> str:
    """The PortProbe function the port checks invoke (the stack's PortProbeFunction)."""
    return _require("PORT_PROBE_FUNCTION", "PortProbeFunction (a resource of the stack)")
