"""Where moto, run in process by many threads, differs from AWS in ways a wave notices.

Thread safety: moto's DynamoDB iterates a table's items while another thread may add one (a
Distributed Map child's RecordResult `putItem` during a handler's `query`), and the query fails
with "dictionary changed size during iteration" — an error DynamoDB never gives. Its requests are
serialized here; each DynamoDB request is atomic on AWS as well.

Cost: moto's ASL interpreter parses every JSONPath with a freshly built parser (ply builds its LR
tables each time) and creates a new boto3 client for every Task state it runs. Both results are
pure functions of their arguments — a parsed path is never mutated, a boto3 client is
thread-safe — so caching them changes no behaviour, only CPU: about a quarter of a large wave's.
"""

from __future__ import annotations

import functools
import sys
import threading
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

import jsonpath_ng.ext.parser
import jsonpath_ng.parser
from moto.dynamodb.responses import DynamoHandler
from moto.stepfunctions.parser.asl.parse import preprocessor  # noqa: F401 (imports every engine module)
from moto.stepfunctions.parser.asl.utils import boto_client

if TYPE_CHECKING:
    from botocore.client import BaseClient

_ENGINE_PACKAGE = "moto.stepfunctions.parser"


def _cached_clients(original: Any) -> Any:
    # moto's factory ignores `state_credentials` (its clients sign with fixed test keys), so one
    # client per Region and service is exactly what every call would have built.
    @functools.cache
    def shared(region: str, service: str) -> BaseClient:
        return cast("BaseClient", original(region, service))

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
        return shared(region, service)

    return boto_client_for


def _serialized(call_action: Any) -> Any:
    lock = threading.RLock()

    @functools.wraps(call_action)
    def one_at_a_time(handler: DynamoHandler) -> Any:
        with lock:
            return call_action(handler)

    return one_at_a_time


def engine_patches() -> list[Any]:
    """Patches (not started): DynamoDB one request at a time, and the caches for every engine
    module that holds the parser or the client factory under its own name."""
    replacements = {
        id(jsonpath_ng.ext.parser.parse): functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parser.parse),
        id(jsonpath_ng.parser.parse): functools.lru_cache(maxsize=4096)(jsonpath_ng.parser.parse),
        id(boto_client.boto_client_for): _cached_clients(boto_client.boto_client_for),
    }
    patches = [mock.patch.object(DynamoHandler, "call_action", _serialized(DynamoHandler.call_action))]
    for name, module in list(sys.modules.items()):
        if not name.startswith(_ENGINE_PACKAGE) or module is None:
            continue
        for attribute in ("parse", "boto_client_for"):
            current = getattr(module, attribute, None)
            if current is not None and id(current) in replacements:
                patches.append(mock.patch.object(module, attribute, replacements[id(current)]))
    return patches
