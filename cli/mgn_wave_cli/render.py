"""How findings and executions look on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.models.findings import Severity
from rich.table import Table
from rich.text import Text

if TYPE_CHECKING:
    from collections.abc import Iterable

    from mgn_wave.models.findings import Finding
    from rich.console import Console

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
