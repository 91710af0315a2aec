"""ReplicationEvent: MGN's EventBridge events (best effort), queued in SQS and delivered in
batches, complete the waiting tasks early. A burst of events costs one DescribeSourceServers per
200 servers that someone waits on; launch results and duplicates cost nothing more."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import dynamodb_client, mgn_client, sfn_client
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.adapters.tokens import CallbackAdapter, TaskTokenStore
from mgn_wave.core import config
from mgn_wave.core.errors import TransientAwsError
from mgn_wave.core.observability import logger, tracer
from mgn_wave.replication_wait.flow import on_mgn_events

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


def events_of(batch: dict[str, Any]) -> list[dict[str, Any]]:
    """The EventBridge events in an SQS batch (each record's body); a body that is not a JSON
    object is skipped, never fatal: the rest of the batch still counts."""
    events: list[dict[str, Any]] = []
    records = batch.get("Records")
    for record in records if isinstance(records, list) else []:
        try:
            event = json.loads(record.get("body", "")) if isinstance(record, dict) else None
        except ValueError:
            event = None
        if isinstance(event, dict):
            events.append(event)
    return events


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    region = config.region_from_env()
    events = events_of(event)
    decided = on_mgn_events(
        events,
        tokens=TaskTokenStore(dynamodb_client(region), config.state_table_from_env()),
        mgn=MgnAdapter(mgn_client(region)),
        callbacks=CallbackAdapter(sfn_client(region)),
        stall_grace=config.stall_grace_from_env(),
    )
    logger.info(
        "mgn events handled",
        extra={
            "events": len(events),
            "detail_types": sorted({str(e.get("detail-type")) for e in events}),
            "waiting": decided.waiting,
            "completed": decided.completed,
            "described": decided.described,
            "deferred": decided.deferred,
        },
    )
    if decided.deferred:
        # MGN throttled us past the SDK's retries: the batch goes back to the queue and is
        # delivered again after the visibility timeout (the watch would also pick it up).
        raise TransientAwsError(f"{decided.deferred} waiting tasks not decided: MGN throttled the describe")
    return {
        "completed": decided.completed,
        "waiting": decided.waiting,
        "dropped": decided.dropped,
        "decidedServers": decided.decided_servers,
    }
