"""TagTrigger: a server tagged with the wave key starts MigrateWave for that server alone."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import sfn_client
from mgn_wave.adapters.executions import ExecutionsAdapter
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.waves.tag_trigger import join_from_event

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    join = join_from_event(event, config.wave_tag_key_from_env())
    if join is None:
        logger.info("tag event ignored", extra={"resources": event.get("resources")})
        return {"started": False}
    executions = ExecutionsAdapter(sfn_client(config.region_from_env()), config.state_machine_arn_from_env())
    started = executions.start_once(join.execution_name, {"wave": join.wave, "instanceIds": [join.instance_id]})
    logger.info(
        "wave started for a tagged server" if started else "duplicate tag event: that execution already ran",
        extra={"wave": join.wave, "instance_id": join.instance_id, "execution": join.execution_name},
    )
    return {"started": started, "execution": join.execution_name}
