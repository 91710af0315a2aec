"""How findings and executions look on a terminal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from mgn_wave.models.findings import Severity

if TYPE_CHECKING:
    from rich.console import Console

    from mgn_wave.models.findings import Finding
    from mgn_wave.models.replication import EnforcementReport
    from mgn_wave.models.server import ServerResult

STATUS_STYLE = {"SUCCEEDED": "green", "FAILED": "bold red", "SKIPPED": "yellow"}
SEVERITY_STYLE = {Severity.BLOCKER: "bold red", Severity.WARNING: "yellow", Severity.INFO: "cyan"}


def print_findings(console: Console, findings: list[Finding]) -> None:
    """Grouped by severity, blockers first; each finding with the resource, the problem and the fix.
    A block per finding rather than a table: messages are sentences and must stay readable at 80
    columns."""
    if not findings:
        console.print("[green]No findings: the private path to MGN is complete.[/green]")
        return
    for severity in Severity:
        group = [f for f in findings if f.severity is severity]
        if not group:
            continue
        style = SEVERITY_STYLE[severity]
        console.rule(Text(f"{severity.value} ({len(group)})", style=style), align="left", style=style)
        for finding in group:
            console.print(Text.assemble((finding.code, style), "  ", (finding.resource, "bold")))
            console.print(Padding(Text.assemble(("problem ", "dim"), finding.message), (0, 0, 0, 2)))
            console.print(Padding(Text.assemble(("fix     ", "dim"), finding.fix), (0, 0, 0, 2)))
    blockers = sum(1 for f in findings if f.severity is Severity.BLOCKER)
    if blockers:
        console.print(f"[bold red]{blockers} blocker(s): fix them before installing any agent.[/bold red]")
    else:
        console.print("[green]No blocker: the private path to MGN is usable.[/green]")


def _value(value: object) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def print_drift(console: Console, report: EnforcementReport) -> None:
    """Every template/server field that differed, before → after, and what was done about it."""
    table = Table(title="replication settings" + (" (dry run: nothing written)" if report.dry_run else ""))
    table.add_column("resource / action", no_wrap=True)
    table.add_column("field", no_wrap=True)
    table.add_column("before → after")
    for drift in (report.template, *report.servers):
        rows = [(change.field, f"{_value(change.before)} → {_value(change.after)}") for change in drift.changes]
        if drift.error:
            rows.append(("error", drift.error))
        for number, (field, change) in enumerate(rows or [("", "")]):
            first = number == 0
            table.add_row(
                f"{drift.resource_id}\n[dim]{drift.action.value}[/dim]" if first else "",
                field,
                change,
                style="red" if field == "error" else None,
                end_section=number == len(rows) - 1,
            )
    console.print(table)
    if not report.drift_found:
        console.print("[green]No drift: the template and every registered server hold the private path.[/green]")


def print_servers(console: Console, servers: list[ServerResult], names: dict[str, str] | None = None) -> None:
    """One block per server: its verdict, where its journey ended, why, and what to check."""
    names = names or {}
    counts: dict[str, int] = {}
    for server in servers:
        counts[server.status.value] = counts.get(server.status.value, 0) + 1
    totals = ", ".join(f"{n} {status.lower()}" for status, n in sorted(counts.items()))
    console.rule(Text(f"servers ({totals})"), align="left")
    for server in sorted(servers, key=lambda s: names.get(s.instance_id, s.instance_id)):
        style = STATUS_STYLE.get(server.status.value, "")
        label = names.get(server.instance_id, server.instance_id)
        where = server.stage.value + (f"/{server.phase}" if server.phase else "")
        console.print(
            Text.assemble(
                (f"{server.status.value:<9}", style),
                " ",
                (label, "bold"),
                f"  {server.instance_id}",
                f"  {server.source_server_id or '-'}",
                ("  " + where, "dim"),
            )
        )
        console.print(Padding(Text.assemble(("why  ", "dim"), server.reason), (0, 0, 0, 2)))
        if server.hint:
            console.print(Padding(Text.assemble(("hint ", "dim"), server.hint), (0, 0, 0, 2)))
