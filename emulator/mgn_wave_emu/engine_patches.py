"""Where moto, run in process by many threads, differs from AWS in ways a wave notices.

Time: the ASL engine runs each execution, Map iteration, Parallel branch and timed task in a
thread of its own and waits with `threading.Event`, `Thread.join(timeout)` and `time.sleep`.
Every engine module's `threading`, `Thread`, `Event` and `time` is replaced here by the virtual
clock's: engine threads are the clock's actors, their waits are waits on virtual time, and the
clock moves only when every one of them waits (see `clock.py`). `ENGINE_BLOCKING_CALLS` lists
what these patches cover; tests/unit/emulator/test_engine_patches.py fails when a moto upgrade
blocks somewhere else.

Thread safety: moto's DynamoDB iterates a table's items while another thread may add one (a
Distributed Map child's RecordResult `putItem` during a handler's `query`), and the query fails
with "dictionary changed size during iteration" — an error DynamoDB never gives. Its requests are
serialized here; each DynamoDB request is atomic on AWS as well.

Cost: moto's ASL interpreter parses every JSONPath with a freshly built parser (ply builds its LR
tables each time) and creates a new boto3 client for every Task state it runs. Both results are
pure functions of their arguments — a parsed path is never mutated, a boto3 client is
thread-safe — so caching them changes no behaviour, only CPU: about a quarter of a large wave's.
moto's DynamoDB Query reads and sorts every item of the table, and measures each item of the
partition against the 1 MB page, to answer for one partition and one sort-key range; a wave's
event batch queries each server's waiters (`begins_with`) in a partition of a thousand tokens,
which made a 1,000-server wave quadratic. `_one_partition_queries` hands moto's own Query only
the items its key condition selects — what DynamoDB reads for it — sorted as moto sorts them.
moto then writes each item of the answer through its generic response serializer, which looks
up every one of an AttributeValue's ten members under several aliases: about 1 ms per item, a
second for the watch's Query of a thousand waiters. `_items_as_they_are` writes an AttributeValue
that is already its own wire form (strings, numbers as strings, booleans, lists and maps of
those) as it is, exactly what the serializer makes of it; binary values still go through moto.
Every request moto answers lists the public methods of its response class with
`inspect.getmembers` to find the action's handler (about a fifth of a DynamoDB PutItem's CPU); a
class's methods do not change while it serves, so the list is made once per class.
CreateStateMachine validates a definition by parsing it with the ANTLR parser (about 0.2 s for
MigrateWave's), and every test deploys the same few definitions: a definition that parsed once
parses again, so it is validated once per process (one that fails fails every time).

Retries: botocore backs off between the attempts of a throttled call with `time.sleep` in
`botocore.endpoint`: a real sleep inside an actor, which holds the clock still, so the backoff
passed no virtual time and cost real seconds (two minutes of a throttled wave's wall time).
`_instant_backoff` keeps the virtual semantics and drops the wall time. A backoff in virtual time
would deadlock: the Lambda router runs one invocation at a time, and an actor waiting for the
router's lock is runnable, so the clock could never reach the sleeper's deadline.
"""

from __future__ import annotations

import functools
import importlib
import sys
import threading
import time
from typing import TYPE_CHECKING, Any, cast
from unittest import mock

import botocore.endpoint
import jsonpath_ng.ext.parser
import jsonpath_ng.parser
import moto.core.responses as moto_responses
from moto.core.serialize import BaseJSONSerializer
from moto.dynamodb.comparisons import get_comparison_func
from moto.dynamodb.models.dynamo_type import Item
from moto.dynamodb.models.table import Table
from moto.dynamodb.responses import DynamoHandler
from moto.stepfunctions.parser.asl.parse import preprocessor  # noqa: F401 (imports every engine module)
from moto.stepfunctions.parser.asl.utils import boto_client
from moto.stepfunctions.parser.models import StepFunctionsParserBackend

from mgn_wave_emu.clock import VirtualClock, VirtualEvent, actor_thread_class

if TYPE_CHECKING:
    from collections.abc import Callable

    from botocore.client import BaseClient

ENGINE_PACKAGE = "moto.stepfunctions.parser"

# Every place moto's engine blocks or starts a thread, by module (relative to ENGINE_PACKAGE):
# all of them go through a name the patches below replace. CountDownLatch (a Condition) is
# defined but used nowhere; a use of it would keep its waiter runnable and stall the clock rather
# than let it jump.
ENGINE_BLOCKING_CALLS: dict[str, set[str]] = {
    "asl.component.common.retry.retrier_decl": {"time.sleep"},
    "asl.component.program.program": {"threading.Thread", ".join("},
    "asl.component.test_state.program.test_state_program": {"threading.Thread", ".join("},
    "asl.component.state.exec.state_map.iteration.inline_iteration_component": {"threading.Thread"},
    "asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record": {"threading.Event"},
    "asl.component.state.exec.state_map.iteration.job": {"threading.Event", ".wait("},
    "asl.component.state.exec.state_task.service.state_task_service_callback": {
        "threading.Thread",
        "time.sleep",
        ".wait(",
    },
    "asl.component.state.exec.state_task.state_task_activitiy": {".wait("},
    "asl.component.state.exec.state_parallel.branch_worker": {"threading.Thread"},
    "asl.component.state.exec.state_parallel.branches_decl": {"threading.Event", ".wait("},
    "asl.component.state.exec.execute_state": {"threading.Event", "Thread(", ".wait("},
    "asl.component.state.wait.wait_function.wait_function": {".wait("},
    "asl.eval.count_down_latch": {"threading.Condition", ".wait("},
    "asl.eval.environment": {"threading.Event"},
    "asl.eval.callback.callback": {"Event(", ".wait("},
    "provider": {"time.sleep"},  # never loaded: see NOT_LOADED
    "backend.execution_worker": {"Thread("},
    "backend.test_state.execution": {"threading.Event"},
}


def _cached_clients(original: Any) -> Any:
    # moto's factory ignores `state_credentials` (its clients sign with fixed test keys), so one
    # client per Region and service is exactly what every call would have built.
    @functools.cache
    def shared(region: str, service: str) -> BaseClient:
        return cast("BaseClient", original(region, service))

    def boto_client_for(region: str, service: str, state_credentials: Any = None) -> BaseClient:
        return shared(region, service)

    return boto_client_for


def _method_names_once(method_names_from_class: Callable[[object], list[str]]) -> Callable[[object], list[str]]:
    @functools.cache
    def per_class(response_class: object) -> tuple[str, ...]:
        return tuple(method_names_from_class(response_class))

    @functools.wraps(method_names_from_class)
    def method_names(response_class: object) -> list[str]:
        return list(per_class(response_class))

    return method_names


def _serialized(call_action: Any) -> Any:
    lock = threading.RLock()

    @functools.wraps(call_action)
    def one_at_a_time(handler: DynamoHandler) -> Any:
        with lock:
            return call_action(handler)

    return one_at_a_time


_query_scope = threading.local()


def _one_partition_queries(query: Any, all_items: Any) -> tuple[Any, Any]:
    """`Table.query` and `Table.all_items` such that a Query on a table's key (no index, no legacy
    KeyConditions filter) sees only the items of its partition that its sort-key condition selects.
    moto's Query then pages, filters and projects them as before: the same items, the same order,
    the same LastEvaluatedKey; its 1 MB page counts only items the key condition selects, as
    DynamoDB's does (docs/aws-facts.md, "DynamoDB Query"), where moto also counted the ones it skips."""

    @functools.wraps(query)
    def query_one_partition(  # noqa: PLR0917 - moto's signature, argument for argument
        table: Table,
        hash_key: Any,
        range_comparison: str | None,
        range_objs: list[Any],
        limit: int,
        exclusive_start_key: dict[str, Any],
        scan_index_forward: bool,
        projection_expressions: list[list[str]] | None,
        index_name: str | None = None,
        consistent_read: bool = False,
        filter_expression: Any = None,
        hash_key_conditions: list[tuple[str, Any]] | None = None,
        range_key_conditions: list[tuple[str, str, list[Any]]] | None = None,
        **filter_kwargs: Any,
    ) -> Any:
        plain = (
            index_name is None
            and not filter_kwargs
            and hash_key is not None
            and table.range_key_attr is not None
            and len(range_key_conditions or ()) <= 1
        )
        _query_scope.partition = (table, hash_key, range_comparison, range_objs) if plain else None
        try:
            return query(
                table,
                hash_key,
                range_comparison,
                range_objs,
                limit,
                exclusive_start_key,
                scan_index_forward,
                projection_expressions,
                index_name,
                consistent_read,
                filter_expression,
                hash_key_conditions=hash_key_conditions,
                range_key_conditions=range_key_conditions,
                **filter_kwargs,
            )
        finally:
            _query_scope.partition = None

    @functools.wraps(all_items)
    def partition_items(table: Table) -> list[Item]:
        scope = getattr(_query_scope, "partition", None)
        if scope is None or scope[0] is not table:
            return list(all_items(table))
        _table, hash_key, comparison, range_objs = scope
        items = [item for item in table.items.get(hash_key, {}).values() if isinstance(item, Item)]
        if comparison is not None:
            # DynamoType.compare, with its comparison function and operands looked up once per
            # Query rather than once per item (an event's Query walks a 1,000-waiter partition).
            matches = get_comparison_func(comparison)
            operands = [operand.cast_value for operand in range_objs]
            items = [i for i in items if i.range_key is not None and matches(i.range_key.cast_value, *operands)]
        return sorted(items, key=lambda item: item.range_key)

    return query_one_partition, partition_items


_DYNAMODB_SERVICES = frozenset({"dynamodb", "dynamodbstreams"})


def _wire_form(value: Any) -> bool:
    """Whether a DynamoDB AttributeValue is already what moto's serializer would write: one type
    key, and no binary (B, BS: base64 on the wire) anywhere in it."""
    if not isinstance(value, dict) or len(value) != 1:
        return False
    ((kind, inner),) = value.items()
    check = _WIRE_FORMS.get(kind)
    return check is not None and check(inner)


_WIRE_FORMS: dict[str, Callable[[Any], bool]] = {
    "S": lambda inner: isinstance(inner, str),
    "N": lambda inner: isinstance(inner, str),
    "BOOL": lambda inner: isinstance(inner, bool),
    "NULL": lambda inner: isinstance(inner, bool),
    "SS": lambda inner: isinstance(inner, list) and all(isinstance(member, str) for member in inner),
    "NS": lambda inner: isinstance(inner, list) and all(isinstance(member, str) for member in inner),
    "L": lambda inner: isinstance(inner, list) and all(_wire_form(member) for member in inner),
    "M": lambda inner: isinstance(inner, dict) and all(isinstance(k, str) and _wire_form(v) for k, v in inner.items()),
}


def _items_as_they_are(serialize_structure: Any) -> Any:
    @functools.wraps(serialize_structure)
    def serialize(serializer: BaseJSONSerializer, serialized: Any, value: Any, shape: Any, key: str) -> None:
        if (
            key
            and shape.name == "AttributeValue"
            and serializer.operation_model.service_model.service_name in _DYNAMODB_SERVICES
            and _wire_form(value)
        ):
            serialized[serializer.get_serialized_name(shape, key)] = value
            return
        serialize_structure(serializer, serialized, value, shape, key)

    return serialize


_VALID_DEFINITIONS: set[str] = set()


def _validated_once(validate: Any) -> Any:
    @functools.wraps(validate)
    def validate_once(definition: str) -> None:
        if definition in _VALID_DEFINITIONS:
            return
        validate(definition)  # raises InvalidDefinition: not remembered
        _VALID_DEFINITIONS.add(definition)

    return staticmethod(validate_once)


def dynamodb_query_patches() -> list[Any]:
    """Patches (not started): moto's Query reads one partition (`_one_partition_queries`), and
    its answers write their items as they are (`_items_as_they_are`)."""
    query, all_items = _one_partition_queries(Table.query, Table.all_items)
    return [
        mock.patch.object(Table, "query", query),
        mock.patch.object(Table, "all_items", all_items),
        mock.patch.object(
            BaseJSONSerializer,
            "_serialize_type_structure",
            _items_as_they_are(BaseJSONSerializer._serialize_type_structure),
        ),
    ]


# Engine modules moto never imports (LocalStack's provider, whose API moto serves with its own
# responses): not patched, since they cannot run.
NOT_LOADED = {"provider"}


class _VirtualTime:
    """The `time` module, with `sleep` on the virtual clock."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock

    def sleep(self, seconds: float) -> None:
        self._clock.sleep(seconds)

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _InstantBackoff:
    """botocore.endpoint's `time`: a retry goes again at once (see the module's docstring)."""

    def sleep(self, seconds: float) -> None:
        del seconds

    def __getattr__(self, name: str) -> Any:
        return getattr(time, name)


class _VirtualThreading:
    """The `threading` module, with the engine's threads and events on the virtual clock."""

    def __init__(self, clock: VirtualClock) -> None:
        self._clock = clock
        self.Thread = actor_thread_class(clock)

    def Event(self) -> VirtualEvent:  # noqa: N802 - mirrors threading.Event
        return VirtualEvent(self._clock)

    def __getattr__(self, name: str) -> Any:
        return getattr(threading, name)


def engine_time_patches(clock: VirtualClock) -> list[Any]:
    """Patches (not started) putting every engine module's threads, events and sleeps on `clock`."""
    virtual_threading = _VirtualThreading(clock)
    replacements: dict[int, Any] = {
        id(threading): virtual_threading,
        id(threading.Thread): virtual_threading.Thread,
        id(threading.Event): virtual_threading.Event,
        id(time): _VirtualTime(clock),
    }
    patches = []
    for module in engine_modules():
        for attribute in ("threading", "Thread", "Event", "time"):
            current = getattr(module, attribute, None)
            if current is not None and id(current) in replacements:
                patches.append(mock.patch.object(module, attribute, replacements[id(current)]))
    return patches


def engine_modules() -> list[Any]:
    """Every loaded module of moto's ASL engine, those that block first of all (the preprocessor
    import above loads the interpreter; the execution worker is loaded on first use)."""
    for name in ENGINE_BLOCKING_CALLS.keys() - NOT_LOADED:
        importlib.import_module(f"{ENGINE_PACKAGE}.{name}")
    return [
        module
        for name, module in sorted(sys.modules.items())
        if (name == ENGINE_PACKAGE or name.startswith(ENGINE_PACKAGE + ".")) and module is not None
    ]


def engine_patches(clock: VirtualClock) -> list[Any]:
    """Patches (not started): the engine on the virtual clock, DynamoDB one request at a time, and
    the caches for every engine module that holds the parser or the client factory under its own
    name."""
    replacements = {
        id(jsonpath_ng.ext.parser.parse): functools.lru_cache(maxsize=4096)(jsonpath_ng.ext.parser.parse),
        id(jsonpath_ng.parser.parse): functools.lru_cache(maxsize=4096)(jsonpath_ng.parser.parse),
        id(boto_client.boto_client_for): _cached_clients(boto_client.boto_client_for),
    }
    listing = moto_responses.method_names_from_class
    patches = [
        *engine_time_patches(clock),
        mock.patch.object(botocore.endpoint, "time", _InstantBackoff()),
        mock.patch.object(DynamoHandler, "call_action", _serialized(DynamoHandler.call_action)),
        *dynamodb_query_patches(),
        mock.patch.object(moto_responses, "method_names_from_class", _method_names_once(listing)),
        mock.patch.object(
            StepFunctionsParserBackend,
            "_validate_definition",
            _validated_once(StepFunctionsParserBackend._validate_definition),
        ),
    ]
    for module in engine_modules():
        for attribute in ("parse", "boto_client_for"):
            current = getattr(module, attribute, None)
            if current is not None and id(current) in replacements:
                patches.append(mock.patch.object(module, attribute, replacements[id(current)]))
    return patches
