"""Summarize: every server's result and the wave's totals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit

from mgn_wave import steps
from mgn_wave.observability import logger, metrics, tracer

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


METRIC_OF_STATUS = {"SUCCEEDED": "ServersSucceeded", "FAILED": "ServersFailed", "SKIPPED": "ServersSkipped"}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    wave_input = steps.validate_wave_input(event.get("input"))
    summary = steps.summarize(wave_input.wave, list(event.get("resultLists") or []))
    # Per wave, for the dashboard: how many servers ended in each status.
    metrics.add_dimension(name="Wave", value=summary.wave)
    for status, metric in (
        ("SUCCEEDED", "ServersSucceeded"),
        ("FAILED", "ServersFailed"),
        ("SKIPPED", "ServersSkipped"),
    ):
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=summary.totals.get(status, 0))
    logger.info("wave summarized", extra={"wave": summary.wave, "totals": summary.totals})
    return summary.model_dump(mode="json", by_alias=True)
