"""Fixtures for enforcing replication settings: the seed network in moto, MGN emulated."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest

from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.replication_settings.flow import enforce_replication_settings
from mgn_wave.replication_settings.models import ReplicationPolicy
from mgn_wave.waves.models import WaveInput
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.scenario import MgnSpec, load_scenario

if TYPE_CHECKING:
    from collections.abc import Iterator

    from mgn_wave.preflight.network import PrivatePathTarget
    from mgn_wave.replication_settings.models import EnforcementReport
    from mgn_wave_emu.mgn import MgnEmulator

WAVE_TAG_KEY = "MigrationWave"
WRITES = (
    "CreateReplicationConfigurationTemplate",
    "UpdateReplicationConfigurationTemplate",
    "UpdateReplicationConfiguration",
)


@dataclass
class EnforcementWorld:
    aws: EmulatedAws
    target: PrivatePathTarget
    policy: ReplicationPolicy

    @property
    def mgn(self) -> MgnEmulator:
        return self.aws.mgn

    def writes(self) -> int:
        return sum(self.mgn.calls[operation] for operation in WRITES)

    def private_template(self, **overrides: Any) -> dict[str, Any]:
        """A template that already holds every private-path value, plus `overrides`."""
        settings: dict[str, Any] = {
            "stagingAreaSubnetId": self.target.staging_subnet_id,
            "associateDefaultSecurityGroup": False,
            "replicationServersSecurityGroupsIDs": list(self.target.replication_sg_ids),
            "replicationServerInstanceType": "m5.large",
            "useDedicatedReplicationServer": False,
            "defaultLargeStagingDiskType": "ST1",
            "ebsEncryption": "DEFAULT",
            "bandwidthThrottling": 100,
            "dataPlaneRouting": "PRIVATE_IP",
            "createPublicIP": False,
            "stagingAreaTags": {"owner": "migration-team"},
        }
        settings.update(overrides)
        created: dict[str, Any] = self.aws.client("mgn").create_replication_configuration_template(**settings)
        return created

    def register(self, hostname: str, *, wave: str = "wave-01", instance_id: str | None = None) -> str:
        return self.mgn.register_source_server(
            hostname=hostname, user_provided_id=instance_id, tags={WAVE_TAG_KEY: wave}
        )

    def enforce(
        self,
        *,
        wave: str = "wave-01",
        dry_run: bool = False,
        template_id: str | None = None,
        policy: ReplicationPolicy | None = None,
        instance_ids: tuple[str, ...] | None = None,
    ) -> EnforcementReport:
        return enforce_replication_settings(
            wave_input=WaveInput(wave=wave, dry_run=dry_run, instance_ids=instance_ids),
            policy=policy or self.policy,
            target=self.target,
            template_id=template_id,
            wave_tag_key=WAVE_TAG_KEY,
            mgn=MgnAdapter(self.aws.client("mgn")),
            ec2=Ec2Adapter(self.aws.client("ec2")),
        )


@pytest.fixture
def world(request: pytest.FixtureRequest) -> Iterator[EnforcementWorld]:
    options: dict[str, Any] = getattr(request, "param", {})
    with EmulatedAws(**options) as aws:
        # The seed network with an empty MGN: each test sets up the MGN state it is about.
        built = aws.build_scenario(load_scenario("seed-clean").model_copy(update={"mgn": MgnSpec()}))
        policy = ReplicationPolicy(
            staging_subnet_id=built.target.staging_subnet_id,
            replication_sg_ids=built.target.replication_sg_ids,
        )
        yield EnforcementWorld(aws=aws, target=built.target, policy=policy)
