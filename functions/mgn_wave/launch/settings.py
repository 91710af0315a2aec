"""Launch settings a private target needs, held on each server's launch configuration and its EC2
launch template the way EnforceTemplate holds the replication settings: a drift report
(before → after) per server, written only when something differs and not in a dry run.

MGN launches test and cutover instances from the server's EC2 launch template (its default
version). The one MGN creates puts the instance in the default VPC with a public IP; on a private
network it must name the target subnet, the target security groups and no public IP.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class LaunchTarget:
    """Where test and cutover instances go: stack parameters TargetSubnetId, TargetSecurityGroupIds."""

    subnet_id: str
    security_group_ids: tuple[str, ...]


def launch_template_changes(
    data: Mapping[str, Any], target: LaunchTarget
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The fields of launch template data that differ from the private target, as
    `{field, before, after}`, and the data of the version to create (unchanged fields kept)."""
    interfaces = list(data.get("NetworkInterfaces") or [{}])
    primary = dict(interfaces[0])
    wanted: dict[str, Any] = {
        "SubnetId": target.subnet_id,
        "Groups": sorted(target.security_group_ids),
        "AssociatePublicIpAddress": False,
    }
    changes = []
    for key, after in wanted.items():
        before = sorted(primary[key]) if key == "Groups" and key in primary else primary.get(key)
        if before != after:
            changes.append({"field": f"NetworkInterfaces[0].{key}", "before": before, "after": after})
    new_data = copy.deepcopy(dict(data))
    if data.get("SecurityGroupIds") or data.get("SecurityGroups"):
        # Groups on the template itself would conflict with the interface's: the interface holds them
        changes.append({"field": "SecurityGroupIds", "before": data.get("SecurityGroupIds"), "after": None})
        new_data.pop("SecurityGroupIds", None)
        new_data.pop("SecurityGroups", None)
    new_data["NetworkInterfaces"] = [{**primary, "DeviceIndex": 0, **wanted}, *interfaces[1:]]
    return changes, new_data


def launch_configuration_changes(configuration: Mapping[str, Any]) -> dict[str, Any]:
    """MGN-side settings the checks rely on: a STOPPED instance would fail every check."""
    return {} if configuration.get("launchDisposition") == "STARTED" else {"launchDisposition": "STARTED"}


def post_launch_actions_on(configuration: Mapping[str, Any]) -> bool:
    """MGN runs SSM documents on the new instance: the target VPC needs the SSM endpoints."""
    actions = configuration.get("postLaunchActions") or {}
    return bool(actions.get("ssmDocuments"))


def post_launch_actions_expected(configuration: Mapping[str, Any], *, cutover: bool) -> int:
    """How many post-launch actions MGN runs on this stage's instance: the SSM documents, when
    the configuration's `deployment` names the stage. Unset, none are demanded (which stages MGN
    then runs them in is not documented): the check still judges any MGN reports."""
    actions = configuration.get("postLaunchActions") or {}
    deployment = actions.get("deployment")
    if deployment not in ("TEST_AND_CUTOVER", "CUTOVER_ONLY" if cutover else "TEST_ONLY"):
        return 0
    return len(actions.get("ssmDocuments") or [])
