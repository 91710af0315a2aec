"""ResolveServers: the wave's servers as SSM managed nodes, and the deadline of the wave."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave import config, steps
from mgn_wave.adapters.clients import ssm_client
from mgn_wave.adapters.ssm import SsmAdapter
from mgn_wave.observability import logger, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    wave_input = steps.validate_wave_input(event.get("input"))
    resolved = steps.resolve_servers(
        wave_input,
        wave_tag_key=config.wave_tag_key_from_env(),
        deadline_hours=config.replication_deadline_hours_from_env(),
        poll_minutes=config.replication_poll_minutes_from_env(),
        ssm=SsmAdapter(ssm_client(config.region_from_env())),
    )
    logger.info("servers resolved", extra={"servers": len(resolved.servers), "rejected": len(resolved.results)})
    return resolved.model_dump(mode="json", by_alias=True)
