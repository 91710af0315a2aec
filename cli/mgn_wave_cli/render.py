"""How findings and executions look on a terminal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.table import Table
from rich.text import Text

from mgn_wave.models.findings import Severity

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.console import Console

    from mgn_wave.models.findings import Finding
    from mgn_wave.models.replication import EnforcementReport

SEVERITY_STYLE = {Severity.BLOCKER: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def findings_table(findings: Iterable[Finding], severity: Severity) -> Table | None:
    rows = [f for f in findings if f.severity is severity]
    if not rows:
        return None
    table = Table(
        title=Text(f"{severity.value} ({len(rows)})", style=SEVERITY_STYLE[severity]),
        title_justify="left",
        show_lines=True,
        expand=True,
    )
    table.add_column("code", style=SEVERITY_STYLE[severity], no_wrap=True)
    table.add_column("resource", no_wrap=True)
    table.add_column("problem", ratio=3)
    table.add_column("fix", ratio=3)
    for finding in rows:
        table.add_row(finding.code, finding.resource, finding.message, finding.fix)
    return table


def print_findings(console: Console, findings: list[Finding]) -> None:
    """Grouped by severity, blockers first, each with its fix."""
    if not findings:
        console.print("[green]No findings: the private path to MGN is complete.[/green]")
        return
    for severity in Severity:
        table = findings_table(findings, severity)
        if table is not None:
            console.print(table)
    blockers = sum(1 for f in findings if f.severity is Severity.BLOCKER)
    if blockers:
        console.print(f"[bold red]{blockers} blocker(s): fix them before installing any agent.[/bold red]")
    else:
        console.print("[green]No blocker: the private path to MGN is usable.[/green]")


def _value(value: object) -> str:
    return "—" if value is None else json.dumps(value, sort_keys=True)


def print_drift(console: Console, report: EnforcementReport) -> None:
    """One table: every template/server field that differed, before → after, and what was done."""
    table = Table(title="replication settings" + (" (dry run: nothing written)" if report.dry_run else ""))
    table.add_column("resource", no_wrap=True)
    table.add_column("action")
    table.add_column("field")
    table.add_column("before")
    table.add_column("after")
    for drift in (report.template, *report.servers):
        if not drift.changes:
            table.add_row(drift.resource_id, drift.action.value, "", "", "", style="dim")
        for change in drift.changes:
            table.add_row(
                drift.resource_id,
                drift.action.value,
                change.field,
                _value(change.before),
                _value(change.after),
            )
        if drift.error:
            table.add_row(drift.resource_id, drift.action.value, "error", drift.error, "", style="red")
    console.print(table)
    if not report.drift_found:
        console.print(
            "[green]No drift: the template and every registered server already hold the private path.[/green]"
        )
