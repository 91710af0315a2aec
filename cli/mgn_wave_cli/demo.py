"""`mgn-wave demo`: a MigrateWave execution on the emulated AWS, shown as it happened."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING

from rich.panel import Panel
from rich.table import Table

from mgn_wave.models.findings import Finding
from mgn_wave.models.replication import EnforcementReport
from mgn_wave_cli.render import print_drift, print_findings
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.scenario import load_scenario

if TYPE_CHECKING:
    from rich.console import Console

    from mgn_wave_emu.harness import ExecutionResult

# Ends the demo accepts as a verdict; anything else (a crash, an unexpected error) fails it.
VERDICTS = {("SUCCEEDED", None), ("FAILED", "PreflightBlocked")}


def _states_table(result: ExecutionResult) -> Table:
    table = Table(title="states entered", title_justify="left")
    table.add_column("#", justify="right")
    table.add_column("state")
    table.add_column("type")
    entered = [e for e in result.events if "stateEnteredEventDetails" in e]
    for number, event in enumerate(entered, start=1):
        table.add_row(
            str(number), event["stateEnteredEventDetails"]["name"], event["type"].removesuffix("StateEntered")
        )
    return table


def _findings(result: ExecutionResult) -> list[Finding]:
    if result.status == "SUCCEEDED":
        raw = result.output["preflight"]["findings"]
    elif result.error == "PreflightBlocked" and result.cause:
        raw = json.loads(result.cause)
    else:
        return []
    return [Finding.model_validate(item) for item in raw]


def run_demo(console: Console, scenario_names: list[str]) -> int:
    exit_code = 0
    for name in scenario_names:
        scenario = load_scenario(name)
        started = time.perf_counter()
        with EmulatedAws(region=scenario.region) as aws:
            aws.deploy_scenario(scenario)
            console.rule(f"[bold]scenario {name}[/bold]")
            console.print(f"[dim]{scenario.description}[/dim]")
            result = aws.run({"wave": scenario.mgn.wave}, name=f"demo-{name}")
        console.print(_states_table(result))
        print_findings(console, _findings(result))
        if result.status == "SUCCEEDED" and "replicationSettings" in result.output:
            print_drift(console, EnforcementReport.model_validate(result.output["replicationSettings"]))
        verdict = f"{result.status}" + (f" ({result.error})" if result.error else "")
        style = "green" if result.status == "SUCCEEDED" else "red"
        elapsed = time.perf_counter() - started
        console.print(Panel(f"MigrateWave {verdict} in {elapsed:.1f}s wall time", style=style, expand=False))
        if (result.status, result.error) not in VERDICTS:
            console.print(f"[bold red]unexpected end: {result.error}: {result.cause}[/bold red]")
            exit_code = 1
    return exit_code
