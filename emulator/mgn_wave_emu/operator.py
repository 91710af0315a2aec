"""The operator's part in a cutover, on the emulated AWS: approving it when it asks.

A person acts in real time, outside the emulation, so the virtual clock would not wait for them:
a cutover waiting for its approval is a sleeper like any other, and the clock would jump to its
expiry at once. `start_and_approve` holds the clock (`busy()`) from the start of the execution
until the approval is given, as an operator watching the console would."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.launch_tokens import LaunchTokenStore
from mgn_wave.adapters.tokens import CallbackAdapter
from mgn_wave.launch.approval import approve

if TYPE_CHECKING:
    from collections.abc import Callable

    from mgn_wave_emu.harness import EmulatedAws

LAUNCH_WAVE = "LaunchWaveStateMachine"


def approve_when_asked(aws: EmulatedAws, wave: str, running: Callable[[], bool], approver: str = "operator") -> bool:
    """Approve `wave`'s cutover as soon as it waits; False when `running()` turns false first.
    Call it inside `aws.clock.busy()`."""
    assert aws.stack is not None, "deploy the stack first"
    tokens = LaunchTokenStore(aws.client("dynamodb"), aws.stack.tables["StateTable"].table_name)
    callbacks = CallbackAdapter(aws.client("stepfunctions"))
    while True:
        if approve(wave, approver, tokens=tokens, callbacks=callbacks):
            return True
        if not running():
            return False
        time.sleep(0.02)


def start_and_approve(aws: EmulatedAws, execution_input: dict[str, Any], name: str, approver: str = "operator") -> str:
    """Start a LaunchWave cutover and approve it when it asks; returns the execution ARN."""
    sfn = aws.client("stepfunctions")
    with aws.clock.busy():
        arn = str(
            sfn.start_execution(
                stateMachineArn=aws.state_machine_arns[LAUNCH_WAVE], name=name, input=json.dumps(execution_input)
            )["executionArn"]
        )
        approve_when_asked(
            aws,
            str(execution_input["waveId"]),
            lambda: sfn.describe_execution(executionArn=arn)["status"] == "RUNNING",
            approver,
        )
    return arn
