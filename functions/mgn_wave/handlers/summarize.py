"""Summarize: every server's result and the wave's totals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave import steps
from mgn_wave.observability import logger, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    wave_input = steps.validate_wave_input(event.get("input"))
    summary = steps.summarize(wave_input.wave, list(event.get("resultLists") or []))
    logger.info("wave summarized", extra={"wave": summary.wave, "totals": summary.totals})
    return summary.model_dump(mode="json", by_alias=True)
