"""`mgn-wave`: the operator's command line."""

from __future__ import annotations

import json
import os
from typing import Annotated

import boto3
import typer
from botocore.exceptions import BotoCoreError, NoCredentialsError, NoRegionError
from mgn_wave import steps
from mgn_wave.adapters.clients import CLIENT_CONFIG
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.errors import MgnWaveError
from mgn_wave.models.network import PrivatePathTarget
from mgn_wave.models.validation import first_error
from pydantic import ValidationError
from rich.console import Console

from mgn_wave_cli.render import print_findings

app = typer.Typer(
    help="Move server waves into AWS MGN over a private network (DX / VPN / peering).",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
console = Console()
err_console = Console(stderr=True)

EXIT_OK, EXIT_ERROR, EXIT_BLOCKED = 0, 1, 2

# PrivatePathTarget field -> the flag an operator typed
FLAG_OF_FIELD = {
    "region": "--region",
    "staging_vpc_id": "--staging-vpc",
    "staging_subnet_id": "--staging-subnet",
    "replication_sg_ids": "--replication-sg",
    "source_cidrs": "--source-cidr",
}


def _fail(message: str) -> typer.Exit:
    err_console.print(f"[bold red]error:[/bold red] {message}")
    return typer.Exit(EXIT_ERROR)


def _target_from_flags(flags: dict[str, object]) -> PrivatePathTarget:
    """`flags` is keyed by PrivatePathTarget field; a bad value names the flag it came from."""
    try:
        return PrivatePathTarget.model_validate(flags)
    except ValidationError as exc:
        field, message = first_error(PrivatePathTarget, exc)
        raise _fail(f"{FLAG_OF_FIELD.get(field, field)}: {message}") from None


@app.command()
def preflight(
    *,
    staging_vpc: Annotated[str, typer.Option(help="Staging VPC ID (vpc-...).")],
    staging_subnet: Annotated[str, typer.Option(help="Staging subnet ID (subnet-...).")],
    replication_sg: Annotated[
        list[str], typer.Option(help="Replication server security group (sg-...); repeat for several.")
    ],
    source_cidr: Annotated[
        list[str], typer.Option(help="Source server range (IPv4 CIDR); repeat for several.")
    ],
    region: Annotated[
        str | None,
        typer.Option(help="AWS Region; defaults to AWS_REGION / AWS_DEFAULT_REGION / the profile."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help='Print {"ok": bool, "findings": [...]}.')] = False,
) -> None:
    """Check the private path to MGN, read-only. Exit 0: no blocker, 2: blockers, 1: error."""
    resolved_region = region or os.environ.get("AWS_REGION") or boto3.session.Session().region_name
    if not resolved_region:
        raise _fail("--region: no Region given and none configured (set --region or AWS_REGION)")
    target = _target_from_flags(
        {
            "region": resolved_region,
            "staging_vpc_id": staging_vpc,
            "staging_subnet_id": staging_subnet,
            "replication_sg_ids": replication_sg,
            "source_cidrs": source_cidr,
        }
    )
    try:
        ec2 = boto3.client("ec2", region_name=target.region, config=CLIENT_CONFIG)
        report = steps.preflight(target, Ec2Adapter(ec2))
    except (NoCredentialsError, NoRegionError) as exc:
        raise _fail(f"{exc} (the standard AWS environment applies: AWS_PROFILE, AWS_REGION, ...)") from None
    except (MgnWaveError, BotoCoreError) as exc:
        raise _fail(str(exc)) from None
    if as_json:
        findings = [f.model_dump(mode="json") for f in report.findings]
        print(json.dumps({"ok": report.ok, "findings": findings}, indent=2))
    else:
        print_findings(console, list(report.findings))
    raise typer.Exit(EXIT_OK if report.ok else EXIT_BLOCKED)


@app.command()
def demo(
    scenario: Annotated[
        list[str] | None,
        typer.Option(help="Shipped scenario(s) to run; default: a clean one, then a blocked one."),
    ] = None,
) -> None:
    """Run MigrateWave on the emulated AWS (no account, no Docker) and show what happened."""
    from mgn_wave_cli.demo import run_demo  # noqa: PLC0415 - moto and the emulator load only for the demo

    raise typer.Exit(run_demo(console, scenario or ["seed-clean", "seed-misconfigured"]))
