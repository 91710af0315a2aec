"""Task tokens of LaunchWave's waits: for launch jobs (completed by the Launch Result event
handler) and for a cutover's approval (completed by the operator). Deleting the item before
completing the task makes a duplicated event or approval act once."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

from mgn_wave.adapters.errors import aws_call
from mgn_wave.core import timeutil

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient


def job_key(job_id: str) -> str:
    return f"LAUNCHJOB#{job_id}"


def approval_key(wave: str) -> str:
    return f"APPROVAL#{wave}"


def _waiter_key(execution: str) -> str:
    return "TOKEN#" + hashlib.sha256(execution.encode()).hexdigest()[:40]


class LaunchTokenStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(self, key: str, execution: str, token: str, ttl_seconds: int) -> None:
        expires = int(timeutil.utcnow().timestamp()) + ttl_seconds
        with aws_call("dynamodb:PutItem"):
            self._client.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": key},
                    "sk": {"S": _waiter_key(execution)},
                    "execution": {"S": execution},
                    "token": {"S": token},
                    "expiresAt": {"N": str(expires)},
                },
            )

    def waiting(self, key: str) -> list[tuple[str, str, int]]:
        """(execution, token, expiresAt) of every wait under `key` that has not expired."""
        now = int(timeutil.utcnow().timestamp())
        found: list[tuple[str, str, int]] = []
        with aws_call("dynamodb:Query"):
            for page in self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": {"S": key}, ":prefix": {"S": "TOKEN#"}},
            ):
                for item in page["Items"]:
                    expires = int(item["expiresAt"]["N"])
                    if expires > now:  # TTL deletes within days, not at once
                        found.append((item["execution"]["S"], item["token"]["S"], expires))
        return found

    def take(self, key: str, execution: str) -> str | None:
        """Delete the wait and return its token; None when someone else took it first."""
        with aws_call("dynamodb:DeleteItem"):
            deleted = self._client.delete_item(
                TableName=self._table,
                Key={"pk": {"S": key}, "sk": {"S": _waiter_key(execution)}},
                ReturnValues="ALL_OLD",
            )
        attributes = deleted.get("Attributes")
        return attributes["token"]["S"] if attributes else None
