"""`mgn-wave demo`: a MigrateWave execution on the emulated AWS, shown as it happened."""

from __future__ import annotations

import json
import time
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from rich.panel import Panel

from mgn_wave.launch.ports import CHECK_PORTS_TAG
from mgn_wave.preflight.findings import Finding
from mgn_wave.replication_settings.models import EnforcementReport
from mgn_wave.waves.models import WaveSummary
from mgn_wave_cli.render import print_drift, print_findings, print_servers
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.scenario import load_scenario

if TYPE_CHECKING:
    from rich.console import Console

    from mgn_wave_emu.harness import ExecutionResult
    from mgn_wave_emu.scenario import Scenario

DEMO_OUTPUT = Path("demo-output")
# Ends the demo accepts as a verdict; anything else (a crash, an unexpected error) fails it.
VERDICTS = {("SUCCEEDED", None), ("FAILED", "PreflightBlocked")}


def _whole_seconds(elapsed: timedelta) -> timedelta:
    # MGN's events reach the stack half a second after they are sent: whole seconds read better.
    return timedelta(seconds=round(elapsed.total_seconds()))


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
            _deploy_with_target(aws, scenario)
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
                    f"MigrateWave {verdict}: {_whole_seconds(simulated)} of simulated time in {elapsed:.1f}s wall time",
                    style=style,
                    expand=False,
                )
            )
            # The same wave goes on: a test launch (one test instance fails its check), an approved cutover
            launched = _launch_demo(console, aws, DEMO_OUTPUT / name) if result.status == "SUCCEEDED" else True
        if not launched:
            console.print("[bold red]the launch stages did not end as expected[/bold red]")
            exit_code = 1
        if (result.status, result.error) not in VERDICTS:
            console.print(f"[bold red]unexpected end: {result.error}: {result.cause}[/bold red]")
            exit_code = 1
    return exit_code


def _deploy_with_target(aws: EmulatedAws, scenario: Scenario) -> None:
    """The scenario's stack, with a target for test and cutover instances: the staging VPC's private
    subnet and a security group of its own (the scenarios describe no separate target VPC)."""
    built = aws.build_scenario(scenario)
    vpc = built.stack_parameters["StagingVpcId"]
    group = aws.client("ec2").create_security_group(
        GroupName="migrated-servers", Description="test and cutover instances", VpcId=vpc
    )["GroupId"]
    # HTTPS among the migrated servers: what the port check of the servers tagged for 443 goes through
    https = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "UserIdGroupPairs": [{"GroupId": group}]}
    aws.client("ec2").authorize_security_group_ingress(GroupId=group, IpPermissions=[https])
    aws.deploy(
        {**built.stack_parameters, "TargetSubnetId": built.target.staging_subnet_id, "TargetSecurityGroupIds": group}
    )


def _launch(aws: EmulatedAws, stage: str, *, approve_after_start: bool = False) -> ExecutionResult:
    from mgn_wave_emu.operator import start_and_approve  # noqa: PLC0415

    execution_input = {"waveId": "wave-01", "stage": stage}
    if approve_after_start:
        # The operator's `mgn-wave approve wave-01`, once the cutover asks
        arn = start_and_approve(aws, execution_input, f"demo-{stage}", approver="demo operator")
    else:
        arn = aws.client("stepfunctions").start_execution(
            stateMachineArn=aws.state_machine_arns["LaunchWaveStateMachine"],
            name=f"demo-{stage}",
            input=json.dumps(execution_input),
        )["executionArn"]
    return aws.wait(arn, timeout_seconds=300)


def _launch_demo(console: Console, aws: EmulatedAws, folder: Path) -> bool:
    """After replication: a test launch in which one server's test instance never comes Online in
    SSM and one server's port check finds a port closed, an approved cutover of the servers that
    passed (each runs a post-launch action first), each with its report."""
    from mgn_wave_cli.launch import print_launch_report, read_launch_report  # noqa: PLC0415

    launchable = sorted(
        (aws.mgn.source_server(s)["sourceProperties"]["identificationHints"]["hostname"], s)
        for s in aws.mgn.source_server_ids()
        if aws.mgn.source_server(s)["lifeCycle"]["state"] == "READY_FOR_TEST"
    )
    if not launchable:
        return True
    failing_host, failing = launchable[-1]
    aws.mgn.launch.faults.ssm_offline.add(failing)
    console.print(f"[dim]{failing_host}'s test instance will not come Online in SSM[/dim]")
    mgn = aws.client("mgn")
    for (host, server_id), ports in zip(launchable[:2], ("443", "443,5432"), strict=False):
        # The operator's tag: which TCP ports the check opens from the target subnet (5432: not admitted)
        arn = aws.mgn.source_server(server_id)["arn"]
        mgn.tag_resource(resourceArn=arn, tags={CHECK_PORTS_TAG: ports})
        console.print(f"[dim]{host} is tagged {CHECK_PORTS_TAG}={ports}[/dim]")
    for _host, server_id in launchable:
        # One post-launch action on every cutover instance (an SSM document MGN runs on it)
        mgn.update_launch_configuration(
            sourceServerID=server_id,
            postLaunchActions={
                "deployment": "CUTOVER_ONLY",
                "ssmDocuments": [{"actionName": "verify-services", "ssmDocumentName": "AWS-RunShellScript"}],
            },
        )
    ok = True
    for stage in ("test", "cutover"):
        started = aws.clock.now()
        result = _launch(aws, stage, approve_after_start=stage == "cutover")
        console.print(f"[bold]LaunchWave {stage}[/bold] {_path(result)}", highlight=False)
        if result.status != "SUCCEEDED":
            console.print(f"[bold red]{result.error}: {result.cause}[/bold red]")
            ok = False
            continue
        report = read_launch_report(aws.client("s3"), result.output["summary"])
        print_launch_report(console, report)
        folder.mkdir(parents=True, exist_ok=True)
        s3 = aws.client("s3")
        summary = result.output["summary"]
        body = s3.get_object(Bucket=summary["bucket"], Key=summary["markdownKey"])["Body"].read()
        (folder / f"launch-{stage}.md").write_bytes(body)
        console.print(f"[bold]report[/bold] {folder / f'launch-{stage}.md'}  ({aws.clock.now() - started} simulated)")
    return ok
