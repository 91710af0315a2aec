"""The emulated AWS itself: the virtual clock under Wait and Retry, Lambda routing and errors."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

import pytest

from mgn_wave_emu.harness import EmulatedAws

if TYPE_CHECKING:
    from collections.abc import Iterator

PARAMETERS = {
    "StagingVpcId": "vpc-0123456789abcdef0",
    "StagingSubnetId": "subnet-0123456789abcdef0",
    "ReplicationSecurityGroupIds": "sg-0123456789abcdef0",
    "SourceCidrs": "10.10.0.0/16",
}


@pytest.fixture
def aws() -> Iterator[EmulatedAws]:
    with EmulatedAws() as emulated:
        emulated.deploy(PARAMETERS)
        yield emulated


def _run_definition(aws: EmulatedAws, definition: dict, execution_input: dict) -> dict:
    sfn = aws.client("stepfunctions")
    arn = sfn.create_state_machine(
        name="probe", definition=json.dumps(definition), roleArn="arn:aws:iam::123456789012:role/probe"
    )["stateMachineArn"]
    aws.state_machine_arn = arn
    result = aws.run(execution_input, name="probe-1")
    return {"status": result.status, "error": result.error, "states": result.states_entered}


def test_wait_state_six_hours_advances_virtual_time_not_wall_time(aws: EmulatedAws) -> None:
    # Given
    definition = {
        "StartAt": "InitialSync",
        "States": {"InitialSync": {"Type": "Wait", "Seconds": 6 * 3600, "End": True}},
    }
    before = aws.clock.now()
    started = time.perf_counter()
    # When
    outcome = _run_definition(aws, definition, {})
    # Then
    assert outcome["status"] == "SUCCEEDED"
    assert (aws.clock.now() - before).total_seconds() == 6 * 3600
    assert time.perf_counter() - started < 5


def test_retry_interval_advances_virtual_time_and_catch_sees_the_handler_error(aws: EmulatedAws) -> None:
    # Given: the real ValidateInput function, fed a bad input, retried twice an hour apart
    assert aws.stack is not None
    function_arn = aws.stack.function("ValidateInputFunction").arn
    definition = {
        "StartAt": "Validate",
        "States": {
            "Validate": {
                "Type": "Task",
                "Resource": "arn:aws:states:::lambda:invoke",
                "Parameters": {"FunctionName": function_arn, "Payload.$": "$"},
                "Retry": [
                    {
                        "ErrorEquals": ["InvalidInputError"],
                        "IntervalSeconds": 3600,
                        "MaxAttempts": 2,
                        "BackoffRate": 2.0,
                    }
                ],
                "Catch": [{"ErrorEquals": ["InvalidInputError"], "Next": "Rejected"}],
                "End": True,
            },
            "Rejected": {"Type": "Fail", "Error": "Rejected"},
        },
    }
    before = aws.clock.now()
    # When
    outcome = _run_definition(aws, definition, {"wave": "bad wave name"})
    # Then: 1 h + 2 h of backoff in virtual time, three invocations, then the Catch
    assert outcome == {"status": "FAILED", "error": "Rejected", "states": ["Validate", "Rejected"]}
    assert (aws.clock.now() - before).total_seconds() == 3 * 3600
    assert aws.lambdas is not None
    assert [i.error_type for i in aws.lambdas.invocations] == ["InvalidInputError"] * 3


def test_invoke_unknown_function_is_resource_not_found(aws: EmulatedAws) -> None:
    client = aws.client("lambda")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.invoke(FunctionName="no-such-function", Payload=b"{}")


def test_invoke_routes_to_the_handler_with_its_environment(aws: EmulatedAws) -> None:
    # The emulated function answers like Lambda: a JSON payload, no FunctionError.
    assert aws.stack is not None
    response = aws.client("lambda").invoke(
        FunctionName=aws.stack.physical_name("ValidateInputFunction"), Payload=json.dumps({"wave": "wave-01"}).encode()
    )
    assert "FunctionError" not in response
    assert json.loads(response["Payload"].read())["wave"] == "wave-01"
