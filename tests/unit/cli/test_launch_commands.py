"""`mgn-wave launch / revert / approve`: bad values are refused naming what was typed, before any
AWS client exists."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from typer.testing import CliRunner

from mgn_wave_cli.main import app


def _no_aws(*_args: Any, **_kwargs: Any) -> Any:
    raise AssertionError("an AWS client was created for bad input")


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["launch", "migrate", "wave-01", "--stack-name", "mgn-wave"], "STAGE"),
        (["launch", "revert", "wave-01", "--stack-name", "mgn-wave"], "mgn-wave revert"),
        (["launch", "test", "wave 01;rm", "--stack-name", "mgn-wave"], "WAVE"),
        (["launch", "test", "wave-01", "--stack-name", "mgn-wave", "--source-server-id", "s-1"], "--source-server-id"),
        (["launch", "test", "wave-01", "--stack-name", "-bad"], "--stack-name"),
        (["launch", "cutover", "wave-01", "--stack-name", "mgn-wave", "--region", "mars-1"], "--region"),
        (["revert", "wave$(id)", "--stack-name", "mgn-wave"], "WAVE"),
        (["approve", "wave-01;", "--stack-name", "mgn-wave"], "WAVE"),
        (["approve", "wave-01", "--stack-name", "1bad"], "--stack-name"),
    ],
)
def test_launch_commands_bad_value_exit_1_naming_it_without_aws(argv: list[str], named: str) -> None:
    with mock.patch("boto3.client", _no_aws):
        result = CliRunner().invoke(app, argv, env={"COLUMNS": "200"})
    assert result.exit_code == 1, result.output
    assert named in result.output
