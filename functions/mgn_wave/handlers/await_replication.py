"""AwaitReplication (lambda:invoke.waitForTaskToken): park the task token; the MGN events and the
wave-level watch (ReplicationWatch) complete it with the server's verdict."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave import config, ids
from mgn_wave.adapters.clients import dynamodb_client
from mgn_wave.adapters.tokens import TaskTokenStore
from mgn_wave.models.validation import parse_model
from mgn_wave.observability import logger, tracer
from mgn_wave.steps.replication import start_waiting

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class AwaitRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    task_token: str = Field(alias="taskToken", min_length=1, max_length=2048)
    execution: str = Field(min_length=1, max_length=2048)
    source_server_id: str = Field(alias="sourceServerId", pattern=ids.full(ids.SOURCE_SERVER_ID))
    deadline: datetime


@logger.inject_lambda_context(log_event=False)  # the event holds a task token: not for logs
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(AwaitRequest, event)
    start_waiting(
        source_server_id=request.source_server_id,
        execution=request.execution,
        task_token=request.task_token,
        deadline=request.deadline,
        tokens=TaskTokenStore(dynamodb_client(config.region_from_env()), config.state_table_from_env()),
    )
    logger.info("waiting for replication", extra={"source_server_id": request.source_server_id})
    return {"sourceServerId": request.source_server_id, "outcome": "WAITING"}
