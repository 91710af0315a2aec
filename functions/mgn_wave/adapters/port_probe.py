"""The PortProbe function, invoked synchronously: which ports of which launched instances did not
answer a TCP connect from the target subnet."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call
from mgn_wave.core.errors import TransientAwsError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from mypy_boto3_lambda import LambdaClient

MAX_TARGETS_PER_INVOCATION = 50  # PortProbe's own bound (handlers/port_probe.py MAX_TARGETS)


class PortProbeAdapter:
    def __init__(self, client: LambdaClient, function_name: str) -> None:
        self._client = client
        self._function_name = function_name

    def closed_ports(self, targets: Sequence[tuple[str, str, Sequence[int]]]) -> dict[str, tuple[int, ...]]:
        """(instance ID, private address, ports) -> instance ID -> the ports that did not answer."""
        closed: dict[str, tuple[int, ...]] = {}
        for start in range(0, len(targets), MAX_TARGETS_PER_INVOCATION):
            chunk = targets[start : start + MAX_TARGETS_PER_INVOCATION]
            payload = {"targets": [{"instanceId": i, "address": a, "ports": list(p)} for i, a, p in chunk]}
            with aws_call("lambda:InvokeFunction"):
                response = self._client.invoke(FunctionName=self._function_name, Payload=json.dumps(payload).encode())
            answer: dict[str, Any] = json.loads(response["Payload"].read() or b"{}")
            if response.get("FunctionError"):
                # A probe that could not run says nothing about the ports: the step is retried, then fails
                raise TransientAwsError(
                    f"PortProbe failed: {answer.get('errorType', 'error')}: {answer.get('errorMessage', '')}"[:500]
                )
            for instance_id, ports in answer.get("closed", {}).items():
                closed[str(instance_id)] = tuple(int(p) for p in ports)
        return closed
