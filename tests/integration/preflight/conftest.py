"""Preflight on emulated AWS: a shipped scenario built in moto, read back by the real Ec2Adapter."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
import pytest
from moto import mock_aws

from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.preflight.checks import run_preflight
from mgn_wave_emu.scenario import build_scenario, load_scenario

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mypy_boto3_ec2 import EC2Client

    from mgn_wave.preflight.findings import Finding
    from mgn_wave.preflight.network import PrivatePathTarget
    from mgn_wave_emu.scenario import BuiltScenario

REGION = "us-east-1"
# One session for the module: its loader caches the EC2 model, which a new client per test
# would otherwise parse again (a quarter of a second each).
_SESSION = boto3.session.Session()


@pytest.fixture
def ec2() -> Iterator[EC2Client]:
    with mock_aws():
        yield _SESSION.client("ec2", region_name=REGION)


@pytest.fixture
def build(ec2: EC2Client) -> Callable[[str], BuiltScenario]:
    def _build(name: str) -> BuiltScenario:
        return build_scenario(load_scenario(name), ec2)

    return _build


@pytest.fixture
def clean(build: Callable[[str], BuiltScenario]) -> BuiltScenario:
    return build("seed-clean")


@pytest.fixture
def preflight(ec2: EC2Client) -> Callable[[PrivatePathTarget], list[Finding]]:
    """Collect the snapshot through the adapter, then run the pure checks: the CLI's path."""

    def _preflight(target: PrivatePathTarget) -> list[Finding]:
        snapshot = Ec2Adapter(ec2).collect_network_snapshot(target)
        return run_preflight(snapshot, target)

    return _preflight
