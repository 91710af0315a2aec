"""Waiting for replication: one describe call per decision, task tokens for the MGN events."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave import timeutil
from mgn_wave.errors import AwsResourceNotFoundError
from mgn_wave.models.verdict import Outcome
from mgn_wave.replication.classifier import classify

if TYPE_CHECKING:
    from datetime import datetime

    from mgn_wave.adapters.mgn import MgnAdapter
    from mgn_wave.adapters.tokens import CallbackAdapter, TaskTokenStore
    from mgn_wave.models.verdict import ReplicationVerdict


def replication_verdict(source_server_id: str, mgn: MgnAdapter, *, deadline: datetime | None) -> ReplicationVerdict:
    """One DescribeSourceServers call, one verdict."""
    servers = mgn.describe_source_servers([source_server_id])
    if not servers:
        raise AwsResourceNotFoundError(f"source server {source_server_id} is no longer known to MGN")
    return classify(servers[0], now=timeutil.utcnow(), deadline=deadline)


def start_waiting(
    *,
    source_server_id: str,
    execution: str,
    task_token: str,
    deadline: datetime,
    mgn: MgnAdapter,
    tokens: TaskTokenStore,
    callbacks: CallbackAdapter,
) -> ReplicationVerdict:
    """Decide now if the server already has a verdict; otherwise leave the token where the MGN
    event handler will find it. The token outlives the deadline by a day, then DynamoDB drops it."""
    verdict = replication_verdict(source_server_id, mgn, deadline=deadline)
    if verdict.outcome is Outcome.WAITING:
        ttl = int((deadline - timeutil.utcnow()).total_seconds()) + 86_400
        tokens.put(source_server_id, execution, task_token, ttl_seconds=max(ttl, 3600))
    else:
        callbacks.complete(task_token, verdict.model_dump(mode="json", by_alias=True))
    return verdict


def on_mgn_event(source_server_id: str, *, mgn: MgnAdapter, tokens: TaskTokenStore, callbacks: CallbackAdapter) -> int:
    """An MGN event for a server: confirm with one describe call and complete every task waiting
    on it when the verdict is decisive. Returns the number of tasks completed."""
    waiting = tokens.tokens(source_server_id)
    if not waiting:
        return 0  # nobody waits on this server: no need to ask MGN anything
    verdict = replication_verdict(source_server_id, mgn, deadline=None)
    if verdict.outcome is Outcome.WAITING:
        return 0  # e.g. NOT_STALLED during the initial sync: keep waiting
    completed = 0
    output = verdict.model_dump(mode="json", by_alias=True)
    for execution, token in waiting:
        completed += callbacks.complete(token, output)
        tokens.forget(source_server_id, execution, token)
    return completed
