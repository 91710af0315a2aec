"""What invokes the stack's functions on its own, on the virtual clock: EventBridge schedules
(`rate(...)`), SQS queues read by Lambda event source mappings (batches), and EventBridge rules
that invoke a function asynchronously (one event per invocation).

Kept apart from the harness, which only registers `next_due` as a horizon and `on_advance` as a
clock listener: the clock driver jumps to the next schedule or batch like to any other change.

The SQS event source behaves as Lambda documents it (docs/aws-facts.md, "SQS event source"): a
batch goes out when it holds BatchSize messages, when the invocation payload would pass 6 MB, or
when the batching window ends; with a window and little traffic Lambda "might wait for up to 20
seconds", and the emulator takes that worst case (a batch that is not full waits the longer of
the window and 20 s). A failed batch becomes visible again after the queue's VisibilityTimeout;
after maxReceiveCount receives its messages move to the dead-letter queue.

An asynchronous invocation behaves as Lambda documents it (docs/aws-facts.md, "Asynchronous
invocation"): the event waits in the function's queue, then runs; a function error is retried
twice, one minute and then two minutes later, and after the last failure the event goes to the
function's dead-letter queue. The queue is at least once: `async_duplicates` delivers every event
that many times (a test's knob; AWS may do it at any time). AWS publishes no delivery latency;
the emulator takes ASYNC_DELIVERY_SECONDS from the event to the invocation (README, "Verify on a
real account").
"""

from __future__ import annotations

import json
import logging
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.lambda_router import LambdaRouter
    from mgn_wave_emu.stack import EmulatedQueueSource, EmulatedSchedule, EmulatedStack

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # a synchronous invocation's payload quota
LOW_TRAFFIC_WAIT_SECONDS = 20  # "Lambda might wait for up to 20 seconds" with a batch window
# EventBridge to the function's asynchronous queue to the handler: not published by AWS (the
# CloudWatch metrics IngestionToInvocationStartLatency and AsyncEventAge measure it on an account).
ASYNC_DELIVERY_SECONDS = 0.5
# "Lambda attempts to run it two more times, with a one-minute wait between the first two
# attempts, and two minutes between the second and third attempts."
ASYNC_RETRY_DELAYS_SECONDS = (60, 120)


@dataclass
class _Message:
    body: str
    sent: datetime
    visible_at: datetime
    receive_count: int = 0
    message_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def record(self, queue_arn: str) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "body": self.body,
            "attributes": {"ApproximateReceiveCount": str(self.receive_count)},
            "eventSource": "aws:sqs",
            "eventSourceARN": queue_arn,
        }


@dataclass
class _Queue:
    source: EmulatedQueueSource
    arn: str
    messages: list[_Message] = field(default_factory=list)
    dead_letters: list[_Message] = field(default_factory=list)

    def visible(self, now: datetime) -> list[_Message]:
        return [m for m in self.messages if m.visible_at <= now]

    def due_at(self) -> datetime | None:
        """When the next batch goes out: full (or at the payload quota) at once, else after the wait."""
        if not self.messages:
            return None
        first_visible = min(m.visible_at for m in self.messages)
        pending = sorted(self.messages, key=lambda m: m.visible_at)
        if len(pending) >= self.source.batch_size:
            return pending[self.source.batch_size - 1].visible_at
        wait = self.source.window_seconds
        if wait > 0:
            wait = max(wait, LOW_TRAFFIC_WAIT_SECONDS)
        return first_visible + timedelta(seconds=wait)


@dataclass
class _AsyncEvent:
    """One event in a function's asynchronous invocation queue."""

    function: str  # logical ID
    event: dict[str, Any]
    due: datetime
    attempt: int = 0  # failed attempts so far


@dataclass
class _Schedule:
    schedule: EmulatedSchedule
    next_at: datetime


class EventSources:
    """The stack's schedules and queue-fed functions, driven by the virtual clock."""

    def __init__(self, stack: EmulatedStack, lambdas: LambdaRouter, clock: VirtualClock) -> None:
        self._stack = stack
        self._lambdas = lambdas
        self._clock = clock
        self._lock = threading.RLock()
        now = clock.now()
        # A schedule's first run is one period after it is created, as for a rate() rule.
        self._schedules = [_Schedule(s, now + timedelta(seconds=s.every_seconds)) for s in stack.schedules]
        self.paused_schedules: set[str] = set()  # functions whose schedule is disabled (a test's knob)
        self._queues = {
            source.queue: _Queue(
                source, f"arn:aws:sqs:{stack.region}:{stack.account_id}:{stack.stack_name}-{source.queue}"
            )
            for source in stack.queue_sources
        }
        self.batches: list[tuple[str, int]] = []  # (function logical ID, records) per delivery
        self._async: list[_AsyncEvent] = []
        self.async_duplicates = 1  # every asynchronous event runs this many times (at least once)
        self.async_dead_letters: dict[str, list[dict[str, Any]]] = {}  # function -> events given up on

    # -- EventBridge rules that invoke a function -----------------------------------------------

    def invoke_async(self, function: str, event: dict[str, Any]) -> None:
        """EventBridge invokes `function` (logical ID) asynchronously: Lambda queues the event and
        runs it ASYNC_DELIVERY_SECONDS later (each duplicate as its own invocation)."""
        if function not in self._stack.functions:
            raise KeyError(f"no function {function} in the stack")
        with self._lock:
            due = self._clock.now() + timedelta(seconds=ASYNC_DELIVERY_SECONDS)
            self._async.extend(_AsyncEvent(function, event, due) for _ in range(self.async_duplicates))

    # -- EventBridge targets --------------------------------------------------------------------

    def send(self, queue: str, event: dict[str, Any]) -> None:
        """EventBridge delivers one event to an SQS target (one message, the event as its body)."""
        with self._lock:
            target = self._queues.get(queue)
            if target is None:
                raise KeyError(f"no event source mapping reads queue {queue}")
            now = self._clock.now()
            target.messages.append(_Message(json.dumps(event), now, now))

    def dead_letters(self, queue: str) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(m.body) for m in self._queues[queue].dead_letters]

    # -- the clock ------------------------------------------------------------------------------

    def next_due(self) -> datetime | None:
        with self._lock:
            times = [q.due_at() for q in self._queues.values()]
            times += [a.due for a in self._async]
            times += [s.next_at for s in self._schedules if s.schedule.function not in self.paused_schedules]
            due = [t for t in times if t is not None]
            return min(due) if due else None

    def on_advance(self, now: datetime) -> None:
        """Run every schedule and deliver every batch due by `now`, in time order."""
        while True:
            with self._lock:
                job = self._next_job(now)
            if job is None:
                return
            job()

    def _next_job(self, now: datetime) -> Any:
        candidates: list[tuple[datetime, Any]] = []
        for schedule in self._schedules:
            if schedule.next_at <= now:
                candidates.append((schedule.next_at, lambda s=schedule: self._fire(s)))
        for queue in self._queues.values():
            due = queue.due_at()
            if due is not None and due <= now:
                candidates.append((due, lambda q=queue: self._deliver(q, now)))
        for waiting in self._async:
            if waiting.due <= now:
                candidates.append((waiting.due, lambda a=waiting: self._run_async(a)))
        if not candidates:
            return None
        return min(candidates, key=lambda c: c[0])[1]

    def _fire(self, schedule: _Schedule) -> None:
        with self._lock:
            fired_at = schedule.next_at
            schedule.next_at = fired_at + timedelta(seconds=schedule.schedule.every_seconds)
        if schedule.schedule.function in self.paused_schedules:
            return
        function = self._stack.functions[schedule.schedule.function]
        event = {
            "version": "0",
            "id": str(uuid.uuid4()),
            "detail-type": "Scheduled Event",
            "source": "aws.events",
            "account": self._stack.account_id,
            "time": fired_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "region": self._stack.region,
            "resources": [],
            "detail": {},
        }
        # Asynchronous on AWS: a failed pass is the function's own business (the next one follows).
        response = self._lambdas.invoke(function, event)
        if response.headers.get("X-Amz-Function-Error"):
            logger.info("scheduled %s failed; the next run follows", function.logical_id)

    def _deliver(self, queue: _Queue, now: datetime) -> None:
        with self._lock:
            visible = sorted(queue.visible(now), key=lambda m: m.visible_at)
            batch: list[_Message] = []
            size = 0
            for message in visible[: queue.source.batch_size]:
                record_size = len(json.dumps(message.record(queue.arn)))
                if batch and size + record_size > MAX_PAYLOAD_BYTES:
                    break
                batch.append(message)
                size += record_size
            for message in batch:
                message.receive_count += 1
                # In flight: invisible until the function returns (deleted) or the timeout passes.
                message.visible_at = now + timedelta(seconds=queue.source.visibility_timeout_seconds)
            records = [message.record(queue.arn) for message in batch]
        if not batch:
            return
        self.batches.append((queue.source.function, len(batch)))
        function = self._stack.functions[queue.source.function]
        response = self._lambdas.invoke(function, {"Records": records})
        failed = bool(response.headers.get("X-Amz-Function-Error"))
        with self._lock:
            for message in batch:
                if not failed:
                    queue.messages.remove(message)
                elif (
                    queue.source.max_receive_count is not None
                    and message.receive_count >= queue.source.max_receive_count
                ):
                    queue.messages.remove(message)
                    queue.dead_letters.append(message)

    def _run_async(self, waiting: _AsyncEvent) -> None:
        with self._lock:
            if waiting not in self._async:
                return
            self._async.remove(waiting)
        response = self._lambdas.invoke(self._stack.functions[waiting.function], waiting.event)
        if not response.headers.get("X-Amz-Function-Error"):
            return
        with self._lock:
            if waiting.attempt < len(ASYNC_RETRY_DELAYS_SECONDS):
                delay = ASYNC_RETRY_DELAYS_SECONDS[waiting.attempt]
                waiting.attempt += 1
                waiting.due = self._clock.now() + timedelta(seconds=delay)
                self._async.append(waiting)
            else:
                self.async_dead_letters.setdefault(waiting.function, []).append(waiting.event)
