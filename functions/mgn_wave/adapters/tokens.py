"""Task tokens of waiting AwaitReplication tasks (DynamoDB), and completing them (Step Functions).

Every parked token lives in one fixed partition (`pk = WAITING`), sorted by source server then
wave: the wave-level watch reads all of them with one Query (no Scan, whatever else the table
holds), and an MGN event finds a server's tokens with a `begins_with` on the sort key. A token
expires with a TTL, so a lost execution leaves nothing behind.

One partition serves a few thousand reads a second (DynamoDB's per-partition limit); the watch
reads it once per pass and each event batch once, far below that at 1,000 waiting servers."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mgn_wave import timeutil
from mgn_wave.adapters.errors import aws_call

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_stepfunctions import SFNClient

# Step Functions answers these for a token that is no longer waiting (completed, timed out, or
# from an execution that ended or was stopped): nothing to do, another pass or event decided.
STALE_TOKEN_CODES = frozenset({"TaskDoesNotExist", "TaskTimedOut", "InvalidToken"})
WAITING_PARTITION = "WAITING"


def _waiter_key(source_server_id: str, execution: str) -> str:
    # One live token per server and wave: a newer wait replaces the older one. A digest keeps
    # the sort key short; the server ID first lets an event read one server's waiters.
    return f"{source_server_id}#" + hashlib.sha256(execution.encode()).hexdigest()[:40]


@dataclass(frozen=True)
class ParkedToken:
    """One task waiting for a server's replication verdict."""

    source_server_id: str
    execution: str  # the wave's execution ARN
    token: str
    deadline: datetime | None
    stalled_since: datetime | None = None  # when this wave first saw the server stalled
    parked_at: datetime | None = None  # when the task started waiting (None: parked by an older version)


def _moment(item: dict[str, Any], name: str) -> datetime | None:
    value = item.get(name, {}).get("S")
    return datetime.fromisoformat(value) if value else None


def _parked(item: dict[str, Any]) -> ParkedToken:
    return ParkedToken(
        source_server_id=item["sourceServerId"]["S"],
        execution=item["execution"]["S"],
        token=item["token"]["S"],
        deadline=_moment(item, "deadline"),
        stalled_since=_moment(item, "stalledSince"),
        parked_at=_moment(item, "parkedAt"),
    )


class TaskTokenStore:
    def __init__(self, client: DynamoDBClient, table_name: str) -> None:
        self._client = client
        self._table = table_name

    def put(
        self,
        source_server_id: str,
        execution: str,
        token: str,
        ttl_seconds: int,
        *,
        deadline: datetime | None = None,
        stalled_since: datetime | None = None,
    ) -> None:
        # Through the module, never a name bound at import: the emulated runtime puts its virtual
        # clock behind timeutil.utcnow, and an early import would keep the wall clock.
        now = timeutil.utcnow()
        expires = int(now.timestamp()) + ttl_seconds
        item: dict[str, Any] = {
            "pk": {"S": WAITING_PARTITION},
            "sk": {"S": _waiter_key(source_server_id, execution)},
            "sourceServerId": {"S": source_server_id},
            "execution": {"S": execution},
            "token": {"S": token},
            "expiresAt": {"N": str(expires)},
            "parkedAt": {"S": now.isoformat()},
        }
        if deadline is not None:
            item["deadline"] = {"S": deadline.isoformat()}
        if stalled_since is not None:
            item["stalledSince"] = {"S": stalled_since.isoformat()}
        with aws_call("dynamodb:PutItem"):
            self._client.put_item(TableName=self._table, Item=item)

    def tokens(self, source_server_id: str) -> list[ParkedToken]:
        """Every task waiting on this server."""
        return self._query("begins_with(sk, :prefix)", {":prefix": {"S": f"{source_server_id}#"}})

    def waiting(self) -> list[ParkedToken]:
        """Every task waiting on any server, across all running waves (one Query, paged)."""
        return self._query(None, {})

    def _query(self, sort_condition: str | None, values: dict[str, Any]) -> list[ParkedToken]:
        condition = "pk = :pk" + (f" AND {sort_condition}" if sort_condition else "")
        found: list[ParkedToken] = []
        with aws_call("dynamodb:Query"):
            for page in self._client.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression=condition,
                ExpressionAttributeValues={":pk": {"S": WAITING_PARTITION}, **values},
            ):
                found.extend(_parked(item) for item in page["Items"])
        return found

    def forget(self, parked: ParkedToken) -> None:
        """Delete the waiter unless a newer wait of the same wave replaced its token meanwhile."""
        try:
            with aws_call("dynamodb:DeleteItem", {"ConditionalCheckFailedException": lambda _exc: _StaleToken()}):
                self._client.delete_item(
                    TableName=self._table,
                    Key=self._key(parked),
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues={":token": {"S": parked.token}},
                )
        except _StaleToken:
            return

    def mark_stalled(self, parked: ParkedToken, since: datetime | None) -> None:
        """Remember when this wave first saw the server stalled (None: it no longer is), so the
        grace period counts from there across passes. Only for the same token, never recreating a
        waiter another pass already completed and forgot."""
        if since is None:
            update, values = "REMOVE stalledSince", {":token": {"S": parked.token}}
        else:
            update = "SET stalledSince = :since"
            values = {":token": {"S": parked.token}, ":since": {"S": since.isoformat()}}
        try:
            with aws_call("dynamodb:UpdateItem", {"ConditionalCheckFailedException": lambda _exc: _StaleToken()}):
                self._client.update_item(
                    TableName=self._table,
                    Key=self._key(parked),
                    UpdateExpression=update,
                    ConditionExpression="#token = :token",
                    ExpressionAttributeNames={"#token": "token"},
                    ExpressionAttributeValues=values,
                )
        except _StaleToken:
            return

    @staticmethod
    def _key(parked: ParkedToken) -> dict[str, Any]:
        return {
            "pk": {"S": WAITING_PARTITION},
            "sk": {"S": _waiter_key(parked.source_server_id, parked.execution)},
        }


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


class ExecutionStatusAdapter:
    """Whether a wave still runs: a stopped wave's tokens are dropped without asking MGN."""

    def __init__(self, client: SFNClient) -> None:
        self._client = client

    def running(self, execution_arn: str) -> bool:
        try:
            with aws_call("states:DescribeExecution", {"ExecutionDoesNotExist": lambda _exc: _StaleToken()}):
                status = self._client.describe_execution(executionArn=execution_arn)["status"]
        except _StaleToken:
            return False
        return status == "RUNNING"
