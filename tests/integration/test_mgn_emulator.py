"""The MGN emulator seen through a real boto3 client: the service-side rules botocore does not
check, the modelled errors as boto3 parses them, and the semantics our Lambdas rely on."""

from __future__ import annotations

import json
import re
import threading
from typing import TYPE_CHECKING, Any

import boto3
import botocore.session
import pytest
from botocore.awsrequest import AWSRequest
from botocore.config import Config

from mgn_wave_emu.clock import VirtualClock
from mgn_wave_emu.hooks import router
from mgn_wave_emu.mgn import MgnEmulator, RegistrationRefusedError
from mgn_wave_emu.mgn.validation import validate

if TYPE_CHECKING:
    from mypy_boto3_mgn import MgnClient

UNCHECKED = Config(parameter_validation=False, retries={"total_max_attempts": 1})


def _unchecked_client(emulator: MgnEmulator) -> MgnClient:
    # botocore's own checks (required, min) would stop these requests before the "service"
    return boto3.client("mgn", region_name=emulator.region, config=UNCHECKED)


def _assert_fits_shape(value: dict[str, Any], shape_name: str) -> None:
    shape = botocore.session.get_session().get_service_model("mgn").shape_for(shape_name)
    assert validate(shape, value) == []


def _rejection(error: pytest.ExceptionInfo[Exception]) -> tuple[str, list[str]]:
    response: dict[str, Any] = error.value.response  # type: ignore[attr-defined]
    return response["reason"], [field["name"] for field in response["fieldList"]]


def _with_template(client: MgnClient, settings: dict[str, Any]) -> dict[str, Any]:
    return dict(client.create_replication_configuration_template(**settings))


# ---- DescribeSourceServers: limits botocore does not enforce --------------------------------------


def test_describe_source_servers_201_ids_raises_validation_naming_the_filter(mgn_client: MgnClient) -> None:
    # Given
    ids = [f"s-{index:017d}" for index in range(201)]
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.describe_source_servers(filters={"sourceServerIDs": ids})
    # Then
    reason, fields = _rejection(error)
    assert reason == "fieldValidationFailed"
    assert fields == ["filters.sourceServerIDs"]
    assert "less than or equal to 200" in error.value.response["fieldList"][0]["message"]
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_describe_source_servers_max_results_1001_raises_validation(mgn_client: MgnClient) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.describe_source_servers(maxResults=1001)
    # Then
    assert _rejection(error) == ("fieldValidationFailed", ["maxResults"])


def test_describe_source_servers_unknown_lifecycle_state_raises_validation(mgn_client: MgnClient) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.describe_source_servers(filters={"lifeCycleStates": ["HEALTHY"]})
    # Then
    reason, fields = _rejection(error)
    assert (reason, fields) == ("fieldValidationFailed", ["filters.lifeCycleStates[0]"])
    assert "READY_FOR_TEST" in str(error.value)


@pytest.mark.parametrize("malformed", ["s-123", "s-1234567890123456_"])
def test_describe_source_servers_malformed_id_raises_validation(mgn_emulator: MgnEmulator, malformed: str) -> None:
    # Given: "s-123" is too short for botocore's min check, so it is sent unchecked
    client = _unchecked_client(mgn_emulator)
    # When
    with pytest.raises(client.exceptions.ValidationException) as error:
        client.describe_source_servers(filters={"sourceServerIDs": [malformed]})
    # Then: one entry per broken constraint ("s-123" is also too short)
    reason, fields = _rejection(error)
    assert (reason, set(fields)) == ("fieldValidationFailed", {"filters.sourceServerIDs[0]"})
    assert "s-[0-9a-zA-Z]{17}" in str(error.value)


def test_describe_source_servers_unknown_member_raises_validation(mgn_emulator: MgnEmulator) -> None:
    # Given: botocore cannot even serialise an unknown member, so the request is built by hand
    request = AWSRequest(
        method="POST",
        url="https://mgn.us-east-1.amazonaws.com/DescribeSourceServers",
        data=json.dumps({"filters": {"hostnames": ["web-1"]}}).encode(),
    ).prepare()
    # When
    response = mgn_emulator.handle("DescribeSourceServers", request)
    # Then
    assert response is not None
    body = json.loads(response.content)
    assert (response.status_code, response.headers["x-amzn-ErrorType"]) == (400, "ValidationException")
    assert body["fieldList"] == [{"name": "filters.hostnames", "message": "Unknown member"}]


@pytest.mark.parametrize("mgn_emulator", [{"initialized": False}], indirect=True)
def test_describe_source_servers_uninitialized_account_raises_uninitialized(mgn_client: MgnClient) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.UninitializedAccountException) as error:
        mgn_client.describe_source_servers()
    # Then
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("mgn_emulator", [{"initialized": False}], indirect=True)
def test_initialize_service_uninitialized_account_makes_describe_succeed(mgn_client: MgnClient) -> None:
    # When
    mgn_client.initialize_service()
    # Then
    assert mgn_client.describe_source_servers()["items"] == []


def test_describe_source_servers_1001_servers_pages_with_next_token(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    registered = [mgn_emulator.register_source_server(hostname=f"app-{n:04d}") for n in range(1001)]
    # When
    first = mgn_client.describe_source_servers(maxResults=1000)
    second = mgn_client.describe_source_servers(maxResults=1000, nextToken=first["nextToken"])
    # Then
    assert len(first["items"]) == 1000
    assert "nextToken" not in second
    assert [s["sourceServerID"] for s in first["items"] + second["items"]] == registered


def test_describe_source_servers_boto3_paginator_small_pages_returns_every_server(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    registered = [mgn_emulator.register_source_server(hostname=f"db-{n}") for n in range(7)]
    # When
    pages = list(mgn_client.get_paginator("describe_source_servers").paginate(PaginationConfig={"PageSize": 3}))
    # Then
    assert [len(page["items"]) for page in pages] == [3, 3, 1]
    assert [s["sourceServerID"] for page in pages for s in page["items"]] == registered


def test_describe_source_servers_foreign_next_token_raises_validation(mgn_client: MgnClient) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.describe_source_servers(nextToken="not-a-token")
    # Then
    assert _rejection(error) == ("fieldValidationFailed", ["nextToken"])


def test_describe_source_servers_filters_return_only_matching_servers(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    ready = mgn_emulator.register_source_server(hostname="web-1", lifecycle_state="READY_FOR_TEST")
    pending = mgn_emulator.register_source_server(hostname="web-2")
    cut_over = mgn_emulator.register_source_server(hostname="web-3", lifecycle_state="CUTOVER")
    mgn_client.mark_as_archived(sourceServerID=cut_over)
    # When
    by_id = mgn_client.describe_source_servers(filters={"sourceServerIDs": [pending, "s-00000000000000000"]})
    by_state = mgn_client.describe_source_servers(filters={"lifeCycleStates": ["READY_FOR_TEST", "NOT_READY"]})
    live = mgn_client.describe_source_servers(filters={"isArchived": False})
    # Then
    assert [s["sourceServerID"] for s in by_id["items"]] == [pending]
    assert [s["sourceServerID"] for s in by_state["items"]] == [ready, pending]
    assert [s["sourceServerID"] for s in live["items"]] == [ready, pending]


def test_an_agent_reinstalled_finds_its_live_source_server_by_hostname(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given: web-1 cut over and archived, then registered again; web-2 registered once
    _with_template(mgn_client, private_template)
    archived = mgn_emulator.register_source_server(hostname="web-1", lifecycle_state="CUTOVER")
    mgn_client.mark_as_archived(sourceServerID=archived)
    live = mgn_emulator.register_source_server(hostname="web-1")
    other = mgn_emulator.register_source_server(hostname="web-2")
    # When / Then: the agent's hostname finds the live server, never the archived one
    assert mgn_emulator.source_server_id_by_hostname("web-1") == live
    assert mgn_emulator.source_server_id_by_hostname("web-2") == other
    assert mgn_emulator.source_server_id_by_hostname("web-3") is None


def test_describe_source_servers_registered_server_matches_the_model(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(
        hostname="erp-db",
        user_provided_id="cmdb-42",
        aws_instance_id="i-0123456789abcdef0",
        tags={"wave": "1"},
        disks=[("/dev/sda", 100 * 1024**3), ("/dev/sdb", 500 * 1024**3)],
    )
    # When
    [server] = mgn_client.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"]
    # Then
    _assert_fits_shape(mgn_emulator.source_server(server_id), "SourceServer")
    assert server == mgn_emulator.source_server(server_id)
    assert server["arn"] == f"arn:aws:mgn:us-east-1:123456789012:source-server/{server_id}"
    assert server["sourceProperties"]["identificationHints"]["hostname"] == "erp-db"
    assert server["lifeCycle"] == {"state": "NOT_READY", "addedToServiceDateTime": "2026-01-05T09:00:00Z"}
    assert [d["deviceName"] for d in mgn_emulator.replication_configuration(server_id)["replicatedDisks"]] == [
        "/dev/sda",
        "/dev/sdb",
    ]


# ---- replication configuration templates ----------------------------------------------------------


def test_create_template_missing_required_field_raises_validation(
    mgn_emulator: MgnEmulator, private_template: dict[str, Any]
) -> None:
    # Given
    client = _unchecked_client(mgn_emulator)
    del private_template["dataPlaneRouting"]
    # When
    with pytest.raises(client.exceptions.ValidationException) as error:
        client.create_replication_configuration_template(**private_template)
    # Then
    assert _rejection(error) == ("fieldValidationFailed", ["dataPlaneRouting"])
    assert mgn_emulator.templates() == []


def test_create_template_33_security_groups_raises_validation(
    mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    private_template["replicationServersSecurityGroupsIDs"] = [f"sg-{n:017x}" for n in range(33)]
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.create_replication_configuration_template(**private_template)
    # Then
    assert _rejection(error) == ("fieldValidationFailed", ["replicationServersSecurityGroupsIDs"])


def test_create_template_bandwidth_10001_raises_validation(
    mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    private_template["bandwidthThrottling"] = 10001
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.create_replication_configuration_template(**private_template)
    # Then
    assert _rejection(error) == ("fieldValidationFailed", ["bandwidthThrottling"])


def test_create_template_several_violations_lists_each_field(
    mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    private_template.update(dataPlaneRouting="PRIVATE", stagingAreaSubnetId="subnet-xyz", ebsEncryption="KMS")
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.create_replication_configuration_template(**private_template)
    # Then
    _, fields = _rejection(error)
    assert sorted(fields) == ["dataPlaneRouting", "ebsEncryption", "stagingAreaSubnetId"]
    assert str(error.value).count("failed to satisfy constraint") == 3


def test_create_template_valid_settings_returns_template_with_id_and_arn(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # When
    created = _with_template(mgn_client, {**private_template, "tags": {"owner": "platform"}})
    # Then
    template_id = created["replicationConfigurationTemplateID"]
    assert created["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert created["arn"].endswith(f":replication-configuration-template/{template_id}")
    assert created["dataPlaneRouting"] == "PRIVATE_IP"
    assert mgn_client.list_tags_for_resource(resourceArn=created["arn"])["tags"] == {"owner": "platform"}
    [stored] = mgn_emulator.templates()
    _assert_fits_shape(stored, "ReplicationConfigurationTemplate")


def test_update_template_change_does_not_reach_already_registered_servers(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    template_id = _with_template(mgn_client, private_template)["replicationConfigurationTemplateID"]
    before = mgn_emulator.register_source_server(hostname="old-1")
    # When
    mgn_client.update_replication_configuration_template(
        replicationConfigurationTemplateID=template_id, bandwidthThrottling=200, createPublicIP=True
    )
    after = mgn_emulator.register_source_server(hostname="new-1")
    # Then
    old_config = mgn_client.get_replication_configuration(sourceServerID=before)
    new_config = mgn_client.get_replication_configuration(sourceServerID=after)
    assert (old_config["bandwidthThrottling"], old_config["createPublicIP"]) == (0, False)
    assert (new_config["bandwidthThrottling"], new_config["createPublicIP"]) == (200, True)
    assert mgn_emulator.templates()[0]["bandwidthThrottling"] == 200


def test_describe_templates_unknown_id_raises_resource_not_found(mgn_client: MgnClient) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.ResourceNotFoundException) as error:
        mgn_client.describe_replication_configuration_templates(
            replicationConfigurationTemplateIDs=["rct-00000000000000000"]
        )
    # Then
    assert error.value.response["resourceId"] == "rct-00000000000000000"


def test_delete_template_existing_template_is_gone_from_describe(
    mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    template_id = _with_template(mgn_client, private_template)["replicationConfigurationTemplateID"]
    # When
    deleted = mgn_client.delete_replication_configuration_template(replicationConfigurationTemplateID=template_id)
    # Then
    assert deleted["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert mgn_client.describe_replication_configuration_templates()["items"] == []


# ---- per-server replication configuration ---------------------------------------------------------


def test_update_replication_configuration_idle_server_returns_and_keeps_changes(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(hostname="app-1")
    # When
    updated = mgn_client.update_replication_configuration(
        sourceServerID=server_id, replicationServersSecurityGroupsIDs=["sg-0fedcba9876543210"]
    )
    # Then
    assert updated["replicationServersSecurityGroupsIDs"] == ["sg-0fedcba9876543210"]
    assert mgn_emulator.replication_configuration(server_id)["replicationServersSecurityGroupsIDs"] == [
        "sg-0fedcba9876543210"
    ]
    _assert_fits_shape(mgn_emulator.replication_configuration(server_id), "ReplicationConfiguration")


def test_update_replication_configuration_busy_server_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(hostname="app-1")
    mgn_emulator.mark_busy(server_id)
    # When
    with pytest.raises(mgn_client.exceptions.ConflictException) as error:
        mgn_client.update_replication_configuration(sourceServerID=server_id, bandwidthThrottling=50)
    # Then
    assert error.value.response["resourceId"] == server_id
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert mgn_emulator.replication_configuration(server_id)["bandwidthThrottling"] == 0


def test_get_replication_configuration_unknown_server_raises_resource_not_found(
    mgn_client: MgnClient,
) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.ResourceNotFoundException) as error:
        mgn_client.get_replication_configuration(sourceServerID="s-00000000000000000")
    # Then
    response = error.value.response
    assert (response["resourceId"], response["resourceType"]) == ("s-00000000000000000", "SourceServer")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 404


# ---- archive and delete --------------------------------------------------------------------------


def test_mark_as_archived_replicating_server_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(hostname="app-1", lifecycle_state="READY_FOR_TEST")
    # When
    with pytest.raises(mgn_client.exceptions.ConflictException):
        mgn_client.mark_as_archived(sourceServerID=server_id)
    # Then
    assert mgn_emulator.source_server(server_id)["isArchived"] is False


def test_delete_source_server_disconnected_server_is_gone(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(
        hostname="app-1", lifecycle_state="DISCONNECTED", data_replication_state="DISCONNECTED"
    )
    # When
    mgn_client.delete_source_server(sourceServerID=server_id)
    # Then
    assert mgn_client.describe_source_servers()["items"] == []


# ---- tags ----------------------------------------------------------------------------------------


def test_tag_resource_tags_round_trip_through_list_and_untag(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(hostname="app-1", tags={"wave": "1"})
    arn = mgn_emulator.source_server(server_id)["arn"]
    # When
    mgn_client.tag_resource(resourceArn=arn, tags={"owner": "team a", "wave": "2"})
    tagged = mgn_client.list_tags_for_resource(resourceArn=arn)["tags"]
    mgn_client.untag_resource(resourceArn=arn, tagKeys=["owner", "absent"])
    # Then
    assert tagged == {"owner": "team a", "wave": "2"}
    assert mgn_client.list_tags_for_resource(resourceArn=arn)["tags"] == {"wave": "2"}
    assert mgn_client.describe_source_servers()["items"][0]["tags"] == {"wave": "2"}


def test_tag_resource_beyond_50_tags_raises_validation(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    server_id = mgn_emulator.register_source_server(hostname="app-1", tags={f"k{n}": "v" for n in range(30)})
    arn = mgn_emulator.source_server(server_id)["arn"]
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.tag_resource(resourceArn=arn, tags={f"new{n}": "v" for n in range(21)})
    # Then
    assert _rejection(error) == ("fieldValidationFailed", ["tags"])
    assert len(mgn_emulator.source_server(server_id)["tags"]) == 30


def test_list_tags_unknown_arn_raises_resource_not_found(mgn_client: MgnClient) -> None:
    # When / Then
    with pytest.raises(mgn_client.exceptions.ResourceNotFoundException):
        mgn_client.list_tags_for_resource(resourceArn="arn:aws:mgn:us-east-1:123456789012:source-server/s-0")


# ---- fault knobs, unemulated operations, bookkeeping ----------------------------------------------


def test_throttle_knob_next_call_raises_throttling_with_retry_after(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given
    mgn_emulator.throttle("DescribeSourceServers", times=1)
    # When
    with pytest.raises(mgn_client.exceptions.ThrottlingException) as error:
        mgn_client.describe_source_servers()
    # Then
    response = error.value.response
    assert response["retryAfterSeconds"] == "1"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert mgn_client.describe_source_servers()["items"] == []
    assert mgn_emulator.calls["DescribeSourceServers"] == 2


def test_inject_error_internal_server_raises_with_numeric_retry_after(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given
    mgn_emulator.inject_error("GetReplicationConfiguration", "InternalServerException")
    # When
    with pytest.raises(mgn_client.exceptions.InternalServerException) as error:
        mgn_client.get_replication_configuration(sourceServerID="s-00000000000000000")
    # Then: the model types this Retry-After as a long, unlike ThrottlingException's string
    assert error.value.response["retryAfterSeconds"] == 1


def test_unemulated_operation_raises_validation_saying_not_emulated(mgn_client: MgnClient) -> None:
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.list_waves()
    # Then
    assert error.value.response["reason"] == "unknownOperation"
    assert "mgn-wave emulator: ListWaves is not emulated" in str(error.value)


def test_calls_counter_counts_rejected_requests_too(mgn_emulator: MgnEmulator, mgn_client: MgnClient) -> None:
    # Given
    with pytest.raises(mgn_client.exceptions.ValidationException):
        mgn_client.describe_source_servers(maxResults=1001)
    # When
    mgn_client.describe_source_servers()
    # Then
    assert mgn_emulator.calls == {"DescribeSourceServers": 2}
    assert mgn_emulator.calls["UpdateReplicationConfiguration"] == 0


# ---- Python-side API ----------------------------------------------------------------------------


def test_register_source_server_without_template_is_refused(mgn_emulator: MgnEmulator) -> None:
    # When / Then
    with pytest.raises(RegistrationRefusedError, match="template"):
        mgn_emulator.register_source_server(hostname="app-1")


def test_register_source_server_unknown_lifecycle_state_raises_value_error(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    # When / Then
    with pytest.raises(ValueError, match=r"lifeCycle\.state"):
        mgn_emulator.register_source_server(hostname="app-1", lifecycle_state="HEALTHY")


def test_register_source_server_same_seed_gives_same_ids(
    mgn_emulator: MgnEmulator, private_template: dict[str, Any]
) -> None:
    # Given: three emulators, two of them with the same seed, each with a template
    ids = []
    for seed in (7, 7, 8):
        emulator = MgnEmulator(VirtualClock(), seed=seed)
        router.activate({"mgn": emulator})
        boto3.client("mgn", region_name="us-east-1").create_replication_configuration_template(**private_template)
        # When
        ids.append([emulator.register_source_server(hostname=f"h{n}") for n in range(3)])
    # Then
    assert ids[0] == ids[1]
    assert ids[0] != ids[2]
    assert all(re.fullmatch(r"s-[0-9a-zA-Z]{17}", server_id) for server_id in ids[0])


def test_register_source_server_from_many_threads_keeps_every_server(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, private_template: dict[str, Any]
) -> None:
    # Given
    _with_template(mgn_client, private_template)
    registered: list[str] = []

    def register_batch(batch: int) -> None:
        for n in range(50):
            registered.append(mgn_emulator.register_source_server(hostname=f"t{batch}-{n}"))

    threads = [threading.Thread(target=register_batch, args=(batch,)) for batch in range(8)]
    # When
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Then
    listed = [s["sourceServerID"] for s in mgn_client.describe_source_servers()["items"]]
    assert len(set(registered)) == 400
    assert sorted(listed) == sorted(registered)
