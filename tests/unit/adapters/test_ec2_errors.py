"""Ec2Adapter error translation, by error code. botocore's Stubber answers: no network, no moto."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from mgn_wave.adapters.ec2 import REQUIRED_IAM_ACTIONS, Ec2Adapter
from mgn_wave.core.errors import (
    AwsAccessError,
    AwsRequestError,
    AwsResourceNotFoundError,
    InvalidInputError,
    TransientAwsError,
)
from mgn_wave.preflight.network import PrivatePathTarget

TARGET = PrivatePathTarget(
    region="us-east-1",
    staging_vpc_id="vpc-0a11a11a11a11a11a",
    staging_subnet_id="subnet-0000000000000000a",
    replication_sg_ids=("sg-00000000000001500",),
    source_cidrs=("10.10.0.0/16",),  # type: ignore[arg-type]
)
VPC = {"VpcId": TARGET.staging_vpc_id, "CidrBlock": "192.168.128.0/24", "OwnerId": "123456789012"}


@pytest.fixture
def ec2():
    client = boto3.client("ec2", region_name="us-east-1", aws_access_key_id="testing", aws_secret_access_key="testing")
    with Stubber(client) as stubber:
        yield client, stubber


@pytest.mark.parametrize(
    ("code", "status", "error_type", "expected_in_message"),
    [
        (
            "InvalidVpcID.NotFound",
            400,
            AwsResourceNotFoundError,
            "staging VPC vpc-0a11a11a11a11a11a (from stagingVpcId)",
        ),
        ("UnauthorizedOperation", 403, AwsAccessError, "grant ec2:DescribeVpcs"),
        ("AccessDenied", 403, AwsAccessError, "ec2:DescribeVpcs"),
        ("RequestLimitExceeded", 503, TransientAwsError, "RequestLimitExceeded"),
        ("Throttling", 400, TransientAwsError, "ec2:DescribeVpcs failed transiently"),
        ("InternalError", 500, TransientAwsError, "InternalError"),
        ("SomethingUnheardOf", 503, TransientAwsError, "SomethingUnheardOf"),
        ("InvalidParameterValue", 400, AwsRequestError, "ec2:DescribeVpcs failed (InvalidParameterValue)"),
    ],
)
def test_collect_network_snapshot_client_error_becomes_typed_error(
    ec2, code, status, error_type, expected_in_message
) -> None:
    # Given
    client, stubber = ec2
    stubber.add_client_error("describe_vpcs", service_error_code=code, http_status_code=status, service_message="no")
    # When
    with pytest.raises(error_type) as caught:
        Ec2Adapter(client).collect_network_snapshot(TARGET)
    # Then
    assert expected_in_message in str(caught.value)


def test_collect_network_snapshot_access_denied_later_names_that_action(ec2) -> None:
    # Given the VPC reads work, the attribute read is not allowed
    client, stubber = ec2
    stubber.add_response("describe_vpcs", {"Vpcs": [VPC]}, {"VpcIds": [TARGET.staging_vpc_id]})
    stubber.add_client_error("describe_vpc_attribute", service_error_code="UnauthorizedOperation", http_status_code=403)
    # When
    with pytest.raises(AwsAccessError) as caught:
        Ec2Adapter(client).collect_network_snapshot(TARGET)
    # Then
    assert "ec2:DescribeVpcAttribute" in str(caught.value)


def test_collect_network_snapshot_subnet_of_another_vpc_names_setting(ec2) -> None:
    # Given the staging subnet exists, in another VPC
    client, stubber = ec2
    stubber.add_response("describe_vpcs", {"Vpcs": [VPC]})
    stubber.add_response("describe_vpc_attribute", {"EnableDnsSupport": {"Value": True}})
    stubber.add_response("describe_vpc_attribute", {"EnableDnsHostnames": {"Value": True}})
    stubber.add_response("describe_subnets", {"Subnets": []})
    stubber.add_response(
        "describe_subnets",
        {"Subnets": [{"SubnetId": TARGET.staging_subnet_id, "VpcId": "vpc-0b22b22b22b22b22b"}]},
        {"SubnetIds": [TARGET.staging_subnet_id]},
    )
    # When
    with pytest.raises(InvalidInputError) as caught:
        Ec2Adapter(client).collect_network_snapshot(TARGET)
    # Then
    assert caught.value.field == "stagingSubnetId"
    assert "vpc-0b22b22b22b22b22b" in str(caught.value)


def test_required_iam_actions_are_read_only() -> None:
    # Given / When / Then: the preflight must be safe to run against production accounts
    assert all(a.split(":")[1].startswith(("Describe", "Get")) for a in REQUIRED_IAM_ACTIONS)
