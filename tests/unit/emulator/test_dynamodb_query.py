"""The emulator's DynamoDB Query reads one partition (engine_patches.dynamodb_query_patches): it
answers every Query the way moto's own Query does, page for page, and its work no longer grows
with the rest of the table (a 1,000-server wave queried each server's waiters in a table of
thousands of items, and every Query read and sorted all of them)."""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Any
from unittest import mock

import boto3
import pytest
from moto import mock_aws
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table

from mgn_wave_emu.engine_patches import dynamodb_query_patches

if TYPE_CHECKING:
    from collections.abc import Iterator

TABLE = "state"
BIG = "x" * 300_000  # three of these pass DynamoDB's 1 MB page


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName=TABLE,
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            BillingMode="PAY_PER_REQUEST",
        )
        for server in range(40):
            for wave in range(3):
                item = {
                    "pk": {"S": "WAITING"},
                    "sk": {"S": f"s-{server:03d}#{wave}"},
                    "token": {"S": f"token-{server}-{wave}"},
                    "n": {"N": str(server * wave)},
                }
                client.put_item(TableName=TABLE, Item=item)
        for wave in range(5):
            client.put_item(
                TableName=TABLE, Item={"pk": {"S": "WAVE#big"}, "sk": {"S": f"r{wave}"}, "blob": {"S": BIG}}
            )
        client.put_item(TableName=TABLE, Item={"pk": {"S": "OTHER"}, "sk": {"S": "s-001#0"}, "token": {"S": "not-me"}})
        for kind, value in RICH_VALUES.items():
            client.put_item(TableName=TABLE, Item={"pk": {"S": "RICH"}, "sk": {"S": kind}, "value": value})
        yield client


# Every AttributeValue type, nested too: what the items of an answer are written as.
RICH_VALUES: dict[str, dict[str, Any]] = {
    "string": {"S": "héllo"},
    "empty string": {"S": ""},
    "number": {"N": "-12.50"},
    "bool": {"BOOL": False},
    "null": {"NULL": True},
    "string set": {"SS": ["a", "b"]},
    "number set": {"NS": ["1", "2.5"]},
    "binary": {"B": b"\x00\xffbytes"},
    "binary set": {"BS": [b"one", b"two"]},
    "list": {"L": [{"S": "x"}, {"N": "1"}, {"L": [{"BOOL": True}]}, {"M": {"k": {"NULL": True}}}]},
    "map": {"M": {"a": {"S": "x"}, "b": {"M": {"c": {"SS": ["y"]}}}, "d": {"L": []}}},
    "map with binary": {"M": {"blob": {"B": b"\x01"}, "s": {"S": "t"}}},
}

QUERIES: dict[str, dict[str, Any]] = {
    "one partition": {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "WAITING"}}},
    "begins_with": {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": "WAITING"}, ":p": {"S": "s-001#"}},
    },
    "between, backwards": {
        "KeyConditionExpression": "pk = :pk AND sk BETWEEN :a AND :b",
        "ExpressionAttributeValues": {":pk": {"S": "WAITING"}, ":a": {"S": "s-010"}, ":b": {"S": "s-020"}},
        "ScanIndexForward": False,
    },
    "less than, filtered, projected": {
        "KeyConditionExpression": "pk = :pk AND sk < :b",
        "FilterExpression": "n > :zero",
        "ProjectionExpression": "sk, #token",
        "ExpressionAttributeNames": {"#token": "token"},
        "ExpressionAttributeValues": {":pk": {"S": "WAITING"}, ":b": {"S": "s-030"}, ":zero": {"N": "0"}},
    },
    "pages of Limit": {
        "KeyConditionExpression": "pk = :pk AND sk >= :a",
        "ExpressionAttributeValues": {":pk": {"S": "WAITING"}, ":a": {"S": "s-035"}},
        "Limit": 4,
    },
    "pages of 1 MB": {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "WAVE#big"}}},
    "count": {
        "KeyConditionExpression": "pk = :pk AND begins_with(sk, :p)",
        "ExpressionAttributeValues": {":pk": {"S": "WAITING"}, ":p": {"S": "s-00"}},
        "Select": "COUNT",
    },
    "every type": {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "RICH"}}},
    "no such partition": {"KeyConditionExpression": "pk = :pk", "ExpressionAttributeValues": {":pk": {"S": "NONE"}}},
}


def _pages(client: Any, query: dict[str, Any]) -> list[dict[str, Any]]:
    pages = []
    for page in client.get_paginator("query").paginate(TableName=TABLE, **query):
        page.pop("ResponseMetadata")
        pages.append(page)
    return pages


@pytest.mark.parametrize("name", sorted(QUERIES))
def test_a_query_reading_one_partition_answers_as_moto_does(dynamodb: Any, name: str) -> None:
    # Given: moto's own answer, every page of it
    expected = _pages(dynamodb, QUERIES[name])
    # When: the same Query runs with the emulator's one-partition Query
    patches = dynamodb_query_patches()
    for patch in patches:
        patch.start()
    try:
        answered = _pages(dynamodb, QUERIES[name])
    finally:
        for patch in reversed(patches):
            patch.stop()
    # Then: the same items, in the same order, on the same pages, with the same keys to go on from
    assert answered == expected
    if name == "every type":
        assert {item["sk"]["S"]: item["value"] for item in answered[0]["Items"]} == RICH_VALUES
    assert answered  # at least one page, even for no items


def test_a_query_reads_no_item_outside_its_key_condition(dynamodb: Any) -> None:
    # Given: a table of 126 items; one server's waiters are three of them
    measured: list[Item] = []
    original_size = Item.size

    def counting_size(item: Item) -> int:
        measured.append(item)
        return original_size(item)

    patches = dynamodb_query_patches()
    for patch in patches:
        patch.start()
    try:
        # When: its waiters are queried
        with mock.patch.object(Item, "size", counting_size):
            found = _pages(dynamodb, QUERIES["begins_with"])
    finally:
        for patch in reversed(patches):
            patch.stop()
    # Then: only those three were read (moto alone measures every item of the partition)
    assert [item["token"]["S"] for item in found[0]["Items"]] == ["token-1-0", "token-1-1", "token-1-2"]
    assert {item.attrs["sk"].value for item in measured} == {"s-001#0", "s-001#1", "s-001#2"}


def test_the_one_partition_query_takes_moto_s_arguments_as_moto_names_them() -> None:
    # A moto upgrade that changes Table.query's parameters must fail here, not pass them wrongly.
    patched = dynamodb_query_patches()[0].new
    code = patched.__code__
    ours = ["self", *code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount], "filter_kwargs"]
    assert ours == list(inspect.signature(Table.query).parameters)
