"""Starting MigrateWave executions (the tag trigger), and reading the ones running."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call

if TYPE_CHECKING:
    from mypy_boto3_stepfunctions import SFNClient


class _AlreadyStarted(Exception):  # noqa: N818 - internal signal
    pass


class ExecutionsAdapter:
    def __init__(self, client: SFNClient, state_machine_arn: str) -> None:
        self._client = client
        self._arn = state_machine_arn

    def start_once(self, name: str, execution_input: dict[str, Any]) -> bool:
        """Start the execution of that name once. A redelivered event either meets the running
        execution (StartExecution is idempotent for the same name and input: the same execution
        answers) or a finished one (ExecutionAlreadyExists: False). Never a second execution."""
        try:
            with aws_call("states:StartExecution", {"ExecutionAlreadyExists": lambda _exc: _AlreadyStarted()}):
                self._client.start_execution(stateMachineArn=self._arn, name=name, input=json.dumps(execution_input))
        except _AlreadyStarted:
            return False
        return True

    def running_inputs(self) -> list[dict[str, Any]]:
        """The inputs of this state machine's running executions (an unreadable one is skipped:
        its input was valid JSON when it started, or it would not run)."""
        arns: list[str] = []
        with aws_call("states:ListExecutions"):
            pages = self._client.get_paginator("list_executions").paginate(
                stateMachineArn=self._arn, statusFilter="RUNNING"
            )
            arns.extend(e["executionArn"] for page in pages for e in page["executions"])
        inputs = []
        for arn in arns:
            with aws_call("states:DescribeExecution"):
                described = self._client.describe_execution(executionArn=arn)
            try:
                value = json.loads(described.get("input") or "{}")
            except ValueError:
                continue
            if isinstance(value, dict):
                inputs.append(value)
        return inputs
