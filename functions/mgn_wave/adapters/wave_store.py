"""Per-wave data that must stay out of the state machine's state (256 KiB per state, shared by a
whole wave of up to 1,000 servers): server lists as JSON objects in the wave bucket, each
server's result as one DynamoDB item."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.errors import aws_call
from mgn_wave.core.server_result import ServerResult

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_s3 import S3Client

MAX_BATCH_WRITE = 25  # DynamoDB BatchWriteItem limit
RESULT_TTL_SECONDS = 90 * 86_400  # the report in S3 is the record; the items only feed it


def results_key(execution_name: str) -> str:
    return f"RESULT#{execution_name}"


class WaveStore:
    def __init__(self, s3: S3Client, dynamodb: DynamoDBClient, bucket: str, table: str) -> None:
        self._s3 = s3
        self._dynamodb = dynamodb
        self.bucket = bucket
        self._table = table

    # -- lists in S3 -----------------------------------------------------------------------------

    def put_text(self, key: str, body: str, content_type: str) -> None:
        with aws_call("s3:PutObject"):
            self._s3.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body.encode("utf-8"),
                ContentType=content_type,
                # Explicit, so the object is encrypted whatever the bucket default becomes.
                ServerSideEncryption="AES256",
            )

    def put_list(self, key: str, items: list[dict[str, Any]]) -> None:
        self.put_text(key, json.dumps(items), "application/json")

    def get_text(self, key: str) -> str:
        with aws_call("s3:GetObject"):
            body = self._s3.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        return body.decode("utf-8")

    def get_list(self, key: str) -> list[dict[str, Any]]:
        items = json.loads(self.get_text(key))
        if not isinstance(items, list):
            raise ValueError(f"s3://{self.bucket}/{key} is not a JSON list")
        return items

    # -- results in DynamoDB ---------------------------------------------------------------------

    def record(self, execution_name: str, results: Iterable[ServerResult], expires_at: int) -> None:
        requests = [
            {
                "PutRequest": {
                    "Item": {
                        "pk": {"S": results_key(execution_name)},
                        "sk": {"S": result.instance_id},
                        "result": {"S": result.model_dump_json(by_alias=True)},
                        "expiresAt": {"N": str(expires_at)},
                    }
                }
            }
            for result in results
        ]
        for start in range(0, len(requests), MAX_BATCH_WRITE):
            pending: list[Any] = requests[start : start + MAX_BATCH_WRITE]
            while pending:
                with aws_call("dynamodb:BatchWriteItem"):
                    answer = self._dynamodb.batch_write_item(RequestItems={self._table: pending})
                # Throttled items come back unprocessed: send them again (the SDK already backed off).
                pending = list(answer.get("UnprocessedItems", {}).get(self._table, []))

    def results(self, execution_name: str) -> list[ServerResult]:
        found: list[ServerResult] = []
        with aws_call("dynamodb:Query"):
            for page in self._dynamodb.get_paginator("query").paginate(
                TableName=self._table,
                KeyConditionExpression="pk = :pk",
                ExpressionAttributeValues={":pk": {"S": results_key(execution_name)}},
            ):
                found.extend(ServerResult.model_validate_json(item["result"]["S"]) for item in page["Items"])
        return found
