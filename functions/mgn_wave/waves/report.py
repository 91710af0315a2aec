"""The wave report: one JSON document for machines, one Markdown page for people."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.preflight.findings import Finding
from mgn_wave.replication_settings.models import EnforcementReport
from mgn_wave.waves.models import WaveInput, WaveSummary


class WaveReport(BaseModel):
    """Inputs, findings, template changes (before → after), per-server results, totals (docs/contracts.md §4)."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    execution: str
    generated_at: str = Field(alias="generatedAt")
    input: WaveInput
    findings: tuple[Finding, ...]
    replication_settings: EnforcementReport = Field(alias="replicationSettings")
    summary: WaveSummary


def _cell(value: Any) -> str:
    text = "" if value is None else value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: WaveReport) -> str:
    summary = report.summary
    totals = summary.totals
    lines = [
        f"# Wave `{summary.wave}`",
        "",
        f"Execution `{report.execution}`, report generated {report.generated_at}."
        + (" **Dry run: nothing was changed or installed.**" if report.input.dry_run else ""),
        "",
        "| succeeded | failed | skipped | total |",
        "| ---: | ---: | ---: | ---: |",
        f"| {totals.get('SUCCEEDED', 0)} | {totals.get('FAILED', 0)} | {totals.get('SKIPPED', 0)} | "
        f"{totals.get('total', 0)} |",
        "",
        "## Servers",
        "",
        "| server | source server | status | stage | reason | what to check |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for server in summary.servers:
        stage = server.stage.value + (f" / {server.phase}" if server.phase else "")
        lines.append(
            f"| `{server.instance_id}` | {_cell(server.source_server_id or '-')} | **{server.status.value}** | "
            f"{stage} | {_cell(server.reason)} | {_cell(server.hint)} |"
        )
    lines += ["", "## Replication settings", ""]
    for drift in (report.replication_settings.template, *report.replication_settings.servers):
        if not drift.changes:
            lines.append(f"- `{drift.resource_id}`: {drift.action.value}")
            continue
        changes = "; ".join(f"`{c.field}` {_cell(c.before)} → {_cell(c.after)}" for c in drift.changes)
        lines.append(f"- `{drift.resource_id}`: {drift.action.value} — {changes}")
    lines += ["", "## Preflight findings", ""]
    if not report.findings:
        lines.append("None: the private path to MGN is complete.")
    for finding in report.findings:
        lines.append(
            f"- **{finding.severity.value}** `{finding.code}` on `{finding.resource}`: {finding.message} "
            f"Fix: {finding.fix}"
        )
    return "\n".join(lines) + "\n"
