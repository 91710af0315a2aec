"""Task tokens of waiting AwaitReplication tasks (DynamoDB), and completing them (Step Functions).

A token waits under the source server it is about; an MGN event for that server completes every
token stored for it. Tokens expire with a TTL, so a lost execution leaves nothing behind."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call
from mgn_wave.timeutil import utcnow

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_stepfunctions import SFNClient

# Step Functions answers these for a token that is no longer waiting (completed, timed out, or
# from an execution that ended): nothing to do, the fallback poll or another event decided.
STALE_TOKEN_CODES = frozenset({"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"})


def _server_key(source_server_id: str) -> str:
    return f"SERVER#{source_server_id}"


def _waiter_key(execution: str) -> str:
    # One live token per server and execution: a newer wait (after a fallback poll) replaces the
    # older one, whose task has already timed out. A digest keeps the sort key short.
    return "TOKEN#" + hashlib.sha256(execution.encode()).hexdigest()[:40]


class TaskTokenStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, source_server_id: str, execution: str, token: str, ttl_seconds: int) -> None:
        expires = int(utcnow().timestamp()) + ttl_seconds
        with aws_call("dynamodb:PutItem"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": _server_key(source_server_id)},
                    "sk": {"S": _waiter_key(execution)},
                    "execution": {"S": execution},
                    "token": {"S": token},
                    "expiresAt": {"N": str(expires)},
                },
            )

    def tokens(self, source_server_id: str) -> list[tuple[str, str]]:
        """(execution, token) of every task waiting on this server."""
        found: list[tuple[str, str]] = []
        with aws_call("dynamodb:Query"):
            for page in self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={
                    ":pk": {"S": _server_key(source_server_id)},
                    ":prefix": {"S": "TOKEN#"},
                },
            ):
                found.extend((item["execution"]["S"], item["token"]["S"]) for item in page["Items"])
        return found

    def forget(self, source_server_id: str, execution: str, token: str) -> None:
        """Delete the waiter unless a newer wait of the same execution replaced its token meanwhile."""
        try:
            with aws_call("dynamodb:DeleteItem", {"ConditionalCheckFailedException": lambda _exc: _StaleToken()}):
                self._client.delete_item(
                    TableName=self._table,
                    Key={"pk": {"S": _server_key(source_server_id)}, "sk": {"S": _waiter_key(execution)}},
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues={":token": {"S": token}},
                )
        except _StaleToken:
            return


class _StaleToken(Exception):  # noqa: N818 - internal signal, never leaves this module
    pass


class CallbackAdapter:
    def __init__(self, client: SFNClient) -> None:
        self._client = client

    def complete(self, token: str, output: dict[str, Any]) -> bool:
        """Hand the verdict to the waiting task; False when it no longer waits (quietly)."""
        try:
            with aws_call("states:SendTaskSuccess", {code: lambda _exc: _StaleToken() for code in STALE_TOKEN_CODES}):
                self._client.send_task_success(taskToken=token, output=json.dumps(output))
        except _StaleToken:
            return False
        return True
