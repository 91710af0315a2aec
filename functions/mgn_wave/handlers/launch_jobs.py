"""LaunchJobs: start the stage's MGN jobs within the quotas, or read how they went."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import mgn_client
from mgn_wave.adapters.mgn_launch import MgnLaunchAdapter
from mgn_wave.core import config
from mgn_wave.core.errors import InvalidInputError
from mgn_wave.core.observability import logger, tracer
from mgn_wave.handlers._store import wave_store
from mgn_wave.launch.models import stage_of
from mgn_wave.launch.steps import check_jobs, start_jobs

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = stage_of(event.get("stage"))
    mgn = MgnLaunchAdapter(mgn_client(config.region_from_env()))
    execution_name = str(event.get("executionName", ""))
    key = str(event.get("serversKey", ""))
    if event.get("action") == "start":
        return start_jobs(stage, execution_name, key, mgn=mgn, store=wave_store())
    if event.get("action") == "check":
        return check_jobs(stage, execution_name, key, mgn=mgn, store=wave_store())
    raise InvalidInputError("action", "start or check")
