"""`mgn-wave start / status / report` against the emulated AWS: the commands run in process (their
boto3 clients, created inside the emulation, reach it), MigrateWave runs the real ASL."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from mgn_wave_cli.main import app
from mgn_wave_emu.scenario import load_scenario

if TYPE_CHECKING:
    from collections.abc import Callable

    from typer.testing import Result

    from mgn_wave_emu.harness import EmulatedAws
    from mgn_wave_emu.scenario import BuiltScenario

FAST = ["--poll-seconds", "0.1"]  # real seconds between history reads; the wave runs on virtual time
STACK = "mgn-wave"
# seed-clean's fleet and what the wave makes of each server (tests/e2e/test_migrate_wave.py)
CLEAN_VERDICTS = {"web-1": "SKIPPED", "app-1": "SUCCEEDED", "api-1": "SUCCEEDED", "db-1": "FAILED"}


def _mgn_wave(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def _started_arn(result: Result) -> str:
    return str(json.loads(result.stdout)["executionArn"])


def _deploy_stack(aws: EmulatedAws) -> None:
    """A CloudFormation stack whose StateMachineArn output names the emulated state machine (moto
    describes only stacks it created; the topic is there because a stack needs a resource)."""
    template = {
        "Resources": {"WaveTopic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"StateMachineArn": {"Value": aws.state_machine_arn}},
    }
    aws.client("cloudformation").create_stack(StackName=STACK, TemplateBody=json.dumps(template))


def test_cli_start_follow_clean_wave_exits_0_with_each_servers_verdict(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    assert aws.fleet is not None
    # When
    result = _mgn_wave("start", "--wave", "wave-01", "--follow", "--state-machine-arn", aws.state_machine_arn, *FAST)
    # Then: the ARN, at least one state it went through (which ones depends on when the real-time
    # poll looks: the emulated wave takes seconds), and each server's verdict
    assert result.exit_code == 0, result.output
    assert re.search(
        r"execution:MigrateWave-[0-9a-f-]{36}:wave-01-\d{8}T\d{4}Z-[0-9a-f]{4}$", result.stdout, re.MULTILINE
    )
    assert "state " in result.stdout
    for name, verdict in CLEAN_VERDICTS.items():
        node_id = aws.fleet.node(name).node_id
        assert re.search(rf"^{verdict}\s.*{node_id}", result.stdout, re.MULTILINE), f"{name}: {verdict}"
    assert "totals 2 succeeded, 1 failed, 1 skipped of 4 servers" in result.stdout


def test_cli_status_finished_wave_prints_the_totals_and_servers(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: a wave started without following, run to its end
    deployed("seed-clean")
    started = _mgn_wave("start", "--wave", "wave-01", "--state-machine-arn", aws.state_machine_arn, "--json")
    execution_arn = _started_arn(started)
    aws.wait(execution_arn)
    # When
    result = _mgn_wave("status", "--execution-arn", execution_arn)
    as_json = _mgn_wave("status", "--execution-arn", execution_arn, "--json")
    # Then
    assert result.exit_code == 0, result.output
    assert "SUCCEEDED" in result.stdout
    assert "state WaveDone" in result.stdout
    assert "totals 2 succeeded, 1 failed, 1 skipped of 4 servers" in result.stdout
    document = json.loads(as_json.stdout)
    assert document["summary"]["totals"] == {"SUCCEEDED": 2, "FAILED": 1, "SKIPPED": 1, "total": 4}
    assert len(document["summary"]["servers"]) == 4


def test_cli_report_finished_wave_prints_the_markdown_and_the_json(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    execution_arn = _started_arn(
        _mgn_wave("start", "--wave", "wave-01", "--state-machine-arn", aws.state_machine_arn, "--json")
    )
    aws.wait(execution_arn)
    # When
    markdown = _mgn_wave("report", "--execution-arn", execution_arn)
    report = _mgn_wave("report", "--execution-arn", execution_arn, "--json")
    # Then: piped, the Markdown source (to save as report.md); the JSON report as written
    assert markdown.exit_code == 0, markdown.output
    assert markdown.stdout.startswith("# Wave `wave-01`")
    assert report.exit_code == 0, report.output
    assert json.loads(report.stdout)["summary"]["totals"]["total"] == 4


def test_cli_start_follow_misconfigured_network_exits_2_with_the_blocking_findings(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-misconfigured")
    # When
    result = _mgn_wave("start", "--wave", "wave-01", "--follow", "--state-machine-arn", aws.state_machine_arn, *FAST)
    # Then: the failure, and every finding with its fix
    assert result.exit_code == 2, result.output
    assert "PreflightBlocked" in result.stdout
    for code in load_scenario("seed-misconfigured").expected_codes:
        assert code in result.stdout
    assert "fix" in result.stdout


def test_cli_report_blocked_wave_exits_2_saying_there_is_none(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: a wave that stopped at PreflightBlocked
    deployed("seed-misconfigured")
    execution_arn = aws.start({"wave": "wave-01"}, name="blocked")
    aws.wait(execution_arn)
    # When
    result = _mgn_wave("report", "--execution-arn", execution_arn)
    status = _mgn_wave("status", "--execution-arn", execution_arn)
    # Then
    assert result.exit_code == 2
    assert "no report" in result.stderr
    assert "FAILED before its report was written" in result.stderr
    assert status.exit_code == 2
    assert "state PreflightBlocked" in status.stdout


def test_cli_start_bad_wave_exits_1_naming_the_flag(aws: EmulatedAws) -> None:
    # When
    result = _mgn_wave("start", "--wave", "bad wave", "--state-machine-arn", aws.state_machine_arn or "x")
    # Then: refused before any AWS call
    assert result.exit_code == 1
    assert "--wave" in result.stderr
    assert "pattern" in result.stderr


def test_cli_start_stack_name_resolves_the_state_machine_from_its_output(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given
    deployed("seed-clean")
    _deploy_stack(aws)
    # When
    result = _mgn_wave("start", "--wave", "wave-01", "--dry-run", "--stack-name", STACK, "--json")
    # Then: an execution of that state machine, with the input the flags made
    assert result.exit_code == 0, result.output
    execution_arn = _started_arn(result)
    described = aws.client("stepfunctions").describe_execution(executionArn=execution_arn)
    assert described["stateMachineArn"] == aws.state_machine_arn
    assert json.loads(described["input"]) == {"wave": "wave-01", "dryRun": True}
    aws.wait(execution_arn)


def test_cli_status_stack_name_and_wave_find_the_newest_execution_of_that_wave(
    aws: EmulatedAws, deployed: Callable[[str], BuiltScenario]
) -> None:
    # Given: two runs of wave-01, then one of another wave
    deployed("seed-clean")
    _deploy_stack(aws)
    aws.run({"wave": "wave-01", "dryRun": True}, name="first")
    aws.run({"wave": "wave-01", "dryRun": True}, name="second")
    aws.run({"wave": "wave-02", "dryRun": True}, name="other")
    # When
    result = _mgn_wave("status", "--stack-name", STACK, "--wave", "wave-01", "--json")
    # Then
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["name"] == "second"


def test_cli_status_unknown_stack_exits_1_naming_it(aws: EmulatedAws) -> None:
    result = _mgn_wave("status", "--stack-name", "no-such-stack", "--wave", "wave-01")
    assert result.exit_code == 1
    assert "stack no-such-stack not found" in result.stderr
