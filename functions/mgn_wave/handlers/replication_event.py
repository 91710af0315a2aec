"""ReplicationEvent: MGN's EventBridge events (best effort) complete the waiting tasks early."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mgn_wave import config, ids
from mgn_wave.adapters.clients import dynamodb_client, mgn_client, sfn_client
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.adapters.tokens import CallbackAdapter, TaskTokenStore
from mgn_wave.observability import logger, tracer
from mgn_wave.steps.replication import on_mgn_event

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

_SOURCE_SERVER_ARN = re.compile(ids.SOURCE_SERVER_ARN)


def source_servers_of(event: dict[str, Any]) -> list[str]:
    """The source server IDs an `aws.mgn` event is about; anything else is ignored."""
    if event.get("source") != "aws.mgn":
        return []
    resources = event.get("resources")
    if not isinstance(resources, list):
        return []
    matches = (_SOURCE_SERVER_ARN.fullmatch(r) for r in resources if isinstance(r, str))
    return [m.group("source_server_id") for m in matches if m]


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    region = config.region_from_env()
    mgn = MgnAdapter(mgn_client(region))
    tokens = TaskTokenStore(dynamodb_client(region), config.state_table_from_env())
    callbacks = CallbackAdapter(sfn_client(region))
    completed = 0
    for source_server_id in source_servers_of(event):
        completed += on_mgn_event(source_server_id, mgn=mgn, tokens=tokens, callbacks=callbacks)
    logger.info(
        "mgn event handled",
        extra={
            "detail_type": event.get("detail-type"),
            "state": (event.get("detail") or {}).get("state"),
            "completed": completed,
        },
    )
    return {"completed": completed}
