"""`mgn-wave`: the operator's command line."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import boto3
import typer
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError
from pydantic import BaseModel, ValidationError
from rich.console import Console

from mgn_wave import steps
from mgn_wave.adapters.clients import CLIENT_CONFIG
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.errors import MgnWaveError
from mgn_wave.models.network import PrivatePathTarget
from mgn_wave.models.replication import ReplicationPolicy
from mgn_wave.models.validation import first_error, parse_model
from mgn_wave.models.wave import WaveInput
from mgn_wave_cli.render import print_drift, print_findings

if TYPE_CHECKING:
    from collections.abc import Iterator

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


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(EXIT_ERROR)


def _target(
    region: str | None,
    staging_vpc: str,
    staging_subnet: str,
    replication_sgs: list[str],
    source_cidrs: list[str],
) -> PrivatePathTarget:
    resolved_region = region or os.environ.get("AWS_REGION") or boto3.session.Session().region_name
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
        report = steps.preflight(target, Ec2Adapter(ec2))
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
        report = steps.enforce_replication_settings(
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
