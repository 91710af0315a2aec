"""ConfigureServer: a newly registered server gets the private-path replication settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import mgn_client
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.replication_settings.flow import configure_server
from mgn_wave.waves.models import validate_wave_input

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    wave_input = validate_wave_input(event.get("input"))
    source_server_id = str(event.get("sourceServerId", ""))
    target = config.private_path_from_env()
    drift = configure_server(
        source_server_id,
        config.replication_policy_from_env(target),
        MgnAdapter(mgn_client(target.region)),
        dry_run=wave_input.dry_run,
    )
    logger.info("server configured", extra={"source_server_id": source_server_id, "action": drift.action})
    return drift.model_dump(mode="json", by_alias=True)
