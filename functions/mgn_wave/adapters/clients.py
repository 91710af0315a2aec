"""boto3 clients, created lazily (never at import) and reused across warm invocations."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

import boto3
from botocore.config import Config
from botocore.loaders import create_loader

if TYPE_CHECKING:
    from mypy_boto3_cloudtrail import CloudTrailClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_lambda import LambdaClient
    from mypy_boto3_mgn import MgnClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_ssm import SSMClient
    from mypy_boto3_stepfunctions import SFNClient
    from mypy_boto3_sts import STSClient

# Standard mode retries throttling and 5xx with backoff and jitter; what survives it becomes a
# TransientAwsError and the state machine's Retry takes over.
CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="mgn-wave/0.1")


@cache
def ec2_client(region: str | None = None) -> EC2Client:
    return boto3.client("ec2", region_name=region, config=CLIENT_CONFIG)


@cache
def mgn_client(region: str | None = None) -> MgnClient:
    return boto3.client("mgn", region_name=region, config=CLIENT_CONFIG)


@cache
def lambda_client(region: str | None = None) -> LambdaClient:
    return boto3.client("lambda", region_name=region, config=CLIENT_CONFIG)


@cache
def ssm_client(region: str | None = None) -> SSMClient:
    return boto3.client("ssm", region_name=region, config=CLIENT_CONFIG)


@cache
def dns_suffix(region: str) -> str:
    """The DNS suffix of the Region's partition (amazonaws.com, amazonaws.com.cn, ...), from
    botocore's own endpoint data."""
    partitions = create_loader().load_data("endpoints")["partitions"]
    for partition in partitions:
        if region in partition["regions"]:
            return str(partition["dnsSuffix"])
    for partition in partitions:
        if re.match(partition["regionRegex"], region):
            return str(partition["dnsSuffix"])
    return "amazonaws.com"


@cache
def sts_client(region: str | None = None) -> STSClient:
    # The Regional STS endpoint: reachable through an sts VPC endpoint, no dependency on us-east-1;
    # in the partition's own domain (sts.cn-north-1.amazonaws.com.cn in China).
    return boto3.client(
        "sts",
        region_name=region,
        endpoint_url=f"https://sts.{region}.{dns_suffix(region)}" if region else None,
        config=CLIENT_CONFIG,
    )


@cache
def dynamodb_client(region: str | None = None) -> DynamoDBClient:
    return boto3.client("dynamodb", region_name=region, config=CLIENT_CONFIG)


@cache
def sfn_client(region: str | None = None) -> SFNClient:
    return boto3.client("stepfunctions", region_name=region, config=CLIENT_CONFIG)


@cache
def s3_client(region: str | None = None) -> S3Client:
    return boto3.client("s3", region_name=region, config=CLIENT_CONFIG)


@cache
def cloudtrail_client(region: str | None = None) -> CloudTrailClient:
    return boto3.client("cloudtrail", region_name=region, config=CLIENT_CONFIG)
