"""ReplicationWatch: the wave-level watch, on a schedule (WatchIntervalMinutes). One pass reads
every parked task token of every running wave with one DynamoDB Query, asks MGN about all their
servers (one DescribeSourceServers per 200), and completes the decided ones. With nothing
waiting, the Query is the whole pass. Events stay the fast path; this is the verdict when they
are lost (a disabled rule, a state MGN sends no event for, best-effort delivery)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import dynamodb_client, mgn_client, sfn_client
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.adapters.tokens import CallbackAdapter, ExecutionStatusAdapter, TaskTokenStore
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.replication_wait.flow import watch_pass

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    region = config.region_from_env()
    decided = watch_pass(
        tokens=TaskTokenStore(dynamodb_client(region), config.state_table_from_env()),
        mgn=lambda: MgnAdapter(mgn_client(region)),
        callbacks=lambda: CallbackAdapter(sfn_client(region)),
        executions=lambda: ExecutionStatusAdapter(sfn_client(region)),
        stall_grace=config.stall_grace_from_env(),
    )
    summary = {
        "waiting": decided.waiting,
        "described": decided.described,
        "completed": decided.completed,
        "stillWaiting": decided.still_waiting,
        "dropped": decided.dropped,
        "deferred": decided.deferred,
        "decidedServers": decided.decided_servers,
    }
    logger.info("watch pass", extra=summary)
    return summary
