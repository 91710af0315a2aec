"""PollReplication: the final verdict when the wave's deadline passed and neither an MGN event
nor the wave-level watch completed AwaitReplication (e.g. the watch's schedule was disabled).
At or after the deadline the verdict is never WAITING: a server still on its way is FAILED."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave import config, ids
from mgn_wave.adapters.clients import mgn_client
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.models.validation import parse_model
from mgn_wave.observability import logger, tracer
from mgn_wave.steps.replication import replication_verdict

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class PollRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source_server_id: str = Field(alias="sourceServerId", pattern=ids.full(ids.SOURCE_SERVER_ID))
    deadline: datetime


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(PollRequest, event)
    verdict = replication_verdict(
        request.source_server_id, MgnAdapter(mgn_client(config.region_from_env())), deadline=request.deadline
    )
    logger.info(
        "replication polled",
        extra={
            "source_server_id": request.source_server_id,
            "phase": verdict.phase,
            "outcome": verdict.outcome,
        },
    )
    return verdict.model_dump(mode="json", by_alias=True)
