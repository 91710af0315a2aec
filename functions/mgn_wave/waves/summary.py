"""The wave's outcome: every server's result once, the totals, and the report in the wave bucket."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.core.server_result import ServerResult, ServerStatus, Stage
from mgn_wave.waves.flow import wave_key
from mgn_wave.waves.models import WaveSummary
from mgn_wave.waves.report import render_markdown

if TYPE_CHECKING:
    from mgn_wave.adapters.wave_store import WaveStore
    from mgn_wave.waves.report import WaveReport


def unaccounted(expected: list[str], results: list[ServerResult]) -> list[ServerResult]:
    """A server of the wave with no result at all (its per-server execution ended without recording
    one) still gets a line in the report: nothing is lost silently."""
    recorded = {result.instance_id for result in results}
    return [
        ServerResult.failed(
            instance_id,
            Stage.REPLICATION,
            "no result was recorded for this server: its per-server execution ended without one",
            "See the ForEachServer Map Run of this execution in the Step Functions console; rerun the wave "
            "(servers already replicating are skipped).",
        )
        for instance_id in expected
        if instance_id not in recorded
    ]


def summarize(wave: str, result_lists: list[list[dict[str, Any]]]) -> WaveSummary:
    """Every stage's results in one list (a server appears once), and the totals."""
    by_instance: dict[str, ServerResult] = {}
    for results in result_lists:
        for raw in results:
            result = ServerResult.model_validate(raw)
            by_instance[result.instance_id] = result  # later stages know more than earlier ones
    servers = tuple(sorted(by_instance.values(), key=lambda r: r.instance_id))
    totals = {status.value: sum(1 for r in servers if r.status is status) for status in ServerStatus}
    totals["total"] = len(servers)
    return WaveSummary(wave=wave, totals=totals, servers=servers)


def write_report(report: WaveReport, store: WaveStore) -> dict[str, str]:
    """The JSON and the Markdown report side by side; returns where they are."""
    json_key = wave_key(report.summary.wave, report.execution, "report.json")
    markdown_key = wave_key(report.summary.wave, report.execution, "report.md")
    store.put_text(json_key, report.model_dump_json(by_alias=True, indent=2), "application/json")
    store.put_text(markdown_key, render_markdown(report), "text/markdown; charset=utf-8")
    return {"bucket": store.bucket, "jsonKey": json_key, "markdownKey": markdown_key}
