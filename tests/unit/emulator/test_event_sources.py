"""The emulated SQS event source and schedules keep Lambda's documented limits and behaviour:
batch size and window limits at deploy, batches at the size or after the (low-traffic) wait,
redelivery after the visibility timeout, the dead-letter queue after maxReceiveCount; and a rule's
asynchronous invocation: its latency, duplicates, two retries a minute and two minutes apart, then
the function's dead-letter queue."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest

from mgn_wave_emu.clock import VirtualClock
from mgn_wave_emu.event_sources import (
    ASYNC_DELIVERY_SECONDS,
    ASYNC_RETRY_DELAYS_SECONDS,
    LOW_TRAFFIC_WAIT_SECONDS,
    EventSources,
)
from mgn_wave_emu.stack import EmulatedFunction, EmulatedStack, load_template, resolve_stack

PARAMETERS = {
    "StagingVpcId": "vpc-0abc1234",
    "StagingSubnetId": "subnet-0def5678",
    "ReplicationSecurityGroupIds": "sg-0aaa1111",
    "SourceCidrs": "10.10.0.0/16",
}


@dataclass
class _Response:
    headers: dict[str, str]


@dataclass
class FakeLambdas:
    fail: bool = False
    calls: list[tuple[str, Any]] = field(default_factory=list)

    def invoke(self, function: EmulatedFunction, event: Any) -> _Response:
        self.calls.append((function.logical_id, event))
        return _Response({"X-Amz-Function-Error": "Unhandled"} if self.fail else {})


def _stack(template: dict[str, Any] | None = None) -> EmulatedStack:
    return resolve_stack(
        template or load_template(), parameters=PARAMETERS, region="us-east-1", account_id="123456789012"
    )


def _sources(lambdas: FakeLambdas) -> tuple[EventSources, VirtualClock]:
    clock = VirtualClock()
    sources = EventSources(_stack(), lambdas, clock)  # type: ignore[arg-type]
    sources.paused_schedules.add("TagReconcileFunction")  # as the harness does: these tests count the others
    clock.on_advance(sources.on_advance)
    return sources, clock


def _event(n: int) -> dict[str, Any]:
    return {"source": "aws.mgn", "detail-type": "MGN Source Server Data Replication Stalled Change", "id": str(n)}


def test_template_event_source_is_read_with_its_limits() -> None:
    (source,) = _stack().queue_sources
    assert (source.function, source.batch_size, source.window_seconds) == ("ReplicationEventFunction", 1000, 1)
    assert source.max_receive_count == 5


@pytest.mark.parametrize(
    ("batch_size", "window", "message"),
    [(11, 0, "needs MaximumBatchingWindowInSeconds >= 1"), (10_001, 1, "1 to 10000"), (10, 301, "0 to 300")],
)
def test_event_source_outside_lambdas_limits_is_refused_at_deploy(batch_size: int, window: int, message: str) -> None:
    template = copy.deepcopy(load_template())
    sqs = template["Resources"]["ReplicationEventFunction"]["Properties"]["Events"]["MgnEventBatches"]["Properties"]
    sqs.update({"BatchSize": batch_size, "MaximumBatchingWindowInSeconds": window})
    with pytest.raises(ValueError, match=message):
        _stack(template)


def test_a_burst_is_one_batch_and_a_lone_message_waits_the_low_traffic_worst_case() -> None:
    lambdas = FakeLambdas()
    sources, clock = _sources(lambdas)
    start = clock.now()
    for n in range(25):
        sources.send("ReplicationEventQueue", _event(n))
    assert sources.next_due() == start + timedelta(seconds=LOW_TRAFFIC_WAIT_SECONDS)
    clock.advance(LOW_TRAFFIC_WAIT_SECONDS - 1)
    assert lambdas.calls == []
    clock.advance(1)
    ((function, batch),) = lambdas.calls
    assert function == "ReplicationEventFunction" and len(batch["Records"]) == 25


def test_a_full_batch_goes_at_once_and_the_rest_waits() -> None:
    lambdas = FakeLambdas()
    sources, clock = _sources(lambdas)
    for n in range(2500):
        sources.send("ReplicationEventQueue", _event(n))
    clock.advance(0)
    assert [len(event["Records"]) for _, event in lambdas.calls] == [1000, 1000]
    clock.advance(LOW_TRAFFIC_WAIT_SECONDS)
    assert [len(event["Records"]) for _, event in lambdas.calls] == [1000, 1000, 500]


def test_a_failed_batch_comes_back_after_the_visibility_timeout_then_goes_to_the_dead_letter_queue() -> None:
    lambdas = FakeLambdas(fail=True)
    sources, clock = _sources(lambdas)
    sources.send("ReplicationEventQueue", _event(1))
    sources.paused_schedules.add("ReplicationWatchFunction")
    clock.advance(LOW_TRAFFIC_WAIT_SECONDS)
    assert len(lambdas.calls) == 1
    clock.advance(359)
    assert len(lambdas.calls) == 1  # invisible for VisibilityTimeout (360 s)
    for _ in range(4):
        clock.advance(360 + LOW_TRAFFIC_WAIT_SECONDS)
    assert len(lambdas.calls) == 5
    assert sources.dead_letters("ReplicationEventQueue") == [_event(1)]
    assert sources.next_due() is None  # the queue is empty (and the schedule paused)


def _ready(n: int) -> dict[str, Any]:
    return {"source": "aws.mgn", "detail-type": "MGN Source Server Lifecycle State Change", "id": str(n)}


def test_an_asynchronous_event_runs_alone_after_the_delivery_latency_not_in_a_batch() -> None:
    lambdas = FakeLambdas()
    sources, clock = _sources(lambdas)
    start = clock.now()
    sources.invoke_async("ReplicationReadyFunction", _ready(1))
    sources.invoke_async("ReplicationReadyFunction", _ready(2))
    assert sources.next_due() == start + timedelta(seconds=ASYNC_DELIVERY_SECONDS)
    assert ASYNC_DELIVERY_SECONDS < 1 < LOW_TRAFFIC_WAIT_SECONDS
    clock.advance(ASYNC_DELIVERY_SECONDS / 2)
    assert lambdas.calls == []
    clock.advance(ASYNC_DELIVERY_SECONDS / 2)
    assert lambdas.calls == [("ReplicationReadyFunction", _ready(1)), ("ReplicationReadyFunction", _ready(2))]


def test_an_asynchronous_event_may_run_more_than_once() -> None:
    lambdas = FakeLambdas()
    sources, clock = _sources(lambdas)
    sources.async_duplicates = 3  # Lambda's queue is at least once
    sources.invoke_async("LaunchEventFunction", _ready(1))
    clock.advance(1)
    assert lambdas.calls == [("LaunchEventFunction", _ready(1))] * 3


def test_a_failed_asynchronous_event_is_retried_twice_then_goes_to_the_dead_letter_queue() -> None:
    lambdas = FakeLambdas(fail=True)
    sources, clock = _sources(lambdas)
    sources.paused_schedules.add("ReplicationWatchFunction")
    sources.invoke_async("ReplicationReadyFunction", _ready(1))
    clock.advance(ASYNC_DELIVERY_SECONDS)
    assert len(lambdas.calls) == 1
    assert ASYNC_RETRY_DELAYS_SECONDS == (60, 120)
    clock.advance(59)
    assert len(lambdas.calls) == 1
    clock.advance(1)
    assert len(lambdas.calls) == 2
    clock.advance(119)
    assert len(lambdas.calls) == 2
    clock.advance(1)
    assert len(lambdas.calls) == 3
    assert sources.async_dead_letters == {"ReplicationReadyFunction": [_ready(1)]}
    assert sources.next_due() is None


def test_an_asynchronous_target_must_be_a_function_of_the_stack() -> None:
    sources, _clock = _sources(FakeLambdas())
    with pytest.raises(KeyError, match="NoSuchFunction"):
        sources.invoke_async("NoSuchFunction", _ready(1))


def test_the_watch_schedule_fires_every_interval() -> None:
    lambdas = FakeLambdas()
    _sources_unused, clock = _sources(lambdas)
    clock.advance(299)
    assert lambdas.calls == []
    clock.advance(1)
    clock.advance(300)
    assert [function for function, _ in lambdas.calls] == ["ReplicationWatchFunction"] * 2


def test_schedule_rate_must_be_valid() -> None:
    template = copy.deepcopy(load_template())
    schedule = template["Resources"]["ReplicationWatchFunction"]["Properties"]["Events"]["WatchSchedule"]["Properties"]
    schedule["Schedule"] = "rate(1 minutes)"
    with pytest.raises(ValueError, match="not a valid rate"):
        _stack(template)
