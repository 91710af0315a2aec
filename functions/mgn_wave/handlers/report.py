"""Report: the wave report as JSON and Markdown in the report bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave import config, steps, timeutil
from mgn_wave.adapters.clients import s3_client
from mgn_wave.adapters.reports import ReportStore
from mgn_wave.models.validation import parse_model
from mgn_wave.observability import logger, tracer
from mgn_wave.report import WaveReport

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    report = parse_model(WaveReport, {**event, "generatedAt": timeutil.iso(timeutil.utcnow())})
    location = steps.write_report(
        report, ReportStore(s3_client(config.region_from_env()), config.report_bucket_from_env())
    )
    logger.info("wave report written", extra=location)
    return location
