"""How findings and executions look on a terminal."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from rich.padding import Padding
from rich.progress_bar import ProgressBar
from rich.table import Table
from rich.text import Text

from mgn_wave.preflight.findings import Severity

if TYPE_CHECKING:
    from rich.console import Console

    from mgn_wave.core.server_result import ServerResult
    from mgn_wave.preflight.findings import Finding
    from mgn_wave.replication_settings.models import EnforcementReport
    from mgn_wave.waves.models import WaveSummary
    from mgn_wave_cli.waves import Execution, ServerRow, WaveProgress

STATUS_STYLE = {"SUCCEEDED": "green", "FAILED": "bold red", "SKIPPED": "yellow"}
EXECUTION_STYLE = {
    "RUNNING": "cyan",
    "SUCCEEDED": "green",
    "FAILED": "bold red",
    "TIMED_OUT": "bold red",
    "ABORTED": "red",
}
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


def print_execution(console: Console, execution: Execution, state: str | None) -> None:
    """Status, name, the state it is in (or ended in), when it ran."""
    console.print(
        Text.assemble(
            (f"{execution.status:<9}", EXECUTION_STYLE.get(execution.status, "")),
            " ",
            (execution.name, "bold"),
            ("  state ", "dim"),
            state or "-",
        )
    )
    # soft_wrap: an ARN must stay one line, to copy it whole
    console.print(Text.assemble("  ", ("arn ", "dim"), execution.arn), soft_wrap=True)
    ran = f"started {execution.started:%Y-%m-%d %H:%M:%S %Z}"
    if execution.stopped:
        ran += f", stopped {execution.stopped:%Y-%m-%d %H:%M:%S %Z}"
    console.print(Text("  " + ran, style="dim"))


def print_outcome(
    console: Console, execution: Execution, summary: WaveSummary | None, names: dict[str, str] | None = None
) -> None:
    """What an ended execution left: every server's verdict and the totals, or why it stopped."""
    if summary is not None:
        print_servers(console, list(summary.servers), names)
    totals = summary.totals if summary is not None else execution.totals
    if totals is not None:
        console.print(
            f"[bold]totals[/bold] {totals.get('SUCCEEDED', 0)} succeeded, {totals.get('FAILED', 0)} failed, "
            f"{totals.get('SKIPPED', 0)} skipped of {totals.get('total', 0)} servers",
            highlight=False,
        )
    if execution.report:
        report = execution.report
        console.print(f"[bold]report[/bold] s3://{report['bucket']}/{report['markdownKey']}", highlight=False)
    if execution.status == "SUCCEEDED":
        return
    findings = execution.blocking_findings
    if findings:
        console.print(f"[bold red]{execution.error}[/bold red]: the private path is not complete.")
        print_findings(console, findings)
    else:
        console.print(
            Text.assemble((f"{execution.error or execution.status}", "bold red"), ": ", execution.cause or "(no cause)")
        )


def progress_table(progress: WaveProgress, title: str) -> Table:
    """A row per server while the wave runs: where it is, its replication phase and sync %."""
    where = progress.where or "starting"
    if progress.map_done:
        where += f" · {progress.map_done}"
    table = Table(title=f"{title} · {where}", title_justify="left")
    table.add_column("server", no_wrap=True)
    table.add_column("instance", no_wrap=True)
    table.add_column("source server", no_wrap=True)
    table.add_column("where")
    table.add_column("phase", no_wrap=True)
    table.add_column("sync", no_wrap=True, width=12)
    table.add_column("%", justify="right", no_wrap=True)
    table.add_column("verdict", no_wrap=True)
    for row in progress.servers:
        known = row.progress_percent is not None
        percent = row.progress_percent or 0.0
        table.add_row(
            row.name or "-",
            row.instance_id,
            row.source_server_id or "-",
            row.step,
            _phase(row),
            ProgressBar(total=100, completed=percent, width=12) if known else Text("-", style="dim"),
            f"{percent:.0f}" if known else "",
            Text(row.status or "…", style=STATUS_STYLE.get(row.status or "", "dim")),
        )
    stalled = [row for row in progress.servers if row.stalled_error and not row.status]
    if stalled:
        # Still waiting: MGN retries, and the wave fails the server only after StalledGraceMinutes.
        table.caption = "\n".join(f"{row.name or row.instance_id} stalled: {row.stall_hint}" for row in stalled)
    if not progress.rows:
        table.caption = "the wave's servers are known once ResolveServers ran"
    return table


def _phase(row: ServerRow) -> str:
    if row.stalled_error and not row.status:
        return f"STALLED {row.stalled_error}, next attempt {row.next_attempt}"
    return row.phase or "-"


class ProgressLog:
    """Following a wave where the console is not a terminal (a CI log, a pipe): a line when the
    state changes and one per server verdict, instead of a live table nobody sees."""

    def __init__(self, console: Console) -> None:
        self._console = console
        self._where: str | None = None
        self._map_done: str | None = None
        self._decided: set[str] = set()

    def __call__(self, progress: WaveProgress) -> None:
        if progress.where and progress.where != self._where:
            self._where = progress.where
            self._console.print(Text.assemble(("state ", "dim"), progress.where), highlight=False)
        if progress.map_done and progress.map_done != self._map_done:
            self._map_done = progress.map_done
            self._console.print(Text.assemble(("servers ", "dim"), progress.map_done), highlight=False)
        for row in progress.servers:
            if row.status and row.instance_id not in self._decided:
                self._decided.add(row.instance_id)
                self._console.print(
                    Text.assemble(
                        (f"{row.status:<9}", STATUS_STYLE.get(row.status, "")),
                        " ",
                        (row.name or row.instance_id, "bold"),
                        f"  {row.instance_id}  ",
                        (row.step + (f"/{row.phase}" if row.phase else ""), "dim"),
                    ),
                    highlight=False,
                )
