"""MgnAdapter on the MGN emulator: pagination, chunking, checks before sending, and the typed
errors the state machine's Retry/Catch see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import botocore.session
import pytest
from botocore.exceptions import ClientError

from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.core import mgn as mgn_models
from mgn_wave.core.errors import (
    AwsAccessError,
    AwsResourceNotFoundError,
    InvalidInputError,
    MgnConflictError,
    MgnNotInitializedError,
    MgnRequestRejectedError,
    TransientAwsError,
)

if TYPE_CHECKING:
    from enum import StrEnum

    from mypy_boto3_mgn import MgnClient

    from mgn_wave_emu.mgn import MgnEmulator

UNKNOWN_SERVER = "s-00000000000000000"
BOOT_DISK_GP3 = {"deviceName": "/dev/sda", "stagingDiskType": "GP3"}
THIRTY_THREE_SGS = [f"sg-{n:017x}" for n in range(33)]


@pytest.fixture
def adapter(mgn_client: MgnClient) -> MgnAdapter:
    return MgnAdapter(mgn_client)


@pytest.fixture
def with_template(adapter: MgnAdapter, private_template: dict[str, Any]) -> dict[str, Any]:
    return adapter.create_replication_template(private_template)


def _register(emulator: MgnEmulator, count: int) -> list[str]:
    return [emulator.register_source_server(hostname=f"host-{n:04d}") for n in range(count)]


# ---- pagination and chunking -------------------------------------------------------------------


@pytest.mark.usefixtures("with_template")
def test_describe_source_servers_450_ids_sends_three_chunked_calls(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    ids = _register(mgn_emulator, 450)
    # When
    servers = adapter.describe_source_servers(ids)
    # Then
    assert [s["sourceServerID"] for s in servers] == ids
    assert mgn_emulator.calls["DescribeSourceServers"] == 3


@pytest.mark.usefixtures("with_template")
def test_describe_waiting_servers_450_of_an_account_of_450_takes_one_unfiltered_page(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    ids = _register(mgn_emulator, 450)
    servers = adapter.describe_waiting_servers(ids)
    assert sorted(s["sourceServerID"] for s in servers) == sorted(ids)
    assert mgn_emulator.calls["DescribeSourceServers"] == 1  # the filtered way takes 3


@pytest.mark.usefixtures("with_template")
def test_describe_waiting_servers_never_costs_more_than_twice_the_filtered_calls(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given: 2,500 servers in the account, 201 of them waiting, the last ones registered
    ids = _register(mgn_emulator, 2500)[-201:]
    # When
    servers = adapter.describe_waiting_servers(ids)
    # Then: two unfiltered pages (the filtered budget) found none, two filtered calls the rest
    assert sorted(s["sourceServerID"] for s in servers) == sorted(ids)
    assert mgn_emulator.calls["DescribeSourceServers"] == 4


@pytest.mark.usefixtures("with_template")
def test_describe_waiting_servers_200_ids_is_one_filtered_call(mgn_emulator: MgnEmulator, adapter: MgnAdapter) -> None:
    ids = _register(mgn_emulator, 300)[:200]
    assert len(adapter.describe_waiting_servers(ids)) == 200
    assert mgn_emulator.calls["DescribeSourceServers"] == 1


@pytest.mark.usefixtures("with_template")
def test_describe_source_servers_no_ids_pages_through_1001_servers(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    ids = _register(mgn_emulator, 1001)
    # When
    servers = adapter.describe_source_servers()
    # Then
    assert [s["sourceServerID"] for s in servers] == ids
    assert mgn_emulator.calls["DescribeSourceServers"] == 2


@pytest.mark.usefixtures("with_template")
def test_describe_source_servers_repeated_and_unknown_ids_returns_each_known_server_once(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    [server_id] = _register(mgn_emulator, 1)
    # When
    servers = adapter.describe_source_servers([server_id, UNKNOWN_SERVER, server_id])
    # Then
    assert [s["sourceServerID"] for s in servers] == [server_id]
    assert "ResponseMetadata" not in servers[0]


def test_describe_source_servers_empty_id_list_makes_no_call(mgn_emulator: MgnEmulator, adapter: MgnAdapter) -> None:
    # When
    servers = adapter.describe_source_servers([])
    # Then
    assert servers == []
    assert mgn_emulator.calls["DescribeSourceServers"] == 0


@pytest.mark.parametrize("ids", [["s-123"], "s-12345678901234567"])
def test_describe_source_servers_malformed_ids_raises_invalid_input_before_sending(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter, ids: Any
) -> None:
    # When
    with pytest.raises(InvalidInputError) as error:
        adapter.describe_source_servers(ids)
    # Then
    assert error.value.field.startswith("source_server_ids")
    assert mgn_emulator.calls["DescribeSourceServers"] == 0


def test_list_replication_templates_existing_templates_returns_all_without_metadata(
    adapter: MgnAdapter, private_template: dict[str, Any]
) -> None:
    # Given
    first = adapter.create_replication_template(private_template)
    second = adapter.create_replication_template({**private_template, "bandwidthThrottling": 100})
    # When
    templates = adapter.list_replication_templates()
    # Then
    assert templates == [first, second]
    assert "ResponseMetadata" not in first


# ---- checks before sending -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (
            {"replicationServersSecurityGroupsIDs": THIRTY_THREE_SGS},
            "settings.replicationServersSecurityGroupsIDs",
        ),
        ({"bandwidthThrottling": 10001}, "settings.bandwidthThrottling"),
        ({"dataPlaneRouting": "PRIVATE"}, "settings.dataPlaneRouting"),
        ({"stagingAreaSubnetId": "subnet-xyz"}, "settings.stagingAreaSubnetId"),
        ({"createPublicIP": "false"}, "settings.createPublicIP"),
        ({"dataPlaneRoutng": "PRIVATE_IP"}, "settings.dataPlaneRoutng"),
    ],
)
def test_create_replication_template_broken_setting_raises_invalid_input_without_calling(
    mgn_emulator: MgnEmulator,
    adapter: MgnAdapter,
    private_template: dict[str, Any],
    change: dict[str, Any],
    field: str,
) -> None:
    # When
    with pytest.raises(InvalidInputError) as error:
        adapter.create_replication_template({**private_template, **change})
    # Then
    assert error.value.field == field
    assert mgn_emulator.calls["CreateReplicationConfigurationTemplate"] == 0


def test_create_replication_template_missing_required_field_names_it(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter, private_template: dict[str, Any]
) -> None:
    # Given
    del private_template["stagingAreaTags"]
    # When
    with pytest.raises(InvalidInputError) as error:
        adapter.create_replication_template(private_template)
    # Then
    assert error.value.field == "settings.stagingAreaTags"
    assert mgn_emulator.calls["CreateReplicationConfigurationTemplate"] == 0


def test_update_replication_template_new_settings_apply_to_later_servers_only(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter, with_template: dict[str, Any]
) -> None:
    # Given
    earlier = mgn_emulator.register_source_server(hostname="earlier")
    # When
    updated = adapter.update_replication_template(
        with_template["replicationConfigurationTemplateID"], {"dataPlaneRouting": "PUBLIC_IP"}
    )
    later = mgn_emulator.register_source_server(hostname="later")
    # Then
    assert updated["dataPlaneRouting"] == "PUBLIC_IP"
    assert adapter.get_replication_configuration(earlier)["dataPlaneRouting"] == "PRIVATE_IP"
    assert adapter.get_replication_configuration(later)["dataPlaneRouting"] == "PUBLIC_IP"


@pytest.mark.usefixtures("with_template")
def test_update_replication_configuration_valid_changes_returns_new_configuration(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    [server_id] = _register(mgn_emulator, 1)
    # When
    updated = adapter.update_replication_configuration(
        server_id,
        {"createPublicIP": False, "replicatedDisks": [BOOT_DISK_GP3]},
    )
    # Then
    assert updated["sourceServerID"] == server_id
    assert updated["replicatedDisks"] == [BOOT_DISK_GP3]
    assert "ResponseMetadata" not in updated


def test_update_replication_configuration_unknown_setting_raises_invalid_input(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # When
    with pytest.raises(InvalidInputError) as error:
        adapter.update_replication_configuration(UNKNOWN_SERVER, {"sourceServerID": UNKNOWN_SERVER})
    # Then
    assert error.value.field == "changes.sourceServerID"
    assert mgn_emulator.calls["UpdateReplicationConfiguration"] == 0


def test_get_replication_configuration_malformed_id_raises_invalid_input_naming_it(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # When
    with pytest.raises(InvalidInputError) as error:
        adapter.get_replication_configuration("i-0123456789abcdef0")
    # Then
    assert error.value.field == "source_server_id"
    assert mgn_emulator.calls["GetReplicationConfiguration"] == 0


# ---- error translation ---------------------------------------------------------------------------


@pytest.mark.parametrize("mgn_emulator", [{"initialized": False}], indirect=True)
def test_describe_source_servers_uninitialized_account_raises_not_initialized_with_how_to(
    adapter: MgnAdapter,
) -> None:
    # When
    with pytest.raises(MgnNotInitializedError) as error:
        adapter.describe_source_servers()
    # Then
    message = str(error.value)
    assert "us-east-1" in message
    assert "Set up service" in message
    assert "InitializeService" in message
    assert "AWSApplicationMigrationReplicationServerRole" in message


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerException"])
def test_describe_source_servers_throttled_or_5xx_raises_transient(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter, code: str
) -> None:
    # Given
    mgn_emulator.inject_error("DescribeSourceServers", code)
    # When
    with pytest.raises(TransientAwsError) as error:
        adapter.describe_source_servers()
    # Then
    assert code in str(error.value)
    assert "retry after 1 s" in str(error.value)


def test_describe_source_servers_access_denied_raises_access_error(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    mgn_emulator.inject_error("DescribeSourceServers", "AccessDeniedException")
    # When
    with pytest.raises(AwsAccessError) as error:
        adapter.describe_source_servers()
    # Then
    assert "mgn:DescribeSourceServers" in str(error.value)


def test_get_replication_configuration_unknown_server_raises_not_found(adapter: MgnAdapter) -> None:
    # When
    with pytest.raises(AwsResourceNotFoundError) as error:
        adapter.get_replication_configuration(UNKNOWN_SERVER)
    # Then
    assert f"SourceServer {UNKNOWN_SERVER}" in str(error.value)


def test_create_replication_template_service_validation_raises_request_rejected(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter, private_template: dict[str, Any]
) -> None:
    # Given: a rule only the service knows about
    mgn_emulator.inject_error(
        "CreateReplicationConfigurationTemplate",
        "ValidationException",
        members={
            "reason": "fieldValidationFailed",
            "fieldList": [{"name": "ebsEncryptionKeyArn", "message": "Key is not enabled"}],
        },
    )
    # When
    with pytest.raises(MgnRequestRejectedError) as error:
        adapter.create_replication_template(private_template)
    # Then
    assert error.value.reason == "fieldValidationFailed"
    assert error.value.fields == [("ebsEncryptionKeyArn", "Key is not enabled")]
    assert "ebsEncryptionKeyArn: Key is not enabled" in str(error.value)


@pytest.mark.usefixtures("with_template")
def test_update_replication_configuration_busy_server_raises_conflict(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    [server_id] = _register(mgn_emulator, 1)
    mgn_emulator.mark_busy(server_id)
    # When
    with pytest.raises(MgnConflictError) as error:
        adapter.update_replication_configuration(server_id, {"bandwidthThrottling": 100})
    # Then
    assert server_id in str(error.value)


def test_describe_source_servers_unmapped_error_code_propagates_client_error(
    mgn_emulator: MgnEmulator, adapter: MgnAdapter
) -> None:
    # Given
    mgn_emulator.inject_error("DescribeSourceServers", "ServiceQuotaExceededException")
    # When / Then
    with pytest.raises(ClientError, match="ServiceQuotaExceededException"):
        adapter.describe_source_servers()


# ---- the enum sets stay in step with botocore's model -----------------------------------------------


@pytest.mark.parametrize(
    ("enum", "shape"),
    [
        (mgn_models.DataPlaneRouting, "ReplicationConfigurationDataPlaneRouting"),
        (mgn_models.LargeStagingDiskType, "ReplicationConfigurationDefaultLargeStagingDiskType"),
        (mgn_models.ReplicatedDiskStagingType, "ReplicationConfigurationReplicatedDiskStagingDiskType"),
        (mgn_models.EbsEncryption, "ReplicationConfigurationEbsEncryption"),
        (mgn_models.InternetProtocol, "InternetProtocol"),
        (mgn_models.OutpostSnapshotLocation, "OutpostSnapshotLocation"),
        (mgn_models.StorageType, "StorageType"),
        (mgn_models.LifeCycleState, "LifeCycleState"),
        (mgn_models.DataReplicationState, "DataReplicationState"),
        (mgn_models.ReplicationType, "ReplicationType"),
    ],
)
def test_mgn_enum_matches_botocore_model(enum: type[StrEnum], shape: str) -> None:
    # Given
    model = botocore.session.get_session().get_service_model("mgn")
    # Then
    assert [member.value for member in enum] == model.shape_for(shape).enum


def test_mgn_required_template_fields_match_botocore_model() -> None:
    # Given
    model = botocore.session.get_session().get_service_model("mgn")
    operation = model.operation_model("CreateReplicationConfigurationTemplate")
    # Then
    assert set(operation.input_shape.required_members) == mgn_models.REQUIRED_TEMPLATE_FIELDS
