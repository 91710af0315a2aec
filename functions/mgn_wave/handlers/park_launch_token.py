"""ParkLaunchToken (waitForTaskToken): leave a task token where its completer will find it: under
each running launch job (the Launch Result event handler), or under the wave (the approval)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.adapters.clients import dynamodb_client, mgn_client, sfn_client
from mgn_wave.adapters.launch_tokens import LaunchTokenStore, approval_key
from mgn_wave.adapters.mgn_launch import MgnLaunchAdapter
from mgn_wave.adapters.tokens import CallbackAdapter
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.launch.steps import park_for_jobs
from mgn_wave.waves.models import WAVE_NAME_PATTERN

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class ParkRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    kind: Literal["jobs", "approval"]
    task_token: str = Field(alias="taskToken", min_length=1, max_length=2048)
    execution: str = Field(min_length=1, max_length=2048)
    wave: str = Field(pattern=WAVE_NAME_PATTERN)
    job_ids: tuple[str, ...] = Field(default=(), alias="jobIds", max_length=20)
    ttl_seconds: int = Field(alias="ttlSeconds", ge=60, le=30 * 86_400)


@logger.inject_lambda_context(log_event=False)  # the event holds a task token: not for logs
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(ParkRequest, event)
    region = config.region_from_env()
    tokens = LaunchTokenStore(dynamodb_client(region), config.state_table_from_env())
    if request.kind == "approval":
        # The token outlives the task's timeout by a day; DynamoDB's TTL drops it then
        tokens.put(approval_key(request.wave), request.execution, request.task_token, request.ttl_seconds + 86_400)
        logger.info("cutover waits for approval", extra={"wave": request.wave})
        return {"parked": True}
    for index, job_id in enumerate(request.job_ids):
        MgnLaunchAdapter.check_job_id(f"jobIds[{index}]", job_id)
    completed = park_for_jobs(
        request.task_token,
        request.execution,
        list(request.job_ids),
        request.ttl_seconds + 86_400,
        mgn=MgnLaunchAdapter(mgn_client(region)),
        tokens=tokens,
        callbacks=CallbackAdapter(sfn_client(region)),
    )
    return {"parked": not completed}
