"""Summarize: every server's result, the wave's totals and metrics, and the wave report (JSON and
Markdown) in the wave bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.metrics import MetricUnit
from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.core import timeutil
from mgn_wave.core.observability import logger, metrics, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers._store import wave_store
from mgn_wave.preflight.findings import Finding
from mgn_wave.replication_settings.flow import load_enforcement_report
from mgn_wave.replication_settings.models import EnforcementSummary
from mgn_wave.waves.models import WaveInput
from mgn_wave.waves.report import WaveReport
from mgn_wave.waves.summary import summarize, unaccounted, write_report

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

METRIC_OF_STATUS = {"SUCCEEDED": "ServersSucceeded", "FAILED": "ServersFailed", "SKIPPED": "ServersSkipped"}


class SummarizeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    input: WaveInput
    execution_name: str = Field(alias="executionName", pattern=r"^[A-Za-z0-9_.:-]{1,80}$")
    servers_key: str = Field(alias="serversKey", min_length=1, max_length=1024)
    findings: tuple[Finding, ...]
    replication_settings: EnforcementSummary = Field(alias="replicationSettings")


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
@metrics.log_metrics
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(SummarizeRequest, event)
    store = wave_store()
    results = store.results(request.execution_name)
    expected = [str(server["instanceId"]) for server in store.get_list(request.servers_key)]
    results += unaccounted(expected, results)
    summary = summarize(request.input.wave, [[r.model_dump(mode="json", by_alias=True) for r in results]])
    report = WaveReport(
        execution=request.execution_name,
        generated_at=timeutil.iso(timeutil.utcnow()),
        input=request.input,
        findings=request.findings,
        replication_settings=load_enforcement_report(request.replication_settings, store),
        summary=summary,
    )
    location = write_report(report, store)
    # Per wave, for the dashboard: how many servers ended in each status.
    metrics.add_dimension(name="Wave", value=summary.wave)
    for status, metric in METRIC_OF_STATUS.items():
        metrics.add_metric(name=metric, unit=MetricUnit.Count, value=summary.totals.get(status, 0))
    logger.info("wave summarized", extra={"wave": summary.wave, "totals": summary.totals, **location})
    return {"wave": summary.wave, "totals": summary.totals, **location}
