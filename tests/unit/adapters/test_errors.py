"""The one ClientError translator: each service's code table decides the typed error."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError

from mgn_wave.adapters.errors import COMMON_ERRORS, EC2_ERRORS, MGN_ERRORS, ServiceErrors, aws_call
from mgn_wave.errors import (
    AwsAccessError,
    AwsRequestError,
    AwsResourceNotFoundError,
    MgnConflictError,
    MgnRequestRejectedError,
    TransientAwsError,
)


def _client_error(code: str, status: int, **members: Any) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": code, "Message": "the service says no"},
        "ResponseMetadata": {"HTTPStatusCode": status},
        **members,
    }
    return ClientError(response, "AnyOperation")  # type: ignore[arg-type]


def _raised(exc: Exception, action: str, codes: ServiceErrors, **kwargs: Any) -> BaseException:
    with pytest.raises(Exception) as raised, aws_call(action, codes=codes, **kwargs):
        raise exc
    return raised.value


@pytest.mark.parametrize(
    ("codes", "code", "status", "expected"),
    [
        # every service: throttling and internal errors are transient, a 5xx whatever its code
        (COMMON_ERRORS, "ThrottlingException", 400, TransientAwsError),
        (COMMON_ERRORS, "ProvisionedThroughputExceededException", 400, TransientAwsError),
        (COMMON_ERRORS, "SomethingNew", 503, TransientAwsError),
        (COMMON_ERRORS, "AccessDeniedException", 400, AwsAccessError),
        (COMMON_ERRORS, "UnauthorizedOperation", 403, AwsAccessError),
        (COMMON_ERRORS, "ValidationException", 400, AwsRequestError),
        # EC2: its own throttling code, any AccessDenied*, and the preflight's missing resources
        (EC2_ERRORS, "RequestLimitExceeded", 503, TransientAwsError),
        (EC2_ERRORS, "Unavailable", 400, TransientAwsError),
        (EC2_ERRORS, "AuthFailure", 401, AwsAccessError),
        (EC2_ERRORS, "AccessDeniedForThisAction", 403, AwsAccessError),
        (EC2_ERRORS, "InvalidSubnetID.NotFound", 400, AwsResourceNotFoundError),
        (EC2_ERRORS, "InvalidPrefixListId.NotFound", 400, AwsResourceNotFoundError),
        (EC2_ERRORS, "InvalidParameterValue", 400, AwsRequestError),
        # MGN: its modelled errors
        (MGN_ERRORS, "ThrottlingException", 429, TransientAwsError),
        (MGN_ERRORS, "InternalServerException", 500, TransientAwsError),
        (MGN_ERRORS, "AccessDeniedException", 403, AwsAccessError),
        (MGN_ERRORS, "ResourceNotFoundException", 404, AwsResourceNotFoundError),
        (MGN_ERRORS, "ValidationException", 400, MgnRequestRejectedError),
        (MGN_ERRORS, "ConflictException", 409, MgnConflictError),
    ],
)
def test_aws_call_code_becomes_the_typed_error_of_its_service_table(
    codes: ServiceErrors, code: str, status: int, expected: type[Exception]
) -> None:
    # Given a failed call answering `code`
    error = _raised(_client_error(code, status), "svc:Operation", codes)
    # Then the table's typed error, naming the action and the code, chained to the ClientError
    assert type(error) is expected
    assert isinstance(error.__cause__, ClientError)
    if expected is not MgnRequestRejectedError:
        assert "Operation" in str(error)


def test_aws_call_mgn_code_without_a_contract_propagates_the_client_error() -> None:
    # Given a modelled MGN error the state machine has no contract for
    error = _raised(_client_error("ServiceQuotaExceededException", 402), "mgn:StartReplication", MGN_ERRORS)
    # Then it is not dressed up as one of ours
    assert isinstance(error, ClientError)


def test_aws_call_connection_failure_is_transient_for_every_service() -> None:
    for codes in (COMMON_ERRORS, EC2_ERRORS, MGN_ERRORS):
        error = _raised(EndpointConnectionError(endpoint_url="https://mgn.us-east-1.amazonaws.com"), "x:Y", codes)
        assert isinstance(error, TransientAwsError)
        assert "could not reach" in str(error)


def test_aws_call_names_the_resource_and_the_fix_the_caller_gives() -> None:
    # Given EC2 answering not found, then access denied, for the staging subnet
    missing = _raised(
        _client_error("InvalidSubnetID.NotFound", 400),
        "ec2:DescribeSubnets",
        EC2_ERRORS,
        resource="staging subnet subnet-0def5678 (from stagingSubnetId)",
    )
    denied = _raised(
        _client_error("UnauthorizedOperation", 403), "ec2:DescribeSubnets", EC2_ERRORS, denied_fix="grant it here"
    )
    # Then the messages say what is missing, and how to fix the denial
    assert str(missing).startswith("staging subnet subnet-0def5678 (from stagingSubnetId) does not exist")
    assert str(denied) == "not allowed to call ec2:DescribeSubnets (UnauthorizedOperation): grant it here"


def test_aws_call_mgn_messages_use_the_modelled_members() -> None:
    # Given MGN's not-found and throttling answers with their modelled members
    missing = _raised(
        _client_error("ResourceNotFoundException", 404, resourceType="SourceServer", resourceId="s-1"),
        "mgn:GetReplicationConfiguration",
        MGN_ERRORS,
    )
    throttled = _raised(_client_error("ThrottlingException", 429, retryAfterSeconds="3"), "mgn:X", MGN_ERRORS)
    rejected = _raised(
        _client_error(
            "ValidationException", 400, reason="fieldValidationFailed", fieldList=[{"name": "a", "message": "b"}]
        ),
        "mgn:CreateReplicationConfigurationTemplate",
        MGN_ERRORS,
    )
    # Then each message carries them
    assert "SourceServer s-1 does not exist" in str(missing)
    assert "retry after 3 s" in str(throttled)
    assert isinstance(rejected, MgnRequestRejectedError)
    assert rejected.reason == "fieldValidationFailed"
    assert rejected.fields == [("a", "b")]


def test_aws_call_specific_code_of_the_call_wins_over_the_table() -> None:
    class StaleError(Exception):
        pass

    error = _raised(
        _client_error("ConditionalCheckFailedException", 400),
        "dynamodb:DeleteItem",
        COMMON_ERRORS,
        specific={"ConditionalCheckFailedException": lambda _exc: StaleError()},
    )
    assert isinstance(error, StaleError)
