"""CheckInstalls: the install commands' progress; when all are final, each server's outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.adapters.clients import ssm_client
from mgn_wave.adapters.ssm import SsmAdapter
from mgn_wave.agent_install.flow import check_installs_into
from mgn_wave.agent_install.models import InstallCommand
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers._store import wave_store
from mgn_wave.waves.models import WaveInput

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    input: WaveInput
    execution_name: str = Field(alias="executionName", pattern=r"^[A-Za-z0-9_.:-]{1,80}$")
    commands_key: str = Field(alias="commandsKey", min_length=1, max_length=1024)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(CheckRequest, event)
    store = wave_store()
    commands = [InstallCommand.model_validate(item) for item in store.get_list(request.commands_key)]
    checked = check_installs_into(
        request.input.wave,
        request.execution_name,
        commands,
        SsmAdapter(ssm_client(config.region_from_env())),
        store,
    )
    logger.info("installs checked", extra={"pending": checked.pending, "installed": checked.installed_count})
    return checked.model_dump(mode="json", by_alias=True)
