"""ResolveServers: the wave's servers as SSM managed nodes, and the deadline of the wave."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.adapters.clients import ssm_client
from mgn_wave.adapters.ssm import SsmAdapter
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers._store import wave_store
from mgn_wave.waves.flow import resolve_wave
from mgn_wave.waves.models import WaveInput

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

EXECUTION_NAME = r"^[A-Za-z0-9_.:-]{1,80}$"


class ResolveRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    input: WaveInput
    execution_name: str = Field(alias="executionName", pattern=EXECUTION_NAME)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(ResolveRequest, event)
    servers = resolve_wave(
        request.input,
        request.execution_name,
        wave_tag_key=config.wave_tag_key_from_env(),
        deadline_hours=config.replication_deadline_hours_from_env(),
        server_concurrency=config.server_concurrency_from_env(),
        ssm=SsmAdapter(ssm_client(config.region_from_env())),
        store=wave_store(),
    )
    logger.info("servers resolved", extra={"servers": servers.server_count, "list": servers.servers_key})
    return servers.model_dump(mode="json", by_alias=True)
