"""LaunchEvent: MGN's `Source Server Launch Result` events (best effort) wake the waiting launches."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from mgn_wave import config, ids
from mgn_wave.adapters.clients import dynamodb_client, mgn_client, sfn_client
from mgn_wave.adapters.launch_tokens import LaunchTokenStore
from mgn_wave.adapters.mgn_launch import MgnLaunchAdapter
from mgn_wave.adapters.tokens import CallbackAdapter
from mgn_wave.launch.steps import on_launch_result
from mgn_wave.observability import logger, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


def job_of(event: dict[str, Any]) -> str | None:
    """The job a Launch Result event is about; None for anything else."""
    if event.get("source") != "aws.mgn" or event.get("detail-type") != "MGN Source Server Launch Result":
        return None
    job_id = (event.get("detail") or {}).get("job-id")
    return job_id if isinstance(job_id, str) and re.fullmatch(ids.JOB_ID, job_id) else None


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    job_id = job_of(event)
    if job_id is None:
        return {"completed": 0}
    region = config.region_from_env()
    completed = on_launch_result(
        job_id,
        mgn=MgnLaunchAdapter(mgn_client(region)),
        tokens=LaunchTokenStore(dynamodb_client(region), config.state_table_from_env()),
        callbacks=CallbackAdapter(sfn_client(region)),
    )
    logger.info(
        "launch result handled",
        extra={"job_id": job_id, "state": (event.get("detail") or {}).get("state"), "completed": completed},
    )
    return {"completed": completed}
