"""Waiting for replication: a task token parked per server and wave, decided by whoever looks at
MGN next — MGN's READY_FOR_TEST event (the fast path: no MGN call at all), the other MGN events
(in batches) or the wave-level watch (every few minutes, all waiting servers at once) — in as few
DescribeSourceServers calls as MGN allows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from mgn_wave import timeutil
from mgn_wave.errors import AwsResourceNotFoundError, TransientAwsError
from mgn_wave.models.verdict import Outcome, Phase, ReplicationVerdict
from mgn_wave.replication.classifier import (
    PHASE_HINTS,
    classify,
    event_may_change_verdict,
    event_time,
    ready_verdict,
    source_server_ids_of,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence
    from datetime import datetime, timedelta
    from typing import Any

    from mgn_wave.adapters.mgn import MgnAdapter
    from mgn_wave.adapters.tokens import CallbackAdapter, ExecutionStatusAdapter, ParkedToken, TaskTokenStore


def replication_verdict(
    source_server_id: str,
    mgn: MgnAdapter,
    *,
    deadline: datetime | None,
    stall_grace: timedelta | None = None,
) -> ReplicationVerdict:
    """One DescribeSourceServers call, one verdict."""
    servers = mgn.describe_source_servers([source_server_id])
    if not servers:
        raise AwsResourceNotFoundError(f"source server {source_server_id} is no longer known to MGN")
    return classify(servers[0], now=timeutil.utcnow(), deadline=deadline, stall_grace=stall_grace)


def start_waiting(
    *,
    source_server_id: str,
    execution: str,
    task_token: str,
    deadline: datetime,
    tokens: TaskTokenStore,
) -> None:
    """Park the token where the events and the watch find it; no MGN call here (the watch's next
    pass, at most WatchIntervalMinutes away, decides a server that already has its verdict). The
    token outlives the deadline by a day, then DynamoDB drops it."""
    ttl = int((deadline - timeutil.utcnow()).total_seconds()) + 86_400
    tokens.put(source_server_id, execution, task_token, ttl_seconds=max(ttl, 3600), deadline=deadline)


@dataclass
class Decisions:
    """What one look at MGN did with the waiting tasks."""

    waiting: int = 0  # tokens looked at
    described: int = 0  # servers MGN described
    completed: int = 0  # tasks handed their verdict
    still_waiting: int = 0
    dropped: int = 0  # tokens of waves that no longer run, or tasks that no longer wait
    deferred: int = 0  # tokens whose servers MGN did not answer for (throttled): the next look takes them
    decided_servers: list[str] = field(default_factory=list)  # the servers whose tasks got their verdict

    def add(self, other: Decisions) -> None:
        for name in ("waiting", "described", "completed", "still_waiting", "dropped", "deferred"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.decided_servers += other.decided_servers


def decide_waiting(
    parked: Sequence[ParkedToken],
    *,
    mgn: MgnAdapter,
    tokens: TaskTokenStore,
    callbacks: CallbackAdapter,
    stall_grace: timedelta | None,
    executions: ExecutionStatusAdapter | None = None,
) -> Decisions:
    """Classify every waiting server and complete the decided tokens: one describe per 200
    servers, whatever the number of waves waiting on them. A token is completed before it is
    forgotten, so a crash in between leaves it for the next look, whose SendTaskSuccess Step
    Functions refuses (the task no longer waits): no task gets two verdicts. When MGN throttles
    past the SDK's retries, nothing is decided and every token waits for the next look."""
    done = Decisions(waiting=len(parked))
    if executions is not None:
        running = {execution: executions.running(execution) for execution in sorted({p.execution for p in parked})}
        for token in parked:
            if not running[token.execution]:
                tokens.forget(token)  # the wave was stopped or ended: nobody waits for this verdict
                done.dropped += 1
        parked = [token for token in parked if running[token.execution]]
    server_ids = sorted({token.source_server_id for token in parked})
    if not server_ids:
        return done
    try:
        described = mgn.describe_waiting_servers(server_ids)
    except TransientAwsError:
        done.deferred = len(parked)  # MGN throttled past the SDK's retries: the next look decides
        return done
    done.described = len(described)
    servers = {server["sourceServerID"]: server for server in described}
    for token in parked:
        _decide_one(token, servers.get(token.source_server_id), tokens, callbacks, stall_grace, done)
    return done


def _decide_one(  # noqa: PLR0917 - one private helper of decide_waiting, called once
    token: ParkedToken,
    server: Mapping[str, Any] | None,
    tokens: TaskTokenStore,
    callbacks: CallbackAdapter,
    stall_grace: timedelta | None,
    done: Decisions,
) -> None:
    now = timeutil.utcnow()
    if server is None:
        verdict = _gone(token.source_server_id, now)
    else:
        verdict = classify(
            server, now=now, deadline=token.deadline, stall_grace=stall_grace, stalled_since=token.stalled_since
        )
    if verdict.outcome is Outcome.WAITING:
        since = _stalled_since(verdict, token.stalled_since)
        if since != token.stalled_since:
            tokens.mark_stalled(token, since)
        done.still_waiting += 1
        return
    if callbacks.complete(token.token, verdict.model_dump(mode="json", by_alias=True)):
        done.completed += 1
        done.decided_servers.append(token.source_server_id)
    else:
        done.dropped += 1
    tokens.forget(token)


def _stalled_since(verdict: ReplicationVerdict, known: datetime | None) -> datetime | None:
    """When the grace period started: the first sighting of a stall MGN retries. A retry runs
    the initiation again (and may stall again): the grace goes on counting. Only replication that
    got past initiation (syncing, continuous, ...) ends it."""
    if verdict.retrying_stall:
        return verdict.stalled_since
    if verdict.phase in {Phase.INITIATING, Phase.STALLED}:
        return known
    return None


def _gone(source_server_id: str, now: datetime) -> ReplicationVerdict:
    return ReplicationVerdict(
        source_server_id=source_server_id,
        phase=Phase.NOT_REGISTERED,
        outcome=Outcome.FAILED,
        reason=f"Source server {source_server_id} is no longer known to MGN (deleted while the wave waited).",
        hint=PHASE_HINTS[Phase.NOT_REGISTERED],
        classified_at=now,
    )


def watch_pass(
    *,
    tokens: TaskTokenStore,
    mgn: Callable[[], MgnAdapter],
    callbacks: Callable[[], CallbackAdapter],
    executions: Callable[[], ExecutionStatusAdapter],
    stall_grace: timedelta | None,
) -> Decisions:
    """The wave-level watch: every task waiting on any server of any running wave, in one Query.
    Nothing waits: that Query is the whole pass (the clients are made only when needed)."""
    parked = tokens.waiting()
    if not parked:
        return Decisions()
    return decide_waiting(
        parked, mgn=mgn(), tokens=tokens, callbacks=callbacks(), executions=executions(), stall_grace=stall_grace
    )


def on_mgn_events(
    events: Iterable[Mapping[str, Any]],
    *,
    tokens: TaskTokenStore,
    mgn: MgnAdapter,
    callbacks: CallbackAdapter,
    stall_grace: timedelta | None,
) -> Decisions:
    """A batch of MGN events (however many, duplicates included): the servers they are about
    that someone waits on, decided together. Events that cannot change a verdict (launch
    results) cost nothing; so do servers nobody waits on."""
    server_ids = sorted(
        {server_id for event in events if event_may_change_verdict(event) for server_id in source_server_ids_of(event)}
    )
    parked = [token for server_id in server_ids for token in tokens.tokens(server_id)]
    if not parked:
        return Decisions()
    return decide_waiting(parked, mgn=mgn, tokens=tokens, callbacks=callbacks, stall_grace=stall_grace)


def on_ready_event(
    event: Mapping[str, Any],
    *,
    tokens: TaskTokenStore,
    callbacks: CallbackAdapter,
) -> Decisions:
    """MGN's READY_FOR_TEST event decides by itself: every task that was already waiting on the
    server when MGN sent it gets SUCCEEDED, with no MGN call. A task parked after the event's time
    is left to the watch (the event may be a late retry, and the server may have changed since);
    so is a token parked by a version that did not record when. A duplicate finds no token left,
    or Step Functions refuses its second answer (the task no longer waits): a task completes once."""
    ready_at = event_time(event)
    done = Decisions()
    if ready_at is None:
        return done
    now = timeutil.utcnow()
    for server_id in sorted(set(source_server_ids_of(event))):
        verdict = ready_verdict(event, server_id, now=now)
        if verdict is None:
            continue
        output = verdict.model_dump(mode="json", by_alias=True)
        for token in tokens.tokens(server_id):
            done.waiting += 1
            # The event's time has whole seconds: a task parked within that second was waiting too.
            if token.parked_at is None or token.parked_at.replace(microsecond=0) > ready_at:
                done.still_waiting += 1
                continue
            if callbacks.complete(token.token, output):
                done.completed += 1
                done.decided_servers.append(server_id)
            else:
                done.dropped += 1
            tokens.forget(token)
    return done
