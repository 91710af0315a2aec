"""The watch's and the event batches' decisions over fakes of the adapters: how many MGN calls,
which tokens are completed, forgotten, kept, dropped."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import pytest

from mgn_wave import timeutil
from mgn_wave.adapters.tokens import ParkedToken
from mgn_wave.errors import TransientAwsError
from mgn_wave.steps.replication import decide_waiting, on_mgn_events, on_ready_event, watch_pass

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
DEADLINE = NOW + timedelta(hours=48)
WAVE_A = "arn:aws:states:us-east-1:123456789012:execution:MigrateWave:wave-a"
WAVE_B = "arn:aws:states:us-east-1:123456789012:execution:MigrateWave:wave-b"


def _id(n: int) -> str:
    return f"s-{n:017d}"


def _server(n: int, state: str = "CONTINUOUS", lifecycle: str = "READY_FOR_TEST", **info: Any) -> dict[str, Any]:
    return {
        "sourceServerID": _id(n),
        "lifeCycle": {"state": lifecycle},
        "dataReplicationInfo": {"dataReplicationState": state, **info},
    }


def _stalled(n: int) -> dict[str, Any]:
    return _server(
        n,
        "STALLED",
        "NOT_READY",
        dataReplicationError={"error": "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"},
        dataReplicationInitiation={
            "steps": [{"name": "CONNECT_AGENT_TO_REPLICATION_SERVER", "status": "FAILED"}],
            "nextAttemptDateTime": "2026-01-05T12:05:00Z",
        },
    )


def _token(n: int, wave: str = WAVE_A, **changes: Any) -> ParkedToken:
    return replace(ParkedToken(_id(n), wave, f"token-{n}-{wave[-1]}", DEADLINE), **changes)


@dataclass
class FakeTokens:
    parked: list[ParkedToken]
    forgotten: list[ParkedToken] = field(default_factory=list)
    marked: list[tuple[ParkedToken, datetime | None]] = field(default_factory=list)
    queries: int = 0

    def waiting(self) -> list[ParkedToken]:
        self.queries += 1
        return list(self.parked)

    def tokens(self, source_server_id: str) -> list[ParkedToken]:
        self.queries += 1
        return [t for t in self.parked if t.source_server_id == source_server_id]

    def forget(self, parked: ParkedToken) -> None:
        self.forgotten.append(parked)
        self.parked.remove(parked)

    def mark_stalled(self, parked: ParkedToken, since: datetime | None) -> None:
        self.marked.append((parked, since))


@dataclass
class FakeMgn:
    servers: dict[str, dict[str, Any]]
    calls: list[list[str]] = field(default_factory=list)
    throttled: bool = False

    def describe_waiting_servers(self, ids: list[str]) -> list[dict[str, Any]]:
        self.calls.append(list(ids))
        if self.throttled:
            raise TransientAwsError("DescribeSourceServers: ThrottlingException")
        return [self.servers[i] for i in ids if i in self.servers]


@dataclass
class FakeCallbacks:
    stale: set[str] = field(default_factory=set)
    completed: list[tuple[str, str]] = field(default_factory=list)

    def complete(self, token: str, output: dict[str, Any]) -> bool:
        if token in self.stale or token in {t for t, _ in self.completed}:
            return False  # Step Functions refuses a token that no longer waits
        self.completed.append((token, output["outcome"]))
        return True


@dataclass
class FakeExecutions:
    stopped: set[str] = field(default_factory=set)
    asked: list[str] = field(default_factory=list)

    def running(self, execution_arn: str) -> bool:
        self.asked.append(execution_arn)
        return execution_arn not in self.stopped


@pytest.fixture(autouse=True)
def _now() -> Any:
    with mock.patch.object(timeutil, "utcnow", lambda: NOW):
        yield


def test_watch_with_nothing_waiting_makes_one_query_and_no_client() -> None:
    tokens = FakeTokens([])
    never = mock.Mock(side_effect=AssertionError("no client when nothing waits"))
    decided = watch_pass(tokens=tokens, mgn=never, callbacks=never, executions=never, stall_grace=None)  # type: ignore[arg-type]
    assert (tokens.queries, decided.waiting) == (1, 0)


def test_watch_decides_every_waiting_server_of_every_wave_in_one_describe() -> None:
    ready = {_id(n): _server(n) for n in range(450)}
    syncing = {_id(n): _server(n, "INITIAL_SYNC", "NOT_READY") for n in range(450, 500)}
    parked = [_token(n) for n in range(500)] + [_token(n, WAVE_B) for n in range(10)]
    tokens, mgn, callbacks = FakeTokens(parked), FakeMgn({**ready, **syncing}), FakeCallbacks()
    decided = decide_waiting(
        parked,
        mgn=mgn,
        tokens=tokens,
        callbacks=callbacks,
        stall_grace=None,
        executions=FakeExecutions(),  # type: ignore[arg-type]
    )
    assert len(mgn.calls) == 1 and len(mgn.calls[0]) == 500  # each server once, whatever the waves
    assert (decided.completed, decided.still_waiting) == (460, 50)
    assert len(tokens.forgotten) == 460
    assert {outcome for _, outcome in callbacks.completed} == {"SUCCEEDED"}


def test_a_stopped_waves_tokens_are_dropped_without_asking_mgn() -> None:
    parked = [_token(1, WAVE_A), _token(2, WAVE_B)]
    tokens, mgn, callbacks = (
        FakeTokens(list(parked)),
        FakeMgn({_id(1): _server(1), _id(2): _server(2)}),
        FakeCallbacks(),
    )
    decided = decide_waiting(
        parked,
        mgn=mgn,
        tokens=tokens,
        callbacks=callbacks,
        stall_grace=None,  # type: ignore[arg-type]
        executions=FakeExecutions(stopped={WAVE_B}),  # type: ignore[arg-type]
    )
    assert mgn.calls == [[_id(1)]]
    assert (decided.completed, decided.dropped) == (1, 1)
    assert sorted(t.execution for t in tokens.forgotten) == [WAVE_A, WAVE_B]
    assert callbacks.completed == [("token-1-a", "SUCCEEDED")]


def test_a_token_completed_by_a_crashed_pass_is_refused_and_forgotten_on_the_next() -> None:
    parked = [_token(1), _token(2)]
    tokens, mgn = FakeTokens(list(parked)), FakeMgn({_id(1): _server(1), _id(2): _server(2)})
    callbacks = FakeCallbacks(completed=[("token-1-a", "SUCCEEDED")])  # the crashed pass's only completion
    decided = decide_waiting(parked, mgn=mgn, tokens=tokens, callbacks=callbacks, stall_grace=None)  # type: ignore[arg-type]
    assert (decided.completed, decided.dropped) == (1, 1)
    assert tokens.parked == []
    assert [t for t, _ in callbacks.completed].count("token-1-a") == 1


def test_throttled_describe_decides_nothing_and_forgets_nothing() -> None:
    parked = [_token(1)]
    tokens, mgn, callbacks = FakeTokens(list(parked)), FakeMgn({_id(1): _server(1)}, throttled=True), FakeCallbacks()
    decided = decide_waiting(parked, mgn=mgn, tokens=tokens, callbacks=callbacks, stall_grace=None)  # type: ignore[arg-type]
    assert (decided.deferred, decided.completed) == (1, 0)
    assert tokens.parked == parked and callbacks.completed == []


def test_two_waves_on_one_server_get_their_own_verdict() -> None:
    syncing = {_id(1): _server(1, "INITIAL_SYNC", "NOT_READY")}
    short = _token(1, WAVE_A, deadline=NOW - timedelta(seconds=1))
    long = _token(1, WAVE_B)
    tokens, mgn, callbacks = FakeTokens([short, long]), FakeMgn(syncing), FakeCallbacks()
    decide_waiting([short, long], mgn=mgn, tokens=tokens, callbacks=callbacks, stall_grace=None)  # type: ignore[arg-type]
    assert callbacks.completed == [(short.token, "FAILED")]
    assert tokens.parked == [long]


def test_stall_first_sighting_is_recorded_and_recovery_clears_it_but_a_retry_does_not() -> None:
    grace = timedelta(hours=2)
    token = _token(1)
    tokens, callbacks = FakeTokens([token]), FakeCallbacks()
    decide_waiting([token], mgn=FakeMgn({_id(1): _stalled(1)}), tokens=tokens, callbacks=callbacks, stall_grace=grace)  # type: ignore[arg-type]
    assert tokens.marked == [(token, NOW)]
    seen = replace(token, stalled_since=NOW - timedelta(minutes=5))
    retrying = _server(1, "INITIATING", "NOT_READY")
    tokens = FakeTokens([seen])
    decide_waiting([seen], mgn=FakeMgn({_id(1): retrying}), tokens=tokens, callbacks=callbacks, stall_grace=grace)  # type: ignore[arg-type]
    assert tokens.marked == []  # re-initiating: the grace goes on counting
    tokens = FakeTokens([seen])
    syncing = _server(1, "INITIAL_SYNC", "NOT_READY")
    decide_waiting([seen], mgn=FakeMgn({_id(1): syncing}), tokens=tokens, callbacks=callbacks, stall_grace=grace)  # type: ignore[arg-type]
    assert tokens.marked == [(seen, None)]
    assert callbacks.completed == []


def _event(detail_type: str, *numbers: int) -> dict[str, Any]:
    return {
        "source": "aws.mgn",
        "detail-type": detail_type,
        "resources": [f"arn:aws:mgn:us-east-1:123456789012:source-server/{_id(n)}" for n in numbers],
        "detail": {"state": "READY_FOR_TEST"},
    }


def test_a_burst_of_events_with_duplicates_costs_one_describe_and_completes_each_token_once() -> None:
    stalled = "MGN Source Server Data Replication Stalled Change"  # a wave-wide stall that ended
    events = [_event(stalled, n) for n in range(150)] * 3  # every event delivered three times
    parked = [_token(n) for n in range(150)]
    tokens, mgn, callbacks = (
        FakeTokens(list(parked)),
        FakeMgn({_id(n): _server(n) for n in range(150)}),
        FakeCallbacks(),
    )
    decided = on_mgn_events(events, tokens=tokens, mgn=mgn, callbacks=callbacks, stall_grace=None)  # type: ignore[arg-type]
    assert len(mgn.calls) == 1
    assert decided.completed == 150 and len(callbacks.completed) == 150


def test_launch_results_and_servers_nobody_waits_on_cost_no_mgn_call() -> None:
    tokens, mgn, callbacks = FakeTokens([_token(1)]), FakeMgn({}), FakeCallbacks()
    on_mgn_events(
        [_event("MGN Source Server Launch Result", 1), _event("MGN Source Server Lifecycle State Change", 7)],
        tokens=tokens,
        mgn=mgn,
        callbacks=callbacks,
        stall_grace=None,  # type: ignore[arg-type]
    )
    assert mgn.calls == []
    assert tokens.queries == 1  # only server 7, which nobody waits on


# --- the READY_FOR_TEST event decides alone -------------------------------------------------------

READY_AT = NOW - timedelta(seconds=1)
LIFECYCLE = "MGN Source Server Lifecycle State Change"


def _ready_event(n: int, at: datetime = READY_AT) -> dict[str, Any]:
    return {**_event(LIFECYCLE, n), "time": at.strftime("%Y-%m-%dT%H:%M:%SZ")}


def _waiting_since(n: int, wave: str = WAVE_A, since: datetime | None = NOW - timedelta(hours=3)) -> ParkedToken:
    return _token(n, wave, parked_at=since)


def test_ready_event_completes_every_wave_waiting_on_the_server_with_no_mgn_call() -> None:
    tokens = FakeTokens([_waiting_since(1), _waiting_since(1, WAVE_B), _waiting_since(2)])
    callbacks = FakeCallbacks()
    # No MGN adapter at all: the event is the whole answer
    decided = on_ready_event(_ready_event(1), tokens=tokens, callbacks=callbacks)  # type: ignore[arg-type]
    assert callbacks.completed == [("token-1-a", "SUCCEEDED"), ("token-1-b", "SUCCEEDED")]
    assert (decided.completed, decided.decided_servers) == (2, [_id(1), _id(1)])
    assert [t.source_server_id for t in tokens.parked] == [_id(2)]  # server 2 still waits
    assert tokens.queries == 1


def test_ready_verdict_names_the_event_and_when_the_server_became_launchable() -> None:
    outputs: list[dict[str, Any]] = []

    class Recording(FakeCallbacks):
        def complete(self, token: str, output: dict[str, Any]) -> bool:
            outputs.append(output)
            return super().complete(token, output)

    on_ready_event(_ready_event(1), tokens=FakeTokens([_waiting_since(1)]), callbacks=Recording())  # type: ignore[arg-type]
    (verdict,) = outputs
    assert (verdict["outcome"], verdict["phase"], verdict["lifeCycleState"]) == (
        "SUCCEEDED",
        "HEALTHY",
        "READY_FOR_TEST",
    )
    assert verdict["sourceServerId"] == _id(1)
    assert "READY_FOR_TEST at 2026-01-05T11:59:59Z" in verdict["reason"]
    assert verdict["timings"]["healthy"].startswith("2026-01-05T11:59:59")


def test_ready_event_duplicates_complete_each_task_once() -> None:
    tokens, callbacks = FakeTokens([_waiting_since(1)]), FakeCallbacks()
    results = [on_ready_event(_ready_event(1), tokens=tokens, callbacks=callbacks) for _ in range(3)]  # type: ignore[arg-type]
    assert [r.completed for r in results] == [1, 0, 0]
    assert callbacks.completed == [("token-1-a", "SUCCEEDED")]


def test_ready_event_racing_its_duplicate_is_refused_by_step_functions_and_forgotten() -> None:
    # Both copies read the token before either forgot it: the second answer is refused
    tokens = FakeTokens([_waiting_since(1)])
    callbacks = FakeCallbacks(completed=[("token-1-a", "SUCCEEDED")])
    decided = on_ready_event(_ready_event(1), tokens=tokens, callbacks=callbacks)  # type: ignore[arg-type]
    assert (decided.completed, decided.dropped, tokens.parked) == (0, 1, [])


def test_ready_event_of_a_stopped_wave_is_ignored() -> None:
    tokens = FakeTokens([_waiting_since(1)])
    callbacks = FakeCallbacks(stale={"token-1-a"})  # Step Functions: the execution no longer runs
    decided = on_ready_event(_ready_event(1), tokens=tokens, callbacks=callbacks)  # type: ignore[arg-type]
    assert (decided.completed, decided.dropped, callbacks.completed, tokens.parked) == (0, 1, [], [])


def test_task_parked_after_the_event_or_without_a_parking_time_is_left_to_the_watch() -> None:
    # A late retry of the event (EventBridge retries for an hour) must not decide a later wait:
    # the server may have changed since. Within the event's second counts as before it.
    late = _waiting_since(1, WAVE_A, since=READY_AT + timedelta(seconds=2))
    same_second = _waiting_since(1, WAVE_B, since=READY_AT + timedelta(milliseconds=400))
    unknown = _waiting_since(2, since=None)
    tokens, callbacks = FakeTokens([late, same_second, unknown]), FakeCallbacks()
    first = on_ready_event(_ready_event(1), tokens=tokens, callbacks=callbacks)  # type: ignore[arg-type]
    second = on_ready_event(_ready_event(2), tokens=tokens, callbacks=callbacks)  # type: ignore[arg-type]
    assert callbacks.completed == [("token-1-b", "SUCCEEDED")]
    assert (first.still_waiting, second.still_waiting) == (1, 1)
    assert tokens.parked == [late, unknown]


@pytest.mark.parametrize(
    "event",
    [
        {**_event("MGN Source Server Data Replication Stalled Change", 1), "time": "2026-01-05T11:59:59Z"},
        {**_ready_event(1), "detail": {"state": "NOT_READY"}},
        {**_ready_event(1), "source": "custom.app"},
        {key: value for key, value in _ready_event(1).items() if key != "time"},
        {**_ready_event(1), "time": "yesterday"},
    ],
    ids=["stall", "other-state", "other-source", "no-time", "bad-time"],
)
def test_events_that_do_not_say_ready_decide_nothing(event: dict[str, Any]) -> None:
    tokens, callbacks = FakeTokens([_waiting_since(1)]), FakeCallbacks()
    decided = on_ready_event(event, tokens=tokens, callbacks=callbacks)  # type: ignore[arg-type]
    assert (decided.completed, callbacks.completed, len(tokens.parked)) == (0, [], 1)
