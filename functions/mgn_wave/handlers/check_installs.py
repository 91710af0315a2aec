"""CheckInstalls: the install commands' progress; when all are final, each server's outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from mgn_wave import config, steps
from mgn_wave.adapters.clients import ssm_client
from mgn_wave.adapters.ssm import SsmAdapter
from mgn_wave.models.server import InstallCommand
from mgn_wave.models.validation import parse_model
from mgn_wave.observability import logger, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class CheckRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    commands: tuple[InstallCommand, ...]


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(CheckRequest, event)
    progress = steps.check_installs(list(request.commands), SsmAdapter(ssm_client(config.region_from_env())))
    logger.info(
        "installs checked",
        extra={"pending": progress.pending, "installed": len(progress.installed), "failed": len(progress.results)},
    )
    return progress.model_dump(mode="json", by_alias=True)
