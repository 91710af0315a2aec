"""SSM's view of launched instances: is each one's agent Online?"""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.adapters.errors import aws_call

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_ssm import SSMClient

MAX_FILTER_VALUES = 50  # DescribeInstanceInformation: InstanceIds filter values per call


def ping_statuses(ssm: SSMClient, instance_ids: Sequence[str]) -> dict[str, str]:
    """instance ID -> PingStatus for the instances SSM knows."""
    found: dict[str, str] = {}
    ids = list(dict.fromkeys(instance_ids))
    for start in range(0, len(ids), MAX_FILTER_VALUES):
        chunk = ids[start : start + MAX_FILTER_VALUES]
        with aws_call("ssm:DescribeInstanceInformation"):
            paginator = ssm.get_paginator("describe_instance_information")
            for page in paginator.paginate(Filters=[{"Key": "InstanceIds", "Values": chunk}]):
                for info in page["InstanceInformationList"]:
                    found[info["InstanceId"]] = info.get("PingStatus", "")
    return found
