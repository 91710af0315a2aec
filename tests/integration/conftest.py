"""Integration tier: real boto3 clients against emulated AWS (moto in process + our emulators)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import boto3
import pytest
from botocore.config import Config
from moto import mock_aws

from mgn_wave_emu.clock import VirtualClock
from mgn_wave_emu.hooks import router
from mgn_wave_emu.mgn import MgnEmulator

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mypy_boto3_mgn import MgnClient


# ---- MGN emulator -------------------------------------------------------------------------------


@pytest.fixture
def mgn_emulator(request: pytest.FixtureRequest) -> Iterator[MgnEmulator]:
    """An MGN emulator behind botocore's `before-send` hook, inside `moto.mock_aws()`.

    Constructor options come from indirect parametrisation, e.g.
    `@pytest.mark.parametrize("mgn_emulator", [{"initialized": False}], indirect=True)`."""
    options: dict[str, Any] = getattr(request, "param", {})
    with mock_aws():
        emulator = MgnEmulator(VirtualClock(), **options)
        # MGN retries a stalled initiation on its own (every 5 minutes by default here, as the
        # wave tests rely on); these tests look at one attempt at a time and turn the knob on
        # where they test the retry.
        emulator.replication.timing.retry_initiation_after_seconds = None
        router.activate({"mgn": emulator})
        try:
            yield emulator
        finally:
            router.deactivate()


@pytest.fixture
def mgn_client(mgn_emulator: MgnEmulator) -> MgnClient:
    """A real boto3 MGN client with botocore's retries off, so every answer is observable."""
    return boto3.client("mgn", region_name=mgn_emulator.region, config=Config(retries={"total_max_attempts": 1}))


@pytest.fixture
def private_template() -> dict[str, Any]:
    """The 11 required template settings for replication over a private network."""
    return {
        "stagingAreaSubnetId": "subnet-0123456789abcdef0",
        "associateDefaultSecurityGroup": True,
        "replicationServersSecurityGroupsIDs": ["sg-0123456789abcdef0"],
        "replicationServerInstanceType": "t3.small",
        "useDedicatedReplicationServer": False,
        "defaultLargeStagingDiskType": "GP3",
        "ebsEncryption": "DEFAULT",
        "bandwidthThrottling": 0,
        "dataPlaneRouting": "PRIVATE_IP",
        "createPublicIP": False,
        "stagingAreaTags": {"project": "mgn-wave"},
    }
