"""`mgn-wave launch`, `approve`, `revert`: LaunchWave from the command line, and its report."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

from rich.table import Table

from mgn_wave.adapters.errors import aws_call
from mgn_wave.core.errors import AwsResourceNotFoundError
from mgn_wave_cli.waves import FINISHED

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_stepfunctions import SFNClient
    from rich.console import Console

LAUNCH_WAVE_OUTPUT = "LaunchWaveStateMachineArn"  # template.yaml Outputs
STATE_TABLE_OUTPUT = "StateTableName"
_VERDICT_STYLE = {"PASSED": "green", "FAILED": "bold red", "SKIPPED": "yellow", "REVERTED": "cyan", "PENDING": "dim"}


def stack_output(cfn: CloudFormationClient, stack_name: str, key: str) -> str:
    with aws_call("cloudformation:DescribeStacks"):
        stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
    for output in stacks[0].get("Outputs", []) if stacks else []:
        if output.get("OutputKey") == key and output.get("OutputValue"):
            return output["OutputValue"]
    raise AwsResourceNotFoundError(f"stack {stack_name} has no {key} output: is it an mgn-wave stack of this version?")


def launch_input(
    wave: str, stage: str, *, dry_run: bool, archive: bool, source_server_ids: list[str] | None
) -> dict[str, Any]:
    """The execution input, checked with the model LaunchPlan uses (a bad value names the field)."""
    from mgn_wave.launch.models import validate_launch_input  # noqa: PLC0415 - pydantic loads on use

    fields: dict[str, Any] = {"waveId": wave, "stage": stage, "dryRun": dry_run, "archive": archive}
    if source_server_ids:
        fields["sourceServerIds"] = source_server_ids
    validate_launch_input(fields)
    return fields


def follow(
    sfn: SFNClient, execution_arn: str, *, poll_seconds: float, on_state: Callable[[str], None]
) -> dict[str, Any]:
    """Read the execution every `poll_seconds` until it ends; report each state it enters."""
    seen = 0
    while True:
        with aws_call("states:GetExecutionHistory"):
            events = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
        for event in events[seen:]:
            details = event.get("stateEnteredEventDetails")
            if details:
                on_state(details["name"])
        seen = len(events)
        with aws_call("states:DescribeExecution"):
            described = sfn.describe_execution(executionArn=execution_arn)
        if described["status"] in FINISHED:
            return dict(described)
        time.sleep(poll_seconds)


def read_launch_report(s3: S3Client, summary: Mapping[str, str]) -> dict[str, Any]:
    with aws_call("s3:GetObject"):
        body = s3.get_object(Bucket=summary["bucket"], Key=summary["jsonKey"])["Body"].read()
    report: dict[str, Any] = json.loads(body)
    return report


def read_launch_settings(s3: S3Client, where: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The launch settings' drift report LaunchPlan left in the wave bucket."""
    with aws_call("s3:GetObject"):
        body = s3.get_object(Bucket=where["bucket"], Key=where["key"])["Body"].read()
    settings: list[dict[str, Any]] = json.loads(body)
    return settings


def print_launch_report(console: Console, report: Mapping[str, Any]) -> None:
    """Each server's stage and verdict, with the reason and what to check."""
    totals = report["totals"]
    table = Table(title=f"wave {report['wave']}: {report['stage']} launch", title_justify="left")
    for column in ("server", "source server", "stage", "verdict", "instance", "reason", "what to check"):
        table.add_column(column, overflow="fold")
    for server in report["servers"]:
        verdict = server["verdict"]
        table.add_row(
            server.get("hostname") or "-",
            server["sourceServerId"],
            str(report["stage"]).upper(),
            f"[{_VERDICT_STYLE.get(verdict, '')}]{verdict}[/]",
            server.get("instanceId") or "-",
            server.get("reason", ""),
            server.get("hint", ""),
        )
    console.print(table)
    console.print(
        f"passed {totals['PASSED']}  failed {totals['FAILED']}  skipped {totals['SKIPPED']}  "
        f"reverted {totals['REVERTED']}  of {totals['total']}",
        highlight=False,
    )
