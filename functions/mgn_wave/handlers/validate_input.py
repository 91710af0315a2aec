"""ValidateInput: the execution input, checked against its contract before anything runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.core.observability import logger, tracer
from mgn_wave.waves.models import validate_wave_input

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    wave_input = validate_wave_input(event)
    logger.info("wave input accepted", extra={"wave": wave_input.wave})
    return wave_input.model_dump(mode="json", by_alias=True)
