"""The patches that put moto's ASL engine on the virtual clock cover every place it blocks.

A moto upgrade that waits somewhere new (a Condition, a queue, a sleep in another module) would
let an engine thread block outside the clock's accounting: the clock would then wait for it
forever, or a wave's verdict would depend on it. These tests fail first, naming the module."""

from __future__ import annotations

import importlib
import json
import re
import threading
import time
from pathlib import Path
from typing import Any
from unittest import mock

import boto3
import botocore.endpoint
import moto.core.responses as moto_responses
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

from mgn_wave_emu.clock import VirtualClock, VirtualEvent
from mgn_wave_emu.engine_patches import (
    ENGINE_BLOCKING_CALLS,
    ENGINE_PACKAGE,
    NOT_LOADED,
    _method_names_once,
    engine_modules,
    engine_patches,
    engine_time_patches,
)

# What can block a thread or start one, as it is written in moto's source.
_BLOCKING = re.compile(
    r"threading\.(?:Thread|Event|Condition|Semaphore|BoundedSemaphore|Barrier|Timer)\b"
    r"|(?<![\w.])(?:Thread|Event)\("
    r"|time\.sleep\b|\.wait\(|\.join\(|\bqueue\.|\bThreadPoolExecutor\b|\bselect\.|\basyncio\b"
)
# `.join(` of strings is not a thread's join.
_STRING_JOIN = re.compile(r"""(?:["']|\bstr)\s*\.join\(|\)\.join\(""")


def _blocking_calls_in_engine() -> dict[str, set[str]]:
    """Every module file of the engine package, read (not imported: some cannot be)."""
    root = Path(importlib.import_module(ENGINE_PACKAGE).__file__ or "").parent
    found: dict[str, set[str]] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root).with_suffix("")
        if relative.parts[:2] == ("asl", "antlr"):
            continue  # the generated parser: no threads
        source = path.read_text(encoding="utf-8")
        calls: set[str] = set()
        for line in source.splitlines():
            code = line.split("#", 1)[0]
            if _STRING_JOIN.search(code):
                code = _STRING_JOIN.sub("", code)
            calls.update(match.group(0).rstrip("\\b") for match in _BLOCKING.finditer(code))
        if calls:
            found[".".join(part for part in relative.parts if part != "__init__")] = calls
    return found


def test_every_place_the_engine_blocks_is_one_the_patches_know() -> None:
    # Given: moto's engine as installed
    # When: its source is read for every way to block or start a thread
    found = _blocking_calls_in_engine()
    # Then: the same modules and the same primitives as when the patches were written
    assert found == ENGINE_BLOCKING_CALLS, (
        "moto's ASL engine now blocks differently: check each change against "
        "mgn_wave_emu/engine_patches.py and update ENGINE_BLOCKING_CALLS"
    )


def test_after_patching_no_engine_module_holds_a_real_thread_event_or_sleep() -> None:
    clock = VirtualClock()
    patches = engine_time_patches(clock)
    for patch in patches:
        patch.start()
    try:
        for module in engine_modules():
            assert getattr(module, "threading", None) is not threading, module.__name__
            assert getattr(module, "Thread", None) is not threading.Thread, module.__name__
            assert getattr(module, "Event", None) is not threading.Event, module.__name__
            assert getattr(module, "time", None) is not time, module.__name__
        job = importlib.import_module(f"{ENGINE_PACKAGE}.asl.component.state.exec.state_map.iteration.job")
        assert isinstance(job.threading.Event(), VirtualEvent)
    finally:
        for patch in reversed(patches):
            patch.stop()


@pytest.mark.parametrize("name", sorted(ENGINE_BLOCKING_CALLS.keys() - NOT_LOADED))
def test_each_blocking_module_is_loaded_and_patched(name: str) -> None:
    loaded = {module.__name__ for module in engine_modules()}
    assert f"{ENGINE_PACKAGE}.{name}" in loaded


def test_a_definition_is_parsed_once_to_validate_and_an_invalid_one_fails_every_time() -> None:
    # Given: moto with the emulator's engine patches, counting the parses of its ASL parser
    parses: list[str] = []
    original_parse = AmazonStateLanguageParser.parse

    def counting_parse(definition: str) -> Any:
        parses.append(definition)
        return original_parse(definition)

    valid = json.dumps({"StartAt": "Done", "States": {"Done": {"Type": "Succeed"}}})
    invalid = json.dumps({"StartAt": "Nowhere", "States": {"Done": {"Type": "Nope"}}})
    patches = [p for p in engine_patches(VirtualClock()) if getattr(p, "attribute", "") == "_validate_definition"]
    assert len(patches) == 1
    with (
        mock_aws(config={"stepfunctions": {"execute_state_machine": True}}),
        mock.patch.object(AmazonStateLanguageParser, "parse", counting_parse),
        patches[0],
    ):
        sfn = boto3.client("stepfunctions", region_name="us-east-1")
        role = "arn:aws:iam::123456789012:role/sfn"
        # When: the same valid definition is deployed three times, the invalid one twice
        for name in ("a", "b", "c"):
            sfn.create_state_machine(name=name, definition=valid, roleArn=role)
        refused = []
        for name in ("d", "e"):
            with pytest.raises(ClientError) as error:
                sfn.create_state_machine(name=name, definition=invalid, roleArn=role)
            refused.append(str(error.value))
        created = [machine["name"] for machine in sfn.list_state_machines()["stateMachines"]]
    # Then: the valid one was parsed once; the invalid one was parsed and refused each time
    assert parses.count(valid) <= 1
    assert parses.count(invalid) == 2
    assert all("ASLParserException" in why and "Nope" in why for why in refused)
    assert created == ["a", "b", "c"]


def test_a_throttled_calls_backoff_costs_no_wall_time() -> None:
    # botocore sleeps between the attempts of a throttled call; inside the emulation that sleep
    # held the clock still and cost real seconds (two minutes of a throttled wave).
    patches = engine_patches(VirtualClock())
    for patch in patches:
        patch.start()
    try:
        with mock.patch("time.sleep") as real_sleep:
            botocore.endpoint.time.sleep(20)
            assert botocore.endpoint.time.monotonic() > 0  # the rest of `time` is the real one
        real_sleep.assert_not_called()
    finally:
        for patch in reversed(patches):
            patch.stop()
    assert botocore.endpoint.time is time


def test_moto_lists_a_response_classs_methods_once_and_still_finds_every_action() -> None:
    # Given: moto's handler lookup, counted, behind the emulator's once-per-class cache
    listings: list[object] = []
    original = moto_responses.method_names_from_class

    def counting(response_class: object) -> list[str]:
        listings.append(response_class)
        return original(response_class)

    patches = [p for p in engine_patches(VirtualClock()) if getattr(p, "attribute", "") == "method_names_from_class"]
    # moto's call_action looks the name up in moto.core.responses: a move breaks the patch here
    assert [p.getter() for p in patches] == [moto_responses]
    with mock_aws(), mock.patch.object(moto_responses, "method_names_from_class", _method_names_once(counting)):
        sqs = boto3.client("sqs", region_name="us-east-1")
        # When: three requests reach the same response class
        url = sqs.create_queue(QueueName="q")["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody="m")
        received = sqs.receive_message(QueueUrl=url)["Messages"]
    # Then: every action was dispatched, and the class's methods were listed once
    assert [m["Body"] for m in received] == ["m"]
    assert len(listings) == 1
