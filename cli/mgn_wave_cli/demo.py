"""`mgn-wave demo`: a MigrateWave execution on the emulated AWS, shown as it happened."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING

from rich.panel import Panel

from mgn_wave.models.findings import Finding
from mgn_wave.models.replication import EnforcementReport
from mgn_wave.models.server import WaveSummary
from mgn_wave_cli.render import print_drift, print_findings, print_servers
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.scenario import load_scenario

if TYPE_CHECKING:
    from rich.console import Console

    from mgn_wave_emu.harness import ExecutionResult

DEMO_OUTPUT = Path("demo-output")
# Ends the demo accepts as a verdict; anything else (a crash, an unexpected error) fails it.
VERDICTS = {("SUCCEEDED", None), ("FAILED", "PreflightBlocked")}


def _path(result: ExecutionResult) -> str:
    """The states entered, in order, loops folded: `WaitForInstalls x4`."""
    counts: dict[str, int] = {}
    for name in result.states_entered:
        counts[name] = counts.get(name, 0) + 1
    return " → ".join(f"{name} x{n}" if n > 1 else name for name, n in counts.items())


def _save_report(aws: EmulatedAws, result: ExecutionResult, folder: Path) -> Path | None:
    """Copy the wave report from the emulated wave bucket to a local folder."""
    if result.status != "SUCCEEDED":
        return None
    location = result.output["summary"]
    folder.mkdir(parents=True, exist_ok=True)
    s3 = aws.client("s3")
    for key in (location["jsonKey"], location["markdownKey"]):
        body = s3.get_object(Bucket=location["bucket"], Key=key)["Body"].read()
        (folder / Path(key).name).write_bytes(body)
    return folder / Path(location["markdownKey"]).name


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
            names = {node.node_id: node.name for node in aws.fleet.nodes.values()} if aws.fleet else {}
            simulated = aws.clock.elapsed
            saved = _save_report(aws, result, DEMO_OUTPUT / name)
            report = aws.wave_report(result.output) if result.status == "SUCCEEDED" else None
        console.print(f"[bold]states[/bold] {_path(result)}", highlight=False)
        print_findings(console, _findings(result))
        if report is not None:
            print_drift(console, EnforcementReport.model_validate(report["replicationSettings"]))
            print_servers(console, list(WaveSummary.model_validate(report["summary"]).servers), names)
        if saved:
            console.print(f"[bold]report[/bold] {saved}", highlight=False)
        verdict = f"{result.status}" + (f" ({result.error})" if result.error else "")
        style = "green" if result.status == "SUCCEEDED" else "red"
        elapsed = time.perf_counter() - started
        console.print(
            Panel(
                f"MigrateWave {verdict}: {simulated} of simulated time in {elapsed:.1f}s wall time",
                style=style,
                expand=False,
            )
        )
        if (result.status, result.error) not in VERDICTS:
            console.print(f"[bold red]unexpected end: {result.error}: {result.cause}[/bold red]")
            exit_code = 1
    return exit_code
