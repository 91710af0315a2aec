"""AwaitReplication (lambda:invoke.waitForTaskToken): complete at once when the server already
has a verdict; otherwise park the task token for the MGN event handler."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave import config, ids
from mgn_wave.adapters.clients import dynamodb_client, mgn_client, sfn_client
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.adapters.tokens import CallbackAdapter, TaskTokenStore
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
    region = config.region_from_env()
    verdict = start_waiting(
        source_server_id=request.source_server_id,
        execution=request.execution,
        task_token=request.task_token,
        deadline=request.deadline,
        mgn=MgnAdapter(mgn_client(region)),
        tokens=TaskTokenStore(dynamodb_client(region), config.state_table_from_env()),
        callbacks=CallbackAdapter(sfn_client(region)),
    )
    logger.info(
        "replication checked",
        extra={
            "source_server_id": request.source_server_id,
            "phase": verdict.phase,
            "outcome": verdict.outcome,
        },
    )
    return {"sourceServerId": request.source_server_id, "outcome": verdict.outcome}
