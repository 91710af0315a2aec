"""`mgn-wave`: the operator's command line."""

from __future__ import annotations

import json
import os
import re
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import boto3
import typer
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.live import Live
from rich.markdown import Markdown
from rich.markup import escape
from rich.text import Text

from mgn_wave.adapters.clients import CLIENT_CONFIG
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.core import ids
from mgn_wave.core.errors import InvalidInputError, MgnWaveError
from mgn_wave.core.validation import first_error, parse_model
from mgn_wave.preflight.flow import check_private_path
from mgn_wave.preflight.network import PrivatePathTarget
from mgn_wave.replication_settings.flow import enforce_replication_settings
from mgn_wave.replication_settings.models import ReplicationPolicy
from mgn_wave.waves.models import WaveInput
from mgn_wave_cli import waves
from mgn_wave_cli.render import (
    ProgressLog,
    print_drift,
    print_execution,
    print_findings,
    print_outcome,
    progress_table,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient

    from mgn_wave.waves.models import WaveSummary

app = typer.Typer(
    help="Move server waves into AWS MGN over a private network (DX / VPN / peering).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

EXIT_OK, EXIT_ERROR, EXIT_BLOCKED = 0, 1, 2
ModelT = TypeVar("ModelT", bound=BaseModel)

# The staging network, as every command that reads it takes it.
StagingVpc = Annotated[str, typer.Option(help="Staging VPC ID (vpc-...).")]
StagingSubnet = Annotated[str, typer.Option(help="Staging subnet ID (subnet-...).")]
ReplicationSgs = Annotated[
    list[str],
    typer.Option("--replication-sg", help="Replication server security group (sg-...); repeatable."),
]
SourceCidrs = Annotated[list[str], typer.Option("--source-cidr", help="Source server range (IPv4 CIDR); repeatable.")]
Region = Annotated[
    str | None, typer.Option(help="AWS Region; defaults to AWS_REGION / AWS_DEFAULT_REGION / the profile.")
]
AsJson = Annotated[bool, typer.Option("--json", help="Print JSON for machines instead of tables.")]
# Where the MigrateWave state machine and its executions are.
StackName = Annotated[
    str | None, typer.Option(help="The mgn-wave CloudFormation stack (its StateMachineArn output is used).")
]
StateMachineArn = Annotated[str | None, typer.Option(help="The MigrateWave state machine ARN (or --stack-name).")]
ExecutionArn = Annotated[str | None, typer.Option(help="The execution's ARN, as `mgn-wave start` printed it.")]
WaveName = Annotated[str | None, typer.Option("--wave", help="With --stack-name: the wave's newest execution.")]
# Real seconds between reads of the execution history while following; tests make it short.
PollSeconds = Annotated[float, typer.Option(hidden=True, min=0.01)]
EXIT_INTERRUPTED = 130

# model field -> the flag an operator typed, so a bad value names the flag
FLAG_OF_FIELD = {
    "region": "--region",
    "staging_vpc_id": "--staging-vpc",
    "staging_subnet_id": "--staging-subnet",
    "replication_sg_ids": "--replication-sg",
    "source_cidrs": "--source-cidr",
    "replication_server_instance_type": "--instance-type",
    "bandwidth_throttling_mbps": "--bandwidth-mbps",
    "wave": "--wave",
}
# Flags the models do not check, held to their stack parameters' AllowedPattern (template.yaml);
# --region to the models' form, in ASCII digits (`\d` alone would take any script's digits).
FORM_OF_FLAG = {
    "--region": (re.compile(ids.REGION), "an AWS Region code like 'us-east-1'"),
    "--template-id": (re.compile(ids.TEMPLATE_ID), "'rct-' followed by 17 letters or digits"),
    "--instance-type": (re.compile(r"[a-z0-9]+\.[a-z0-9]+"), "an EC2 instance type like 't3.small'"),
    "--wave-tag-key": (re.compile(r"[A-Za-z0-9 _.:/+@-]{1,128}"), "1..128 of A-Z a-z 0-9 space _ . : / + @ -"),
    # Recorded in the execution's history as the approver: a user name or an e-mail address
    "--approver": (re.compile(r"[A-Za-z0-9 _.@+=,-]{1,128}", re.ASCII), "1..128 of A-Z a-z 0-9 space _ . @ + = , -"),
}


def _fail(message: str) -> typer.Exit:
    # The message quotes what the operator typed: markup in it is text, never a style (or a crash).
    err_console.print(f"[bold red]error:[/bold red] {escape(message)}")
    return typer.Exit(EXIT_ERROR)


def _checked(flag: str, value: str | None) -> str | None:
    """A value given for `flag` (None: not given), refused unless it has the flag's form."""
    pattern, form = FORM_OF_FLAG[flag]
    if value is not None and not pattern.fullmatch(value):
        raise _fail(f"{flag}: {value!r} is not {form}")
    return value


def _target(
    region: str | None,
    staging_vpc: str,
    staging_subnet: str,
    replication_sgs: list[str],
    source_cidrs: list[str],
) -> PrivatePathTarget:
    resolved_region = (
        _checked("--region", region) or os.environ.get("AWS_REGION") or boto3.session.Session().region_name
    )
    if not resolved_region:
        raise _fail("--region: no Region given and none configured (set --region or AWS_REGION)")
    fields = {
        "region": resolved_region,
        "staging_vpc_id": staging_vpc,
        "staging_subnet_id": staging_subnet,
        "replication_sg_ids": replication_sgs,
        "source_cidrs": source_cidrs,
    }
    return _validated(PrivatePathTarget, fields)


def _validated(model: type[ModelT], fields: dict[str, Any]) -> ModelT:
    try:
        return model.model_validate(fields)
    except ValidationError as exc:
        field, message = first_error(model, exc)
        raise _fail(f"{FLAG_OF_FIELD.get(field, field)}: {message}") from None


@contextmanager
def _aws_errors() -> Iterator[None]:
    """AWS trouble becomes one readable line and exit 1, never a traceback."""
    try:
        yield
    except (NoCredentialsError, NoRegionError) as exc:
        raise _fail(f"{exc} (the standard AWS environment applies: AWS_PROFILE, AWS_REGION, ...)") from None
    except (MgnWaveError, BotoCoreError) as exc:
        raise _fail(str(exc)) from None


@app.command()
def preflight(
    *,
    staging_vpc: StagingVpc,
    staging_subnet: StagingSubnet,
    replication_sg: ReplicationSgs,
    source_cidr: SourceCidrs,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Check the private path to MGN, read-only. Exit 0: no blocker, 2: blockers, 1: error."""
    target = _target(region, staging_vpc, staging_subnet, replication_sg, source_cidr)
    with _aws_errors():
        ec2 = boto3.client("ec2", region_name=target.region, config=CLIENT_CONFIG)
        report = check_private_path(target, Ec2Adapter(ec2))
    if as_json:
        findings = [f.model_dump(mode="json") for f in report.findings]
        print(json.dumps({"ok": report.ok, "findings": findings}, indent=2))
    else:
        print_findings(console, list(report.findings))
    raise typer.Exit(EXIT_OK if report.ok else EXIT_BLOCKED)


@app.command()
def template(
    *,
    wave: Annotated[str, typer.Option(help="Wave whose registered servers get the settings too.")],
    staging_vpc: StagingVpc,
    staging_subnet: StagingSubnet,
    replication_sg: ReplicationSgs,
    source_cidr: SourceCidrs,
    region: Region = None,
    template_id: Annotated[
        str | None, typer.Option(help="Replication template to enforce when several exist (rct-...).")
    ] = None,
    instance_type: Annotated[str | None, typer.Option(help="Replication server instance type to hold.")] = None,
    bandwidth_mbps: Annotated[int | None, typer.Option(help="Bandwidth cap to hold, Mbps (0 = none).")] = None,
    wave_tag_key: Annotated[str, typer.Option(help="Tag key that names a server's wave.")] = "MigrationWave",
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Show the drift; change nothing.")] = False,
    as_json: AsJson = False,
) -> None:
    """Hold the private-path replication settings on the MGN template and the wave's servers.

    The same code the EnforceTemplate Lambda runs. Exit 0 on success, 1 on error or refusal."""
    target = _target(region, staging_vpc, staging_subnet, replication_sg, source_cidr)
    for flag, value in (
        ("--template-id", template_id),
        ("--instance-type", instance_type),
        ("--wave-tag-key", wave_tag_key),
    ):
        _checked(flag, value)
    policy = _validated(
        ReplicationPolicy,
        {
            "staging_subnet_id": target.staging_subnet_id,
            "replication_sg_ids": target.replication_sg_ids,
            "replication_server_instance_type": instance_type,
            "bandwidth_throttling_mbps": bandwidth_mbps,
        },
    )
    try:
        wave_input = parse_model(WaveInput, {"wave": wave, "dryRun": dry_run})
    except MgnWaveError as exc:
        raise _fail(f"--{exc}") from None
    with _aws_errors():
        report = enforce_replication_settings(
            wave_input=wave_input,
            policy=policy,
            target=target,
            template_id=template_id,
            wave_tag_key=wave_tag_key,
            mgn=MgnAdapter(boto3.client("mgn", region_name=target.region, config=CLIENT_CONFIG)),
            ec2=Ec2Adapter(boto3.client("ec2", region_name=target.region, config=CLIENT_CONFIG)),
        )
    if as_json:
        print(json.dumps(report.model_dump(mode="json", by_alias=True), indent=2))
    else:
        print_drift(console, report)
    raise typer.Exit(EXIT_OK)


@app.command()
def demo(
    scenario: Annotated[
        list[str] | None,
        typer.Option(help="Shipped scenario(s) to run; default: a clean one, then a blocked one."),
    ] = None,
) -> None:
    """Run MigrateWave on the emulated AWS (no account, no Docker) and show what happened."""
    from mgn_wave_cli.demo import run_demo  # noqa: PLC0415 - moto and the emulator load only for the demo

    raise typer.Exit(run_demo(console, scenario or ["wave-demo", "seed-misconfigured"]))


def _state_machine(stack_name: str | None, state_machine_arn: str | None, region: str | None) -> str:
    """The MigrateWave ARN: given, or the stack's StateMachineArn output."""
    if state_machine_arn is not None and stack_name is None:
        if not waves.STATE_MACHINE_ARN_PATTERN.match(state_machine_arn):
            raise _fail(
                f"--state-machine-arn: {state_machine_arn!r} is not a state machine ARN "
                "(arn:aws:states:<region>:<account>:stateMachine:<name>)"
            )
        return state_machine_arn
    if stack_name is None or state_machine_arn is not None:
        raise _fail("--stack-name / --state-machine-arn: give exactly one of them")
    if not waves.STACK_NAME_PATTERN.match(stack_name):
        raise _fail(f"--stack-name: {stack_name!r} is not a stack name (a letter, then letters, digits, -)")
    with _aws_errors():
        cfn = boto3.client("cloudformation", region_name=region, config=CLIENT_CONFIG)
        return waves.state_machine_arn_from_stack(cfn, stack_name)


def _sfn(arn: str) -> SFNClient:
    return boto3.client("stepfunctions", region_name=waves.region_of(arn), config=CLIENT_CONFIG)


def _s3(arn: str) -> S3Client:
    # The wave bucket is the stack's, in the execution's Region.
    return boto3.client("s3", region_name=waves.region_of(arn), config=CLIENT_CONFIG)


def _wave_input(wave: str, instance_ids: list[str] | None = None, *, dry_run: bool = False, force: bool = False) -> Any:
    try:
        return waves.wave_input(wave=wave, instance_ids=instance_ids, dry_run=dry_run, force=force)
    except InvalidInputError as exc:
        raise _fail(str(exc)) from None


def _execution(
    execution_arn: str | None,
    stack_name: str | None,
    state_machine_arn: str | None,
    wave: str | None,
    region: str | None,
) -> str:
    """The execution ARN: given, or the newest execution of `wave` on the stack's state machine."""
    if execution_arn is not None:
        if stack_name or state_machine_arn or wave:
            raise _fail("--execution-arn: give it alone, or --stack-name (or --state-machine-arn) with --wave")
        if not waves.EXECUTION_ARN_PATTERN.match(execution_arn):
            raise _fail(
                f"--execution-arn: {execution_arn!r} is not an execution ARN "
                "(arn:aws:states:<region>:<account>:execution:<state machine>:<name>)"
            )
        return execution_arn
    if wave is None:
        raise _fail("--wave: needed with --stack-name / --state-machine-arn (or give --execution-arn)")
    _wave_input(wave)
    machine = _state_machine(stack_name, state_machine_arn, region)
    with _aws_errors():
        return waves.newest_execution_of_wave(_sfn(machine), machine, wave)


def _summary(execution: waves.Execution) -> WaveSummary | None:
    """Every server's result: in the output, or else in the JSON report (a note if unreadable)."""
    if execution.summary is not None or execution.report is None:
        return execution.summary
    try:
        return waves.report_summary(_s3(execution.arn), execution.report)
    except (MgnWaveError, BotoCoreError) as exc:
        err_console.print(f"[dim]per-server results not shown: {exc}[/dim]", soft_wrap=True)
        return None


def _show(
    execution: waves.Execution, state: str | None, progress: waves.WaveProgress | None, *, as_json: bool
) -> NoReturn:
    """Print an execution; exit 0 while it runs or when it SUCCEEDED, 2 when it ended otherwise."""
    summary = _summary(execution) if execution.finished else None
    if as_json:
        print(json.dumps(execution.as_json(state, summary=summary, progress=progress), indent=2, default=str))
    else:
        print_execution(console, execution, state)
        if execution.finished:
            names = {row.instance_id: row.name for row in progress.servers if row.name} if progress else {}
            print_outcome(console, execution, summary, {**execution.names, **names})
        elif progress is not None:
            console.print(progress_table(progress, execution.name))
    raise typer.Exit(EXIT_BLOCKED if execution.finished and execution.status != "SUCCEEDED" else EXIT_OK)


def _follow(
    sfn: SFNClient,
    execution_arn: str,
    *,
    wave: str,
    wave_tag_key: str | None,
    as_json: bool,
    poll_seconds: float,
) -> NoReturn:
    live_mgn = None
    if wave_tag_key:
        mgn = boto3.client("mgn", region_name=waves.region_of(execution_arn), config=CLIENT_CONFIG)
        # MGN is read far less often than the history: DescribeSourceServers is shared with the Lambdas.
        live_mgn = waves.MgnLiveProgress(
            MgnAdapter(mgn), wave=wave, wave_tag_key=wave_tag_key, every_seconds=6 * poll_seconds
        )
    name = execution_arn.rsplit(":", 1)[-1]
    try:
        with _aws_errors():
            if as_json:
                execution, progress = waves.follow(
                    sfn, execution_arn, poll_seconds=poll_seconds, on_progress=lambda _: None, live=live_mgn
                )
            elif console.is_terminal:
                with Live(console=console, refresh_per_second=4, transient=True) as live:
                    execution, progress = waves.follow(
                        sfn,
                        execution_arn,
                        poll_seconds=poll_seconds,
                        on_progress=lambda p: live.update(progress_table(p, name)),
                        live=live_mgn,
                    )
            else:
                execution, progress = waves.follow(
                    sfn, execution_arn, poll_seconds=poll_seconds, on_progress=ProgressLog(console), live=live_mgn
                )
    except KeyboardInterrupt:
        err_console.print(f"stopped following; the wave goes on: mgn-wave status --execution-arn {execution_arn}")
        raise typer.Exit(EXIT_INTERRUPTED) from None
    if live_mgn is not None and live_mgn.note and not as_json:
        err_console.print(f"[dim]{live_mgn.note}[/dim]")
    _show(execution, progress.state, progress, as_json=as_json)


@app.command()
def start(
    *,
    wave: Annotated[str, typer.Option(help="The wave: every SSM managed node tagged <WaveTagKey>=<wave>.")],
    instance_id: Annotated[
        list[str] | None,
        typer.Option("--instance-id", help="Only these servers (i-... / mi-...) instead of the tag; repeatable."),
    ] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Report the settings drift; change nothing.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Reinstall the agent on servers MGN knows.")] = False,
    follow: Annotated[bool, typer.Option("--follow", help="Show the wave's progress until it ends.")] = False,
    stack_name: StackName = None,
    state_machine_arn: StateMachineArn = None,
    region: Region = None,
    as_json: AsJson = False,
    wave_tag_key: Annotated[str, typer.Option(help="Tag key that names a server's wave (stack's WaveTagKey).")] = (
        "MigrationWave"
    ),
    mgn_progress: Annotated[
        bool, typer.Option("--mgn-progress/--no-mgn-progress", help="With --follow: read sync % from MGN directly.")
    ] = True,
    poll_seconds: PollSeconds = 5.0,
) -> None:
    """Start MigrateWave for a wave and print the execution ARN.

    Exit 0: started (with --follow: SUCCEEDED), 2: FAILED / TIMED_OUT / ABORTED, 1: error."""
    execution_input = _wave_input(wave, instance_id, dry_run=dry_run, force=force)
    _checked("--region", region)
    _checked("--wave-tag-key", wave_tag_key)
    machine = _state_machine(stack_name, state_machine_arn, region)
    name = waves.execution_name(wave, now=datetime.now(UTC))
    with _aws_errors():
        sfn = _sfn(machine)
        execution_arn = waves.start_execution(sfn, machine, execution_input, name)
    if as_json and not follow:
        print(json.dumps({"executionArn": execution_arn, "name": name, "input": execution_input}, indent=2))
    elif not as_json:
        console.print(Text.assemble(("started ", "green"), (name, "bold")), highlight=False)
        console.print(execution_arn, soft_wrap=True, highlight=False)
    if follow:
        _follow(
            sfn,
            execution_arn,
            wave=wave,
            wave_tag_key=wave_tag_key if mgn_progress else None,
            as_json=as_json,
            poll_seconds=poll_seconds,
        )
    raise typer.Exit(EXIT_OK)


@app.command()
def status(
    *,
    execution_arn: ExecutionArn = None,
    stack_name: StackName = None,
    state_machine_arn: StateMachineArn = None,
    wave: WaveName = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """An execution's status and state; once it ended, every server's verdict and the totals.

    Exit 0: running or SUCCEEDED, 2: FAILED / TIMED_OUT / ABORTED, 1: error."""
    arn = _execution(execution_arn, stack_name, state_machine_arn, wave, _checked("--region", region))
    with _aws_errors():
        sfn = _sfn(arn)
        execution = waves.describe_execution(sfn, arn)
        if execution.finished:
            progress, state = None, waves.latest_state(sfn, arn)
        else:
            progress = waves.load_progress(sfn, arn)
            state = progress.where
    _show(execution, state, progress, as_json=as_json)


@app.command()
def report(
    *,
    execution_arn: ExecutionArn = None,
    stack_name: StackName = None,
    state_machine_arn: StateMachineArn = None,
    wave: WaveName = None,
    region: Region = None,
    as_json: AsJson = False,
) -> None:
    """Print a wave's report from the wave bucket: Markdown (its source when piped), --json: the JSON.

    Exit 0: printed, 2: no report (still running, or it ended before its report was written), 1: error."""
    arn = _execution(execution_arn, stack_name, state_machine_arn, wave, _checked("--region", region))
    with _aws_errors():
        execution = waves.describe_execution(_sfn(arn), arn)
        location = execution.report
        text = waves.read_report(_s3(arn), location, as_json=as_json) if location else None
    if text is None:
        why = (
            "it is still running"
            if not execution.finished
            else f"it ended {execution.status} before its report was written"
        )
        err_console.print(
            f"[bold red]no report[/bold red] for {execution.name}: {why}. See `mgn-wave status --execution-arn {arn}`.",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_BLOCKED)
    if as_json or not console.is_terminal:
        print(text, end="" if text.endswith("\n") else "\n")  # piped: the Markdown source, to save as-is
    else:
        console.print(Markdown(text))
    raise typer.Exit(EXIT_OK)


# ---- LaunchWave: test, cutover, finalize and revert after replication -------------------------

LaunchStackName = Annotated[
    str, typer.Option(help="The mgn-wave CloudFormation stack (LaunchWave is one of its outputs).")
]
FollowLaunch = Annotated[bool, typer.Option("--follow", help="Show the states as they pass, then the report.")]


def _launch_machine(stack_name: str, region: str | None) -> str:
    from mgn_wave_cli.launch import LAUNCH_WAVE_OUTPUT, stack_output  # noqa: PLC0415

    if not waves.STACK_NAME_PATTERN.match(stack_name):
        raise _fail(f"--stack-name: {stack_name!r} is not a stack name (a letter, then letters, digits, -)")
    with _aws_errors():
        cfn = boto3.client("cloudformation", region_name=region, config=CLIENT_CONFIG)
        return stack_output(cfn, stack_name, LAUNCH_WAVE_OUTPUT)


def _run_launch(
    stage: str,
    wave: str,
    *,
    stack_name: str,
    region: str | None,
    follow: bool,
    as_json: bool,
    poll_seconds: float,
    dry_run: bool = False,
    archive: bool = False,
    source_server_ids: list[str] | None = None,
) -> NoReturn:
    from mgn_wave_cli import launch  # noqa: PLC0415

    try:
        execution_input = launch.launch_input(
            wave, stage, dry_run=dry_run, archive=archive, source_server_ids=source_server_ids
        )
    except InvalidInputError as exc:
        flag = {"waveId": "WAVE", "stage": "STAGE", "sourceServerIds": "--source-server-id"}.get(
            exc.field.split("[")[0]
        )
        raise _fail(f"{flag or exc.field}: {exc.problem}") from None
    _checked("--region", region)
    machine = _launch_machine(stack_name, region)
    name = waves.execution_name(f"{wave}-{stage}", now=datetime.now(UTC))
    with _aws_errors():
        sfn = _sfn(machine)
        execution_arn = waves.start_execution(sfn, machine, execution_input, name)
    if not follow:
        if as_json:
            print(json.dumps({"executionArn": execution_arn, "name": name, "input": execution_input}, indent=2))
        else:
            console.print(Text.assemble(("started ", "green"), (name, "bold")), highlight=False)
            console.print(execution_arn, soft_wrap=True, highlight=False)
            if stage == "cutover" and not dry_run:
                console.print(f"the cutover waits for: mgn-wave approve {wave} --stack-name {stack_name}")
        raise typer.Exit(EXIT_OK)
    on_state = (lambda _name: None) if as_json else (lambda state: console.print(f"  → {state}", highlight=False))
    with _aws_errors():
        described = launch.follow(sfn, execution_arn, poll_seconds=poll_seconds, on_state=on_state)
        output = json.loads(described.get("output") or "null")
        report = (
            launch.read_launch_report(_s3(execution_arn), output["summary"]) if output and "summary" in output else None
        )
    if as_json:
        print(json.dumps({"status": described["status"], "output": output, "report": report}, indent=2, default=str))
    elif report is not None:
        launch.print_launch_report(console, report)
    elif described["status"] != "SUCCEEDED":
        err_console.print(
            f"[bold red]{described['status']}[/bold red] {escape(str(described.get('error', '')))}: "
            f"{escape(str(described.get('cause', '')))}",
            soft_wrap=True,
        )
    elif output and output.get("plan", {}).get("dryRun"):
        with _aws_errors():
            settings = launch.read_launch_settings(_s3(execution_arn), output["plan"]["launchSettings"])
        for server in settings:
            console.print(f"{server['resourceId']}: {server['action']}", highlight=False)
            for change in server["changes"]:
                console.print(f"    {change['field']}: {change['before']!r} → {change['after']!r}", highlight=False)
    raise typer.Exit(EXIT_OK if described["status"] == "SUCCEEDED" else EXIT_BLOCKED)


@app.command("launch")
def launch_command(
    stage: Annotated[str, typer.Argument(help="test | cutover | finalize")],
    wave: Annotated[str, typer.Argument(help="The wave: MGN source servers tagged <WaveTagKey>=<wave>.")],
    *,
    stack_name: LaunchStackName,
    source_server_id: Annotated[
        list[str] | None, typer.Option("--source-server-id", help="Only these servers of the wave; repeatable.")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report the launch settings' drift; launch nothing.")
    ] = False,
    archive: Annotated[bool, typer.Option("--archive", help="After a finalized cutover, archive the server.")] = False,
    follow: FollowLaunch = False,
    region: Region = None,
    as_json: AsJson = False,
    poll_seconds: PollSeconds = 5.0,
) -> None:
    """Start LaunchWave for a wave: a test launch, a cutover (which waits for `mgn-wave approve`) or
    the finalisation of launched cutover instances.

    Exit 0: started (with --follow: SUCCEEDED), 2: FAILED / TIMED_OUT / ABORTED, 1: error."""
    if stage not in {"test", "cutover", "finalize"}:
        raise _fail(f"STAGE: {stage!r} is not test, cutover or finalize (to revert a test: mgn-wave revert WAVE)")
    _run_launch(
        stage,
        wave,
        stack_name=stack_name,
        region=region,
        dry_run=dry_run,
        archive=archive,
        source_server_ids=source_server_id,
        follow=follow,
        as_json=as_json,
        poll_seconds=poll_seconds,
    )


@app.command()
def revert(
    wave: Annotated[str, typer.Argument(help="The wave whose test instances to terminate.")],
    *,
    stack_name: LaunchStackName,
    follow: FollowLaunch = False,
    region: Region = None,
    as_json: AsJson = False,
    poll_seconds: PollSeconds = 5.0,
) -> None:
    """Revert a wave's test: back to READY_FOR_TEST, test instances terminated (TerminateTargetInstances)."""
    _run_launch(
        "revert", wave, stack_name=stack_name, region=region, follow=follow, as_json=as_json, poll_seconds=poll_seconds
    )


@app.command()
def approve(
    wave: Annotated[str, typer.Argument(help="The wave whose cutover waits for approval.")],
    *,
    stack_name: LaunchStackName,
    region: Region = None,
    approver: Annotated[
        str | None, typer.Option(help="Who approves (recorded in the execution); default $USER.")
    ] = None,
) -> None:
    """Approve a wave's waiting cutover. A second approval finds nothing to approve.

    Exit 0: approved, 2: no cutover of this wave waits (already approved, expired, or none started), 1: error."""
    from mgn_wave.adapters.launch_tokens import LaunchTokenStore  # noqa: PLC0415
    from mgn_wave.adapters.tokens import CallbackAdapter  # noqa: PLC0415
    from mgn_wave.launch.approval import approve as approve_cutover  # noqa: PLC0415
    from mgn_wave.waves.models import WAVE_NAME_PATTERN  # noqa: PLC0415
    from mgn_wave_cli.launch import STATE_TABLE_OUTPUT, stack_output  # noqa: PLC0415

    if not re.fullmatch(WAVE_NAME_PATTERN, wave):
        raise _fail(f"WAVE: {wave!r} is not a wave name (a letter or digit, then up to 79 of A-Z a-z 0-9 . _ -)")
    _checked("--approver", approver)
    _checked("--region", region)
    if not waves.STACK_NAME_PATTERN.match(stack_name):
        raise _fail(f"--stack-name: {stack_name!r} is not a stack name (a letter, then letters, digits, -)")
    user = os.environ.get("USER", "")
    who = approver or (user if FORM_OF_FLAG["--approver"][0].fullmatch(user) else "unknown")
    with _aws_errors():
        cfn = boto3.client("cloudformation", region_name=region, config=CLIENT_CONFIG)
        table = stack_output(cfn, stack_name, STATE_TABLE_OUTPUT)
        session_region = cfn.meta.region_name
        tokens = LaunchTokenStore(boto3.client("dynamodb", region_name=session_region, config=CLIENT_CONFIG), table)
        callbacks = CallbackAdapter(boto3.client("stepfunctions", region_name=session_region, config=CLIENT_CONFIG))
        approved = approve_cutover(wave, who, tokens=tokens, callbacks=callbacks)
    if not approved:
        err_console.print(
            f"no cutover of {escape(wave)} waits for approval (already approved, expired, or not started)"
        )
        raise typer.Exit(EXIT_BLOCKED)
    console.print(f"[green]approved[/green] the cutover of {escape(wave)} ({approved} execution)", highlight=False)
    raise typer.Exit(EXIT_OK)
