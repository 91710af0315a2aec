"""EnforceTemplate on the emulated AWS: the private-path replication settings held on the
template and on every server of the wave that MGN already knows."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from mgn_wave.core.errors import (
    AmbiguousTemplateError,
    AwsResourceNotFoundError,
    GuardrailViolationError,
    MgnNotInitializedError,
)
from mgn_wave.core.mgn import REQUIRED_TEMPLATE_FIELDS
from mgn_wave.replication_settings.models import CREATE_DEFAULTS, Action, ReplicationPolicy

if TYPE_CHECKING:
    from tests.integration.replication.conftest import EnforcementWorld


def _private_values(world: EnforcementWorld) -> dict[str, Any]:
    return {
        "stagingAreaSubnetId": world.target.staging_subnet_id,
        "associateDefaultSecurityGroup": False,
        "replicationServersSecurityGroupsIDs": sorted(world.target.replication_sg_ids),
        "dataPlaneRouting": "PRIVATE_IP",
        "createPublicIP": False,
    }


def _held(settings: dict[str, Any], world: EnforcementWorld) -> dict[str, Any]:
    held = {field: settings[field] for field in _private_values(world)}
    held["replicationServersSecurityGroupsIDs"] = sorted(held["replicationServersSecurityGroupsIDs"])
    return held


def test_enforce_no_template_creates_one_with_all_required_fields(world: EnforcementWorld) -> None:
    # When
    report = world.enforce()
    # Then
    (template,) = world.mgn.templates()
    assert report.template.action is Action.CREATED
    assert report.template.resource_id == template["replicationConfigurationTemplateID"]
    assert template.keys() >= REQUIRED_TEMPLATE_FIELDS
    assert _held(template, world) == _private_values(world)
    assert template["replicationServerInstanceType"] == CREATE_DEFAULTS["replicationServerInstanceType"]
    assert world.mgn.calls["CreateReplicationConfigurationTemplate"] == 1


@pytest.mark.parametrize(
    ("field", "wrong"),
    [
        ("dataPlaneRouting", "PUBLIC_IP"),
        ("createPublicIP", True),
        ("associateDefaultSecurityGroup", True),
        ("stagingAreaSubnetId", "subnet-0aaaaaaaaaaaaaaaa"),
        ("replicationServersSecurityGroupsIDs", ["sg-0bbbbbbbbbbbbbbbb"]),
    ],
)
def test_enforce_drifted_template_fixes_exactly_that_setting(world: EnforcementWorld, field: str, wrong: Any) -> None:
    # Given: a template right in every way but one
    template = world.private_template(**{field: wrong})
    # When
    report = world.enforce()
    # Then: one change, before → after, and the operator's other settings untouched
    assert report.template.action is Action.UPDATED
    assert [(c.field, c.before) for c in report.template.changes] == [(field, wrong)]
    (after,) = world.mgn.templates()
    assert _held(after, world) == _private_values(world)
    assert after["replicationServerInstanceType"] == template["replicationServerInstanceType"] == "m5.large"
    assert after["bandwidthThrottling"] == 100
    assert after["stagingAreaTags"] == {"owner": "migration-team"}


def test_enforce_registered_servers_get_the_private_values_too(world: EnforcementWorld) -> None:
    # Given: servers registered while the template was wrong keep their own copy of it
    world.private_template(dataPlaneRouting="PUBLIC_IP", createPublicIP=True)
    web = world.register("web-1")
    db = world.register("db-1")
    other_wave = world.register("batch-1", wave="wave-02")
    # When
    report = world.enforce()
    # Then
    assert {s.resource_id: s.action for s in report.servers} == {web: Action.UPDATED, db: Action.UPDATED}
    for server_id in (web, db):
        assert _held(world.mgn.replication_configuration(server_id), world) == _private_values(world)
    assert world.mgn.replication_configuration(other_wave)["dataPlaneRouting"] == "PUBLIC_IP"


def test_enforce_named_instances_select_servers_by_user_provided_id(world: EnforcementWorld) -> None:
    world.private_template(createPublicIP=True)
    chosen = world.register("app-1", wave="unrelated", instance_id="i-0123456789abcdef0")
    world.register("app-2", wave="wave-01", instance_id="i-0fedcba9876543210")
    report = world.enforce(instance_ids=("i-0123456789abcdef0",))
    assert [s.resource_id for s in report.servers] == [chosen]


def test_enforce_second_run_writes_nothing_and_reports_no_drift(world: EnforcementWorld) -> None:
    # Given
    world.private_template(associateDefaultSecurityGroup=True)
    world.register("web-1")
    world.enforce()
    writes_after_first_run = world.writes()
    # When
    report = world.enforce()
    # Then
    assert world.writes() == writes_after_first_run
    assert not report.drift_found
    assert report.template.action is Action.UNCHANGED
    assert all(server.action is Action.UNCHANGED for server in report.servers)


def test_enforce_dry_run_reports_the_drift_and_writes_nothing(world: EnforcementWorld) -> None:
    # Given
    world.private_template(dataPlaneRouting="PUBLIC_IP")
    server_id = world.register("web-1")
    writes_before = world.writes()
    # When
    report = world.enforce(dry_run=True)
    # Then
    assert world.writes() == writes_before
    assert report.dry_run is True
    assert report.template.action is Action.WOULD_UPDATE
    assert [s.action for s in report.servers] == [Action.WOULD_UPDATE]
    assert world.mgn.replication_configuration(server_id)["dataPlaneRouting"] == "PUBLIC_IP"


def test_enforce_dry_run_with_no_template_creates_nothing(world: EnforcementWorld) -> None:
    report = world.enforce(dry_run=True)
    assert report.template.action is Action.WOULD_CREATE
    assert world.mgn.templates() == []


def test_enforce_several_templates_without_the_parameter_lists_them(world: EnforcementWorld) -> None:
    # Given
    first = world.private_template()["replicationConfigurationTemplateID"]
    second = world.private_template(createPublicIP=True)["replicationConfigurationTemplateID"]
    writes_before = world.writes()
    # When / Then
    with pytest.raises(AmbiguousTemplateError) as raised:
        world.enforce()
    assert first in str(raised.value)
    assert second in str(raised.value)
    assert "ReplicationTemplateId" in str(raised.value)
    assert world.writes() == writes_before


def test_enforce_several_templates_with_the_parameter_updates_only_that_one(world: EnforcementWorld) -> None:
    # Given
    untouched = world.private_template(createPublicIP=True)["replicationConfigurationTemplateID"]
    chosen = world.private_template(createPublicIP=True)["replicationConfigurationTemplateID"]
    # When
    report = world.enforce(template_id=chosen)
    # Then
    assert report.template.resource_id == chosen
    by_id = {t["replicationConfigurationTemplateID"]: t for t in world.mgn.templates()}
    assert by_id[chosen]["createPublicIP"] is False
    assert by_id[untouched]["createPublicIP"] is True


def test_enforce_unknown_template_parameter_is_a_clear_error(world: EnforcementWorld) -> None:
    world.private_template()
    with pytest.raises(AwsResourceNotFoundError, match="rct-00000000000000000"):
        world.enforce(template_id="rct-00000000000000000")


@pytest.mark.parametrize("world", [{"mgn_initialized": False}], indirect=True)
def test_enforce_uninitialised_account_says_how_to_initialise(world: EnforcementWorld) -> None:
    with pytest.raises(MgnNotInitializedError) as raised:
        world.enforce()
    assert "InitializeService" in str(raised.value)
    assert world.writes() == 0


def test_enforce_sg_without_1500_from_the_sources_is_refused_before_any_write(
    world: EnforcementWorld,
) -> None:
    # Given: an SG of the staging VPC that admits nothing from the sources
    ec2 = world.aws.client("ec2")
    bare_sg = ec2.create_security_group(GroupName="bare", Description="no 1500", VpcId=world.target.staging_vpc_id)[
        "GroupId"
    ]
    world.private_template(createPublicIP=True)
    world.register("web-1")
    policy = ReplicationPolicy(staging_subnet_id=world.target.staging_subnet_id, replication_sg_ids=(bare_sg,))
    writes_before = world.writes()
    # When / Then
    with pytest.raises(GuardrailViolationError) as raised:
        world.enforce(policy=policy)
    assert bare_sg in str(raised.value)
    assert "1500" in str(raised.value)
    assert world.writes() == writes_before


def test_enforce_subnet_outside_the_staging_vpc_is_refused(world: EnforcementWorld) -> None:
    ec2 = world.aws.client("ec2")
    other_vpc = ec2.create_vpc(CidrBlock="172.31.0.0/16")["Vpc"]["VpcId"]
    foreign_subnet = ec2.create_subnet(VpcId=other_vpc, CidrBlock="172.31.1.0/24")["Subnet"]["SubnetId"]
    policy = ReplicationPolicy(staging_subnet_id=foreign_subnet, replication_sg_ids=world.target.replication_sg_ids)
    with pytest.raises(GuardrailViolationError, match=foreign_subnet):
        world.enforce(policy=policy)
    assert world.writes() == 0


def test_enforce_ipv6_template_is_refused_with_private_ip(world: EnforcementWorld) -> None:
    world.private_template(internetProtocol="IPV6")
    writes_before = world.writes()
    with pytest.raises(GuardrailViolationError, match="IPV6"):
        world.enforce()
    assert world.writes() == writes_before


def test_enforce_busy_server_fails_alone_and_the_others_are_fixed(world: EnforcementWorld) -> None:
    # Given
    world.private_template(createPublicIP=True)
    busy = world.register("db-1")
    free = world.register("web-1")
    world.mgn.mark_busy(busy)
    # When
    report = world.enforce()
    # Then
    results = {s.resource_id: s for s in report.servers}
    assert results[busy].action is Action.FAILED
    assert results[busy].error
    assert results[free].action is Action.UPDATED


def test_enforce_operator_tuning_is_held_and_staging_tags_merge(world: EnforcementWorld) -> None:
    # Given
    world.private_template()
    policy = ReplicationPolicy(
        staging_subnet_id=world.target.staging_subnet_id,
        replication_sg_ids=world.target.replication_sg_ids,
        replication_server_instance_type="t3.medium",
        bandwidth_throttling_mbps=0,
        staging_area_tags={"migration": "mgn-wave"},
    )
    # When
    report = world.enforce(policy=policy)
    # Then
    (template,) = world.mgn.templates()
    assert template["replicationServerInstanceType"] == "t3.medium"
    assert template["bandwidthThrottling"] == 0
    assert template["stagingAreaTags"] == {"owner": "migration-team", "migration": "mgn-wave"}
    assert {c.field for c in report.template.changes} == {
        "replicationServerInstanceType",
        "bandwidthThrottling",
        "stagingAreaTags",
    }
