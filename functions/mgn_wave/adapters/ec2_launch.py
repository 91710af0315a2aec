"""EC2 for launches: the servers' launch templates, the instances MGN launched, the target subnet."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call
from mgn_wave.core.errors import AwsResourceNotFoundError, InvalidInputError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import FilterTypeDef

MAX_INSTANCE_IDS = 100  # DescribeInstanceStatus: at most 100 instance IDs per call (EC2 API reference)


class Ec2LaunchAdapter:
    def __init__(self, ec2: EC2Client) -> None:
        self._ec2 = ec2

    def default_template_data(self, launch_template_id: str) -> dict[str, Any]:
        with aws_call("ec2:DescribeLaunchTemplateVersions"):
            versions = self._ec2.describe_launch_template_versions(
                LaunchTemplateId=launch_template_id, Versions=["$Default"]
            )["LaunchTemplateVersions"]
        if not versions:
            raise AwsResourceNotFoundError(f"launch template {launch_template_id} has no default version")
        return dict(versions[0].get("LaunchTemplateData", {}))

    def hold_template(self, launch_template_id: str, data: Mapping[str, Any], description: str) -> int:
        """A new version with `data`, made the default (MGN launches the default version)."""
        with aws_call("ec2:CreateLaunchTemplateVersion"):
            created = self._ec2.create_launch_template_version(
                LaunchTemplateId=launch_template_id,
                VersionDescription=description[:255],
                LaunchTemplateData=dict(data),  # type: ignore[arg-type]
            )
        version = int(created["LaunchTemplateVersion"]["VersionNumber"])
        with aws_call("ec2:ModifyLaunchTemplate"):
            self._ec2.modify_launch_template(LaunchTemplateId=launch_template_id, DefaultVersion=str(version))
        return version

    def target_subnet(self, subnet_id: str) -> tuple[str, int]:
        """The target subnet's VPC and how many IPv4 addresses it has free."""
        with aws_call(
            "ec2:DescribeSubnets",
            {
                "InvalidSubnetID.NotFound": lambda _e: InvalidInputError(
                    "TargetSubnetId", f"subnet {subnet_id} does not exist in this account and Region"
                )
            },
        ):
            subnets = self._ec2.describe_subnets(SubnetIds=[subnet_id])["Subnets"]
        return str(subnets[0]["VpcId"]), int(subnets[0].get("AvailableIpAddressCount", 0))

    def instance_health(self, instance_ids: Sequence[str]) -> dict[str, tuple[str, str, str]]:
        """instance ID -> (state, system status, instance status); absent when EC2 does not know it."""
        found: dict[str, tuple[str, str, str]] = {}
        ids = list(dict.fromkeys(instance_ids))
        for start in range(0, len(ids), MAX_INSTANCE_IDS):
            chunk = ids[start : start + MAX_INSTANCE_IDS]
            with aws_call("ec2:DescribeInstanceStatus", {"InvalidInstanceID.NotFound": lambda _e: _Gone()}):
                try:
                    paginator = self._ec2.get_paginator("describe_instance_status")
                    for page in paginator.paginate(InstanceIds=chunk, IncludeAllInstances=True):
                        for status in page["InstanceStatuses"]:
                            found[status["InstanceId"]] = (
                                status["InstanceState"]["Name"],
                                status.get("SystemStatus", {}).get("Status", "not-applicable"),
                                status.get("InstanceStatus", {}).get("Status", "not-applicable"),
                            )
                except _Gone:
                    continue
        return found

    def private_addresses(self, instance_ids: Sequence[str]) -> dict[str, str]:
        """instance ID -> its primary private IPv4 address, for the instances EC2 knows."""
        found: dict[str, str] = {}
        ids = list(dict.fromkeys(instance_ids))
        for start in range(0, len(ids), MAX_INSTANCE_IDS):
            # A filter, not InstanceIds: an instance terminated meanwhile is left out, not an error
            filters: list[FilterTypeDef] = [{"Name": "instance-id", "Values": ids[start : start + MAX_INSTANCE_IDS]}]
            with aws_call("ec2:DescribeInstances"):
                for page in self._ec2.get_paginator("describe_instances").paginate(Filters=filters):
                    for reservation in page["Reservations"]:
                        for instance in reservation["Instances"]:
                            if instance.get("PrivateIpAddress"):
                                found[instance["InstanceId"]] = instance["PrivateIpAddress"]
        return found


class _Gone(Exception):  # noqa: N818 - internal signal: one ID of the chunk is unknown to EC2
    pass
