"""ReplicationReady: MGN's READY_FOR_TEST lifecycle event, straight from its EventBridge rule
(asynchronous invocation, no batching window), completes the tasks waiting on that server within
a second, with no MGN call: the event alone says the server can be launched for test. Stalls and
the other events go through the ReplicationEvent queue, which asks MGN in batches."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave import config
from mgn_wave.adapters.clients import dynamodb_client, sfn_client
from mgn_wave.adapters.tokens import CallbackAdapter, TaskTokenStore
from mgn_wave.observability import logger, tracer
from mgn_wave.steps.replication import on_ready_event

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    region = config.region_from_env()
    decided = on_ready_event(
        event if isinstance(event, dict) else {},
        tokens=TaskTokenStore(dynamodb_client(region), config.state_table_from_env()),
        callbacks=CallbackAdapter(sfn_client(region)),
    )
    summary = {
        "completed": decided.completed,
        "waiting": decided.waiting,
        "stillWaiting": decided.still_waiting,
        "dropped": decided.dropped,
        "decidedServers": decided.decided_servers,
    }
    logger.info("ready event handled", extra={"event_id": event.get("id"), "time": event.get("time"), **summary})
    return summary
