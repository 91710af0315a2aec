"""Black box: a real moto server, a network built through boto3, `mgn-wave preflight` run as a
subprocess with AWS_ENDPOINT_URL, exactly as an operator would run it against an account."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from moto.server import ThreadedMotoServer

from mgn_wave_emu.scenario import build_scenario, load_scenario

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mgn_wave_emu.scenario import BuiltScenario

pytestmark = pytest.mark.blackbox
CLI = str(Path(sys.executable).with_name("mgn-wave"))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


def _build(endpoint: str, scenario_name: str) -> BuiltScenario:
    scenario = load_scenario(scenario_name)
    ec2 = boto3.client("ec2", region_name=scenario.region, endpoint_url=endpoint)
    return build_scenario(scenario, ec2)


def _preflight(endpoint: str, *flags: str) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_REGION": "us-east-1",
        "COLUMNS": "200",
    }
    return subprocess.run([CLI, "preflight", *flags], env=env, capture_output=True, text=True, timeout=120, check=False)


def _flags(built: BuiltScenario) -> list[str]:
    target = built.target
    flags = ["--staging-vpc", target.staging_vpc_id, "--staging-subnet", target.staging_subnet_id]
    for sg in target.replication_sg_ids:
        flags += ["--replication-sg", sg]
    for cidr in target.source_cidrs:
        flags += ["--source-cidr", str(cidr)]
    return flags


def test_cli_preflight_clean_network_exits_0_with_no_blocker(endpoint: str) -> None:
    built = _build(endpoint, "seed-clean")
    completed = _preflight(endpoint, *_flags(built), "--json")
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    assert report["ok"] is True
    assert not [f for f in report["findings"] if f["severity"] == "BLOCKER"]


def test_cli_preflight_misconfigured_network_exits_2_with_the_codes(endpoint: str) -> None:
    built = _build(endpoint, "seed-misconfigured")
    completed = _preflight(endpoint, *_flags(built), "--json")
    assert completed.returncode == 2, completed.stderr
    report = json.loads(completed.stdout)
    codes = {f["code"] for f in report["findings"] if f["severity"] in ("BLOCKER", "WARNING")}
    assert report["ok"] is False
    assert codes == set(load_scenario("seed-misconfigured").expected_codes)


def test_cli_preflight_table_shows_the_fixes(endpoint: str) -> None:
    built = _build(endpoint, "seed-misconfigured")
    completed = _preflight(endpoint, *_flags(built))
    assert completed.returncode == 2
    assert "BLOCKER" in completed.stdout
    assert "REPLICATION_SG_BLOCKS_1500" in completed.stdout


@pytest.mark.parametrize(
    ("flag", "value"),
    [("--source-cidr", "10.0.0.0/33"), ("--replication-sg", "sg-nothex!"), ("--staging-vpc", "vpc-")],
)
def test_cli_preflight_bad_flag_value_exits_1_naming_the_flag(endpoint: str, flag: str, value: str) -> None:
    flags = {
        "--staging-vpc": "vpc-0123456789abcdef0",
        "--staging-subnet": "subnet-0123456789abcdef0",
        "--replication-sg": "sg-0123456789abcdef0",
        "--source-cidr": "10.10.0.0/16",
    }
    flags[flag] = value
    completed = _preflight(endpoint, *[item for pair in flags.items() for item in pair])
    assert completed.returncode == 1
    assert flag in completed.stderr


def test_cli_preflight_unknown_vpc_exits_1_naming_it(endpoint: str) -> None:
    completed = _preflight(
        endpoint,
        "--staging-vpc", "vpc-0123456789abcdef0",
        "--staging-subnet", "subnet-0123456789abcdef0",
        "--replication-sg", "sg-0123456789abcdef0",
        "--source-cidr", "10.10.0.0/16",
    )  # fmt: skip
    assert completed.returncode == 1
    assert "vpc-0123456789abcdef0" in completed.stderr
