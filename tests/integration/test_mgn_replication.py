"""Replication over virtual time in the MGN emulator, seen through boto3: the initiation steps,
the initial sync at the link speed, READY_FOR_TEST; stalls the network oracle decides; the
replication API's preconditions; the EventBridge events and their faults; `next_change_at`; and
the classifier agreeing with what the emulator shows at every stage."""

from __future__ import annotations

import time
from datetime import timedelta
from ipaddress import IPv4Network
from typing import TYPE_CHECKING, Any

import boto3
import pytest
from moto import mock_aws

from mgn_wave.replication_settings.models import PRIVATE_PATH_FIXED
from mgn_wave.replication_wait.classifier import classify
from mgn_wave.replication_wait.models import Outcome, Phase
from mgn_wave_emu.clock import EPOCH, VirtualClock
from mgn_wave_emu.harness import EmulatedAws
from mgn_wave_emu.hooks import router
from mgn_wave_emu.mgn import MgnEmulator
from mgn_wave_emu.mgn.replication import INITIATION_STEPS, LIFECYCLE_EVENT, STALLED_EVENT, OracleFailure
from mgn_wave_emu.network_oracle import build_network_oracle, replication_path_failures
from mgn_wave_emu.scenario import build_scenario, load_scenario, parse_scenario

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from mypy_boto3_mgn import MgnClient

GIB = 1024**3
# Initiation without the MGN default SG (CREATE_SECURITY_GROUP skipped): 60+120+180+60+120+60+60+60+60+60 s
INITIATION_SECONDS = 840
SNAPSHOT_SECONDS = 300
# 100 GiB at the default 100 Mbps link: 107,374,182,400 B x 8 / 10^8 b/s = 8,589.9 s → 8,590 s
SYNC_100_GIB_SECONDS = 8590


@pytest.fixture
def template(mgn_client: MgnClient) -> dict[str, Any]:
    """The private-path template every registered server copies."""
    return dict(
        mgn_client.create_replication_configuration_template(
            stagingAreaSubnetId="subnet-0123456789abcdef0",
            associateDefaultSecurityGroup=False,
            replicationServersSecurityGroupsIDs=["sg-0123456789abcdef0"],
            replicationServerInstanceType="t3.small",
            useDedicatedReplicationServer=False,
            defaultLargeStagingDiskType="GP3",
            ebsEncryption="DEFAULT",
            bandwidthThrottling=0,
            dataPlaneRouting="PRIVATE_IP",
            createPublicIP=False,
            stagingAreaTags={},
        )
    )


@pytest.fixture
def delivered(mgn_emulator: MgnEmulator) -> list[dict[str, Any]]:
    """Events as a target would receive them."""
    events: list[dict[str, Any]] = []
    mgn_emulator.set_event_sink(events.append)
    return events


def _register(emulator: MgnEmulator, gib: int = 100, hostname: str = "web-1") -> str:
    return emulator.register_source_server(hostname=hostname, disks=[("/dev/sda", gib * GIB)])


def _describe(client: MgnClient, server_id: str) -> dict[str, Any]:
    [server] = client.describe_source_servers(filters={"sourceServerIDs": [server_id]})["items"]
    return dict(server)


def _at(emulator: MgnEmulator, seconds: float) -> None:
    """Move the clock to `seconds` after 09:00, when the tests register their servers."""
    emulator.clock.advance_to(EPOCH + timedelta(seconds=seconds))


def _run_until_quiet(emulator: MgnEmulator) -> None:
    while (moment := emulator.next_change_at()) is not None:
        emulator.clock.advance_to(moment)


def _state(server: Mapping[str, Any]) -> tuple[str, str]:
    return server["dataReplicationInfo"]["dataReplicationState"], server["lifeCycle"]["state"]


def _step_statuses(server: Mapping[str, Any]) -> dict[str, str]:
    return {s["name"]: s["status"] for s in server["dataReplicationInfo"]["dataReplicationInitiation"]["steps"]}


def _fail_at(step: str, detail: str = "no TCP 1500 path") -> Any:
    def oracle(server: Mapping[str, Any], configuration: Mapping[str, Any]) -> OracleFailure:
        return OracleFailure(step, detail)

    return oracle


# ---- the happy path over virtual time ---------------------------------------------------------------


@pytest.mark.usefixtures("template")
def test_replication_100_gib_default_link_is_ready_after_initiation_sync_and_snapshot(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a 100 GiB server registered at 09:00 over the default 100 Mbps link
    server_id = _register(mgn_emulator, gib=100)
    ready_after = INITIATION_SECONDS + SYNC_100_GIB_SECONDS + SNAPSHOT_SECONDS  # 9,730 s = 2 h 42 min 10 s
    assert mgn_emulator.replication.timing.seconds_to_ready(100 * GIB) == ready_after
    # When one second before
    _at(mgn_emulator, ready_after - 1)
    # Then it is still snapshotting
    assert _state(_describe(mgn_client, server_id)) == ("CREATING_SNAPSHOT", "NOT_READY")
    # When the snapshot is done
    _at(mgn_emulator, ready_after)
    server = _describe(mgn_client, server_id)
    # Then it is healthy and launchable, with the times it got there
    assert _state(server) == ("CONTINUOUS", "READY_FOR_TEST")
    assert server["dataReplicationInfo"]["lastSnapshotDateTime"] == "2026-01-05T11:42:10Z"
    assert server["dataReplicationInfo"]["lagDuration"] == "PT0S"
    assert server["lifeCycle"]["firstByteDateTime"] == "2026-01-05T09:14:00Z"
    assert server["lifeCycle"]["elapsedReplicationDuration"] == "PT2H28M10S"
    assert server["dataReplicationInfo"]["replicatedDisks"][0]["replicatedStorageBytes"] == 100 * GIB
    assert mgn_emulator.next_change_at() is None


@pytest.mark.usefixtures("template")
def test_replication_throttled_with_default_sg_takes_throttle_rate_and_security_group_step(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a 10 GiB server throttled to 10 Mbps that uses the MGN default SG
    server_id = _register(mgn_emulator, gib=10)
    mgn_client.update_replication_configuration(
        sourceServerID=server_id, bandwidthThrottling=10, associateDefaultSecurityGroup=True
    )
    # 10 GiB x 8 / 10^7 b/s = 8,589.9 s → 8,590 s; initiation with CREATE_SECURITY_GROUP: 900 s
    ready_after = 900 + 8590 + SNAPSHOT_SECONDS
    # When
    _at(mgn_emulator, ready_after - 1)
    before = _describe(mgn_client, server_id)
    _at(mgn_emulator, ready_after)
    # Then
    assert _step_statuses(before)["CREATE_SECURITY_GROUP"] == "SUCCEEDED"
    assert _state(before)[0] == "CREATING_SNAPSHOT"
    assert _state(_describe(mgn_client, server_id)) == ("CONTINUOUS", "READY_FOR_TEST")


@pytest.mark.usefixtures("template")
def test_initiation_steps_run_in_order_one_in_progress_at_a_time(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given
    server_id = _register(mgn_emulator)
    seen_in_progress = []
    # When the clock jumps from one transition to the next through initiation
    while _state(server := _describe(mgn_client, server_id))[0] == "INITIATING":
        statuses = _step_statuses(server)
        in_progress = [name for name, status in statuses.items() if status == "IN_PROGRESS"]
        seen_in_progress.extend(in_progress)
        # Then exactly one step runs, everything before it is done, everything after not started
        if in_progress:
            index = INITIATION_STEPS.index(in_progress[0])
            assert len(in_progress) == 1
            assert all(statuses[name] in {"SUCCEEDED", "SKIPPED"} for name in INITIATION_STEPS[:index])
            assert all(statuses[name] == "NOT_STARTED" for name in INITIATION_STEPS[index + 1 :])
        moment = mgn_emulator.next_change_at()
        assert moment is not None
        mgn_emulator.clock.advance_to(moment)
    expected = [step for step in INITIATION_STEPS if step != "CREATE_SECURITY_GROUP"]
    assert seen_in_progress == expected
    assert _state(server)[0] == "INITIAL_SYNC"
    assert all(status in {"SUCCEEDED", "SKIPPED"} for status in _step_statuses(server).values())


@pytest.mark.usefixtures("template")
def test_initial_sync_halfway_shows_half_the_bytes_eta_and_no_lag(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given two disks, 20 and 80 GiB (100 GiB in all)
    server_id = mgn_emulator.register_source_server(
        hostname="app-1", disks=[("/dev/sda", 20 * GIB), ("/dev/sdb", 80 * GIB)]
    )
    # When half the sync time has passed
    _at(mgn_emulator, INITIATION_SECONDS + SYNC_100_GIB_SECONDS / 2)
    server = _describe(mgn_client, server_id)
    # Then every disk is about half copied, the ETA is the end of the sync
    info = server["dataReplicationInfo"]
    assert info["dataReplicationState"] == "INITIAL_SYNC"
    copied = [disk["replicatedStorageBytes"] / disk["totalStorageBytes"] for disk in info["replicatedDisks"]]
    assert copied == pytest.approx([0.5, 0.5], abs=0.001)
    assert info["etaDateTime"] == "2026-01-05T11:37:10Z"  # 09:14:00 + 8,590 s
    assert "lagDuration" not in info  # not launchable yet
    assert classify(server, now=mgn_emulator.clock.now()).progress_percent == pytest.approx(50.0, abs=0.1)


# ---- stalls decided by the network ------------------------------------------------------------------


@pytest.mark.usefixtures("template")
def test_oracle_failing_connect_stalls_with_its_error_and_sends_the_stalled_event(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, delivered: list[dict[str, Any]]
) -> None:
    # Given a network with no TCP 1500 path
    mgn_emulator.set_network_oracle(_fail_at("CONNECT_AGENT_TO_REPLICATION_SERVER", "SG sg-1 admits no 1500"))
    server_id = _register(mgn_emulator)
    # When
    _run_until_quiet(mgn_emulator)
    server = _describe(mgn_client, server_id)
    # Then it stalls at CONNECT (12 min in: 780 s of steps, then CONNECT's 60 s) with the matching error
    info = server["dataReplicationInfo"]
    assert info["dataReplicationState"] == "STALLED"
    assert info["dataReplicationError"] == {
        "error": "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER",
        "rawError": "SG sg-1 admits no 1500",
    }
    statuses = _step_statuses(server)
    assert statuses["CONNECT_AGENT_TO_REPLICATION_SERVER"] == "FAILED"
    assert statuses["START_DATA_TRANSFER"] == "NOT_STARTED"
    assert [(e["detail-type"], e["detail"], e["time"]) for e in delivered] == [
        (STALLED_EVENT, {"state": "STALLED"}, "2026-01-05T09:13:00Z")
    ]
    assert delivered[0]["resources"] == [server["arn"]]
    assert mgn_emulator.next_change_at() is None  # no automatic retry unless the knob says so
    verdict = classify(server, now=mgn_emulator.clock.now())
    assert (verdict.outcome, verdict.failed_step) == (Outcome.FAILED, "CONNECT_AGENT_TO_REPLICATION_SERVER")


@pytest.mark.parametrize("step", INITIATION_STEPS)
@pytest.mark.usefixtures("template")
def test_oracle_failing_each_step_reports_the_matching_error(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, step: str
) -> None:
    # Given the oracle names a step by its name only
    mgn_emulator.set_network_oracle(lambda server, configuration: step)
    server_id = _register(mgn_emulator)
    # When
    _run_until_quiet(mgn_emulator)
    server = _describe(mgn_client, server_id)
    # Then
    expected = "AGENT_NOT_SEEN" if step == "WAIT" else f"FAILED_TO_{step}"
    assert server["dataReplicationInfo"]["dataReplicationError"]["error"] == expected
    assert _step_statuses(server)[step] == "FAILED"  # even CREATE_SECURITY_GROUP runs when it is what fails


@pytest.mark.usefixtures("template")
def test_retry_after_the_network_is_fixed_replicates_and_sends_not_stalled(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, delivered: list[dict[str, Any]]
) -> None:
    # Given a server stalled at AUTHENTICATE_WITH_SERVICE
    mgn_emulator.set_network_oracle(_fail_at("AUTHENTICATE_WITH_SERVICE"))
    server_id = _register(mgn_emulator, gib=1)
    _run_until_quiet(mgn_emulator)
    # When the network is fixed and the operator retries
    mgn_emulator.set_network_oracle(None)
    retried = mgn_client.retry_data_replication(sourceServerID=server_id)
    _run_until_quiet(mgn_emulator)
    # Then
    assert retried["dataReplicationInfo"]["dataReplicationState"] == "INITIATING"
    assert "dataReplicationError" not in retried["dataReplicationInfo"]
    assert _state(_describe(mgn_client, server_id)) == ("CONTINUOUS", "READY_FOR_TEST")
    assert [(e["detail-type"], e["detail"]["state"]) for e in delivered] == [
        (STALLED_EVENT, "STALLED"),
        (STALLED_EVENT, "NOT_STALLED"),
        (LIFECYCLE_EVENT, "READY_FOR_TEST"),
    ]


@pytest.mark.usefixtures("template")
def test_automatic_retry_knob_sets_next_attempt_and_recovers_once_fixed(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given MGN retries stalled initiations after 30 minutes
    mgn_emulator.replication.timing.retry_initiation_after_seconds = 1800
    failures = iter([OracleFailure("CONNECT_AGENT_TO_REPLICATION_SERVER", "blocked"), None])
    mgn_emulator.set_network_oracle(lambda server, configuration: next(failures))
    server_id = _register(mgn_emulator, gib=1)
    # When it stalls at 09:13
    _at(mgn_emulator, 780)
    stalled = _describe(mgn_client, server_id)
    # Then the next attempt is announced, and the second attempt (network fixed) succeeds
    assert stalled["dataReplicationInfo"]["dataReplicationInitiation"]["nextAttemptDateTime"] == "2026-01-05T09:43:00Z"
    _run_until_quiet(mgn_emulator)
    assert _state(_describe(mgn_client, server_id)) == ("CONTINUOUS", "READY_FOR_TEST")


@pytest.mark.usefixtures("template")
def test_oracle_that_raises_stalls_the_server_naming_the_emulator(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a broken oracle
    def broken(server: Mapping[str, Any], configuration: Mapping[str, Any]) -> str:
        raise KeyError("stagingAreaSubnetId")

    mgn_emulator.set_network_oracle(broken)
    server_id = _register(mgn_emulator)
    # When
    _run_until_quiet(mgn_emulator)
    # Then the failure is visible in the server, not lost in the clock's thread
    error = _describe(mgn_client, server_id)["dataReplicationInfo"]["dataReplicationError"]
    assert error["error"] == "AGENT_NOT_SEEN"
    assert "network oracle raised KeyError" in error["rawError"]


# ---- the replication API ----------------------------------------------------------------------------


@pytest.mark.usefixtures("template")
def test_retry_when_not_stalled_raises_validation(mgn_emulator: MgnEmulator, mgn_client: MgnClient) -> None:
    # Given a server initiating normally
    server_id = _register(mgn_emulator)
    # When
    with pytest.raises(mgn_client.exceptions.ValidationException) as error:
        mgn_client.retry_data_replication(sourceServerID=server_id)
    # Then
    assert "only when it is STALLED" in error.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    ("operation", "message"),
    [
        ("start_replication", "can be started only when STOPPED"),
        ("pause_replication", "can be paused only when"),
        ("resume_replication", "can be resumed only when PAUSED"),
    ],
)
@pytest.mark.usefixtures("template")
def test_replication_action_in_wrong_state_raises_conflict(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, operation: str, message: str
) -> None:
    # Given a server that is initiating
    server_id = _register(mgn_emulator)
    # When
    with pytest.raises(mgn_client.exceptions.ConflictException) as error:
        getattr(mgn_client, operation)(sourceServerID=server_id)
    # Then
    assert message in error.value.response["Error"]["Message"]
    assert error.value.response["resourceId"] == server_id


def test_replication_action_on_unknown_server_raises_not_found(mgn_client: MgnClient) -> None:
    with pytest.raises(mgn_client.exceptions.ResourceNotFoundException):
        mgn_client.stop_replication(sourceServerID="s-00000000000000000")


@pytest.mark.usefixtures("template")
def test_pause_mid_sync_freezes_bytes_and_resume_pushes_the_eta_back(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a 100 GiB server halfway through its sync
    server_id = _register(mgn_emulator)
    _at(mgn_emulator, INITIATION_SECONDS + SYNC_100_GIB_SECONDS / 2)
    # When paused for an hour
    paused = mgn_client.pause_replication(sourceServerID=server_id)
    change_while_paused = mgn_emulator.next_change_at()
    _at(mgn_emulator, INITIATION_SECONDS + SYNC_100_GIB_SECONDS / 2 + 3600)
    frozen = _describe(mgn_client, server_id)
    resumed = mgn_client.resume_replication(sourceServerID=server_id)
    # Then nothing moved while paused, and the sync ends an hour later than first planned
    assert paused["dataReplicationInfo"]["dataReplicationState"] == "PAUSED"
    assert change_while_paused is None  # a paused server changes only when told
    assert frozen["dataReplicationInfo"]["replicatedDisks"] == paused["dataReplicationInfo"]["replicatedDisks"]
    assert resumed["dataReplicationInfo"]["dataReplicationState"] == "INITIAL_SYNC"
    assert resumed["dataReplicationInfo"]["etaDateTime"] == "2026-01-05T12:37:10Z"  # 11:37:10 + 1 h
    _run_until_quiet(mgn_emulator)
    assert _state(_describe(mgn_client, server_id)) == ("CONTINUOUS", "READY_FOR_TEST")


@pytest.mark.usefixtures("template")
def test_stop_then_start_rescans_without_a_second_lifecycle_event(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient, delivered: list[dict[str, Any]]
) -> None:
    # Given a server that reached READY_FOR_TEST
    server_id = _register(mgn_emulator, gib=1)
    _run_until_quiet(mgn_emulator)
    # When replication is stopped and started again
    stopped = mgn_client.stop_replication(sourceServerID=server_id)
    mgn_client.start_replication(sourceServerID=server_id)
    states = []
    while (moment := mgn_emulator.next_change_at()) is not None:
        mgn_emulator.clock.advance_to(moment)
        states.append(_state(_describe(mgn_client, server_id))[0])
    # Then it re-initiates, rescans (not a full initial sync) and is continuous again
    assert _state(stopped) == ("STOPPED", "READY_FOR_TEST")
    assert "RESCAN" in states
    assert "INITIAL_SYNC" not in states
    assert states[-1] == "CONTINUOUS"
    final = _describe(mgn_client, server_id)["dataReplicationInfo"]["replicatedDisks"][0]
    assert final["rescannedStorageBytes"] == final["totalStorageBytes"] == final["replicatedStorageBytes"]
    # And the lifecycle event went out only the first time (docs/mgn-facts.md §2)
    assert [e["detail-type"] for e in delivered] == [LIFECYCLE_EVENT]


@pytest.mark.usefixtures("template")
def test_disconnect_sets_both_states_cancels_progress_and_allows_archiving(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a server in initial sync
    server_id = _register(mgn_emulator)
    _at(mgn_emulator, INITIATION_SECONDS + 60)
    # When
    disconnected = mgn_client.disconnect_from_service(sourceServerID=server_id)
    archived = mgn_client.mark_as_archived(sourceServerID=server_id)
    # Then
    assert _state(disconnected) == ("DISCONNECTED", "DISCONNECTED")
    assert archived["isArchived"] is True
    assert mgn_emulator.next_change_at() is None
    with pytest.raises(mgn_client.exceptions.ConflictException):
        mgn_client.disconnect_from_service(sourceServerID=server_id)
    verdict = classify(_describe(mgn_client, server_id), now=mgn_emulator.clock.now())
    assert (verdict.phase, verdict.outcome) == (Phase.ARCHIVED, Outcome.FAILED)


@pytest.mark.usefixtures("template")
def test_start_replication_after_no_replication_install_replicates(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given an agent installed with --no-replication (a stopped server)
    server_id = mgn_emulator.register_source_server(
        hostname="web-1", disks=[("/dev/sda", GIB)], data_replication_state="STOPPED"
    )
    assert mgn_emulator.next_change_at() is None
    # When
    mgn_client.start_replication(sourceServerID=server_id)
    _run_until_quiet(mgn_emulator)
    # Then
    assert _state(_describe(mgn_client, server_id)) == ("CONTINUOUS", "READY_FOR_TEST")


# ---- events and their faults ------------------------------------------------------------------------


@pytest.mark.usefixtures("template")
def test_lifecycle_event_has_the_documented_envelope(
    mgn_emulator: MgnEmulator, delivered: list[dict[str, Any]]
) -> None:
    # Given
    server_id = _register(mgn_emulator, gib=1)
    # When
    _run_until_quiet(mgn_emulator)
    # Then
    [event] = delivered
    assert event == {
        "version": "0",
        "id": event["id"],
        "detail-type": "MGN Source Server Lifecycle State Change",
        "source": "aws.mgn",
        "account": "123456789012",
        "time": event["time"],
        "region": "us-east-1",
        "resources": [f"arn:aws:mgn:us-east-1:123456789012:source-server/{server_id}"],
        "detail": {"state": "READY_FOR_TEST"},
    }
    assert len(event["id"]) == 36


@pytest.mark.usefixtures("template")
def test_event_faults_lose_all_delivers_nothing_but_records_the_emission(
    mgn_emulator: MgnEmulator, delivered: list[dict[str, Any]]
) -> None:
    # Given
    mgn_emulator.event_faults(lose=1.0)
    _register(mgn_emulator, gib=1)
    # When
    _run_until_quiet(mgn_emulator)
    # Then
    assert delivered == []
    assert [e["detail-type"] for e in mgn_emulator.replication.emitted] == [LIFECYCLE_EVENT]


@pytest.mark.usefixtures("template")
def test_event_faults_duplicate_three_delivers_three_times_with_one_id(
    mgn_emulator: MgnEmulator, delivered: list[dict[str, Any]]
) -> None:
    # Given
    mgn_emulator.event_faults(duplicate=3)
    _register(mgn_emulator, gib=1)
    # When
    _run_until_quiet(mgn_emulator)
    # Then
    assert len(delivered) == 3
    assert len({e["id"] for e in delivered}) == 1


@pytest.mark.usefixtures("template")
def test_event_faults_delay_delivers_when_the_clock_passes_time_plus_delay(
    mgn_emulator: MgnEmulator, delivered: list[dict[str, Any]]
) -> None:
    # Given events delayed 10 minutes, and a server stalling at WAIT's end (09:01)
    mgn_emulator.event_faults(delay_seconds=600)
    mgn_emulator.set_network_oracle(_fail_at("WAIT"))
    _register(mgn_emulator)
    # When the stall happens
    _at(mgn_emulator, 60)
    # Then the event waits in the queue, and next_change_at points at its delivery
    assert delivered == []
    assert mgn_emulator.next_change_at() == mgn_emulator.clock.now() + timedelta(seconds=600)
    _at(mgn_emulator, 659)
    assert delivered == []
    _at(mgn_emulator, 660)
    assert [(e["detail"]["state"], e["time"]) for e in delivered] == [("STALLED", "2026-01-05T09:01:00Z")]
    assert mgn_emulator.next_change_at() is None


@pytest.mark.usefixtures("mgn_emulator")
def test_event_faults_lose_half_is_repeatable_for_a_seed() -> None:
    # Given two emulators with the same seed and 20 servers each
    def delivered_ids(seed: int) -> list[str]:
        emulator = MgnEmulator(VirtualClock())
        router.activate({"mgn": emulator})
        boto3.client("mgn", region_name="us-east-1").create_replication_configuration_template(**_template_settings())
        events: list[dict[str, Any]] = []
        emulator.set_event_sink(events.append)
        emulator.event_faults(lose=0.5, seed=seed)
        for index in range(20):
            _register(emulator, gib=1, hostname=f"web-{index}")
        _run_until_quiet(emulator)
        return [event["resources"][0].rsplit("/", 1)[1] for event in events]

    # When
    first, again = delivered_ids(7), delivered_ids(7)
    # Then the same events are lost each time, some but not all
    assert first == again
    assert 0 < len(first) < 20


@pytest.mark.usefixtures("template")
def test_failing_sink_is_recorded_and_does_not_stop_replication(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a target that always fails
    def failing(event: dict[str, Any]) -> None:
        raise RuntimeError("Lambda error")

    mgn_emulator.set_event_sink(failing)
    server_id = _register(mgn_emulator, gib=1)
    # When
    _run_until_quiet(mgn_emulator)
    # Then
    assert _state(_describe(mgn_client, server_id)) == ("CONTINUOUS", "READY_FOR_TEST")
    assert [type(exc) for _, exc in mgn_emulator.replication.delivery_failures] == [RuntimeError]


def test_event_faults_out_of_range_raise_value_error(mgn_emulator: MgnEmulator) -> None:
    for knobs in ({"lose": 1.5}, {"duplicate": 0}, {"delay_seconds": -1}):
        with pytest.raises(ValueError, match=next(iter(knobs))):
            mgn_emulator.event_faults(**knobs)


# ---- next_change_at ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("template")
def test_next_change_at_is_each_scheduled_transition_exactly(mgn_emulator: MgnEmulator) -> None:
    # Given a 100 GiB server registered at 09:00
    start = mgn_emulator.clock.now()
    _register(mgn_emulator)
    # When the clock follows next_change_at to the end
    offsets = []
    while (moment := mgn_emulator.next_change_at()) is not None:
        offsets.append(int((moment - start).total_seconds()))
        mgn_emulator.clock.advance_to(moment)
    # Then it visited the end of every step, of the sync and of the snapshot, and nothing else
    steps = [60, 180, 360, 420, 540, 600, 660, 720, 780, 840]  # CREATE_SECURITY_GROUP skipped
    assert offsets == [*steps, 840 + SYNC_100_GIB_SECONDS, 840 + SYNC_100_GIB_SECONDS + SNAPSHOT_SECONDS]


@pytest.mark.usefixtures("template")
def test_next_change_at_is_none_for_fixture_servers_and_earliest_of_many(mgn_emulator: MgnEmulator) -> None:
    # Given a fixture server (placed READY_FOR_TEST) and two agents registered a minute apart
    mgn_emulator.register_source_server(
        hostname="placed", lifecycle_state="READY_FOR_TEST", data_replication_state="CONTINUOUS"
    )
    assert mgn_emulator.next_change_at() is None
    _register(mgn_emulator, hostname="first")
    first_change = mgn_emulator.next_change_at()
    mgn_emulator.clock.advance(30)
    _register(mgn_emulator, hostname="second")
    # Then the earliest pending transition wins
    assert mgn_emulator.next_change_at() == first_change
    assert first_change == mgn_emulator.clock.now() + timedelta(seconds=30)


@pytest.mark.usefixtures("template")
def test_next_change_at_skips_transitions_an_api_call_cancelled(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given a server in initial sync, then stopped
    server_id = _register(mgn_emulator)
    _at(mgn_emulator, INITIATION_SECONDS + 10)
    # When
    mgn_client.stop_replication(sourceServerID=server_id)
    # Then the end of the cancelled sync is not a change any more
    assert mgn_emulator.next_change_at() is None


# ---- the classifier agrees with the emulator --------------------------------------------------------

EXPECTED_PHASE = {
    "INITIATING": Phase.INITIATING,
    "INITIAL_SYNC": Phase.SYNCING,
    "CREATING_SNAPSHOT": Phase.CREATING_SNAPSHOT,
    "CONTINUOUS": Phase.HEALTHY,
}


@pytest.mark.usefixtures("template")
def test_classifier_agrees_with_the_emulator_at_every_stage(mgn_emulator: MgnEmulator, mgn_client: MgnClient) -> None:
    # Given a 20 GiB server, read through boto3 every 4 virtual minutes (the snapshot takes 5) until it is ready
    server_id = _register(mgn_emulator, gib=20)
    verdicts = []
    for _ in range(200):
        server = _describe(mgn_client, server_id)
        verdict = classify(server, now=mgn_emulator.clock.now())
        verdicts.append(verdict)
        state, lifecycle = _state(server)
        # Then each reading and its verdict say the same thing
        assert verdict.phase is EXPECTED_PHASE[state]
        assert verdict.data_replication_state == state
        if state == "INITIATING":
            assert verdict.initiation_step in INITIATION_STEPS
            assert _step_statuses(server)[verdict.initiation_step] == "IN_PROGRESS"
        if verdict.outcome is Outcome.SUCCEEDED:
            assert (state, lifecycle) == ("CONTINUOUS", "READY_FOR_TEST")
            break
        assert verdict.outcome is Outcome.WAITING
        mgn_emulator.clock.advance(4 * 60)
    # And the journey went through every phase, with progress that never went back
    assert {v.phase for v in verdicts} == set(EXPECTED_PHASE.values())
    progress = [v.progress_percent for v in verdicts if v.progress_percent is not None]
    assert progress == sorted(progress)
    assert verdicts[-1].timings.healthy is not None


@pytest.mark.usefixtures("template")
def test_classifier_fails_a_stalled_emulated_server_naming_step_and_hint(
    mgn_emulator: MgnEmulator, mgn_client: MgnClient
) -> None:
    # Given
    mgn_emulator.set_network_oracle(_fail_at("DOWNLOAD_REPLICATION_SOFTWARE", "no route to S3"))
    server_id = _register(mgn_emulator)
    _run_until_quiet(mgn_emulator)
    # When
    verdict = classify(_describe(mgn_client, server_id), now=mgn_emulator.clock.now())
    # Then
    assert verdict.outcome is Outcome.FAILED
    assert "DOWNLOAD_REPLICATION_SOFTWARE" in verdict.reason
    assert "S3 gateway endpoint" in verdict.hint
    assert verdict.data_replication_error is not None
    assert verdict.data_replication_error.raw_error == "no route to S3"


# ---- scale ------------------------------------------------------------------------------------------


@pytest.mark.usefixtures("template")
def test_thousand_servers_all_reach_ready_fast(mgn_emulator: MgnEmulator) -> None:
    # Given 1,000 servers of 1..10 GiB, registered in batches of 50 a minute apart
    for index in range(1000):
        if index and index % 50 == 0:
            mgn_emulator.clock.advance(60)
        _register(mgn_emulator, gib=1 + index % 10, hostname=f"host-{index}")
    started = time.perf_counter()
    ticks = 0
    # When the clock follows next_change_at to the end
    while (moment := mgn_emulator.next_change_at()) is not None:
        mgn_emulator.clock.advance_to(moment)
        ticks += 1
    elapsed = time.perf_counter() - started
    # Then every server is ready, in few ticks (shared transition times) and little real time
    states = {_state(mgn_emulator.source_server(server_id)) for server_id in mgn_emulator.source_server_ids()}
    assert states == {("CONTINUOUS", "READY_FOR_TEST")}
    assert ticks < 1000
    assert elapsed < 10


# ---- the default network oracle over a scenario in moto ---------------------------------------------


def _template_settings(**overrides: Any) -> dict[str, Any]:
    return {
        "stagingAreaSubnetId": "subnet-0123456789abcdef0",
        "associateDefaultSecurityGroup": False,
        "replicationServersSecurityGroupsIDs": ["sg-0123456789abcdef0"],
        "replicationServerInstanceType": "t3.small",
        "useDedicatedReplicationServer": False,
        "defaultLargeStagingDiskType": "GP3",
        "ebsEncryption": "DEFAULT",
        "bandwidthThrottling": 0,
        "dataPlaneRouting": "PRIVATE_IP",
        "createPublicIP": False,
        "stagingAreaTags": {},
        **overrides,
    }


@pytest.fixture
def moto_ec2() -> Iterator[Any]:
    with mock_aws():
        yield boto3.client("ec2", region_name="us-east-1")


def _private_configuration(built: Any) -> dict[str, Any]:
    return {
        **PRIVATE_PATH_FIXED,
        "stagingAreaSubnetId": built.target.staging_subnet_id,
        "replicationServersSecurityGroupsIDs": list(built.target.replication_sg_ids),
    }


def _server_at(hostname: str) -> dict[str, Any]:
    return {"sourceProperties": {"identificationHints": {"hostname": hostname}}}


def test_network_oracle_clean_network_private_settings_lets_replication_through(moto_ec2: Any) -> None:
    # Given the field report's network and the private-path settings
    built = build_scenario(load_scenario("seed-clean"), moto_ec2)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    # When / Then
    for server in built.fleet:
        assert oracle(_server_at(server.hostname), _private_configuration(built)) is None


def test_network_oracle_public_ip_routing_fails_connect(moto_ec2: Any) -> None:
    # Given the console's defaults (PUBLIC_IP data plane, public IP, MGN default SG) on a private network
    built = build_scenario(load_scenario("seed-clean"), moto_ec2)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    configuration = {
        **_private_configuration(built),
        "dataPlaneRouting": "PUBLIC_IP",
        "createPublicIP": True,
        "associateDefaultSecurityGroup": True,
    }
    # When
    failure = oracle(_server_at("web-1.corp.example"), configuration)
    # Then
    assert failure is not None
    assert failure.step == "CONNECT_AGENT_TO_REPLICATION_SERVER"
    assert "dataPlaneRouting is PUBLIC_IP" in failure.detail


def test_network_oracle_misconfigured_network_fails_authenticate_first_and_lists_all(moto_ec2: Any) -> None:
    # Given the seed's broken variant: ec2 private DNS off, S3 gateway not on the staging route
    # table, 1500 admitted from 10.10.1.0/24 only; batch-1 lives at 10.10.2.10
    built = build_scenario(load_scenario("seed-misconfigured"), moto_ec2)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    configuration = _private_configuration(built)
    # When
    first = oracle(_server_at("batch-1.corp.example"), configuration)
    every = replication_path_failures(oracle.snapshot(), configuration, [IPv4Network("10.10.2.10/32")])
    # Then initiation stops at the first, and each later step has its own reason
    assert first is not None
    assert first.step == "AUTHENTICATE_WITH_SERVICE"
    assert "private DNS disabled" in first.detail
    assert [f.step for f in every] == [
        "AUTHENTICATE_WITH_SERVICE",
        "DOWNLOAD_REPLICATION_SOFTWARE",
        "CONNECT_AGENT_TO_REPLICATION_SERVER",
    ]
    assert "no route to S3" in every[1].detail
    assert "admit no TCP 1500 from source range 10.10.2.10/32" in every[2].detail


def test_network_oracle_judges_each_server_by_its_own_address(moto_ec2: Any) -> None:
    # Given the clean network whose replication SG admits 1500 from one /24 only
    data = load_scenario("seed-clean").model_dump(mode="json")
    assert data["staging"]["security_groups"][0]["name"] == "replication"
    data["staging"]["security_groups"][0]["ingress"] = [{"protocol": "tcp", "ports": 1500, "from": ["10.10.1.0/25"]}]
    built = build_scenario(parse_scenario(data), moto_ec2)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    configuration = _private_configuration(built)
    # When web-1 (10.10.1.10) and a server reporting 10.10.1.200 on its interface are judged
    inside = oracle(_server_at("web-1.corp.example"), configuration)
    outside = oracle(
        {"sourceProperties": {"networkInterfaces": [{"ips": ["10.10.1.200"], "isPrimary": True}]}}, configuration
    )
    # Then only the one outside 10.10.1.0/25 fails, at CONNECT
    assert inside is None
    assert outside is not None
    assert outside.step == "CONNECT_AGENT_TO_REPLICATION_SERVER"


def test_network_oracle_endpoint_subnet_without_the_way_back_fails_pairing(moto_ec2: Any) -> None:
    # Given the endpoints' subnet on a route table of its own without a route to the sources
    built = build_scenario(load_scenario("seed-clean"), moto_ec2)
    endpoints_subnet = built.subnet_ids["endpoints"]
    tables = moto_ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [endpoints_subnet]}])
    association = next(a for a in tables["RouteTables"][0]["Associations"] if a.get("SubnetId") == endpoints_subnet)
    lonely = moto_ec2.create_route_table(VpcId=built.staging_vpc_id)["RouteTable"]["RouteTableId"]
    moto_ec2.replace_route_table_association(AssociationId=association["RouteTableAssociationId"], RouteTableId=lonely)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    # When
    failure = oracle(_server_at("web-1.corp.example"), _private_configuration(built))
    # Then the agent's 443 to the mgn endpoint is not answered: pairing fails, naming the table
    assert failure is not None
    assert failure.step == "PAIR_REPLICATION_SERVER_WITH_AGENT"
    assert f"Route table {lonely}" in failure.detail
    assert "has no route for source range 10.10.1.10/32" in failure.detail


def test_network_oracle_more_specific_route_to_the_internet_cuts_off_that_server_only(moto_ec2: Any) -> None:
    # Given a /32 of web-1 routed to an internet gateway on the staging subnet's table
    built = build_scenario(load_scenario("seed-clean"), moto_ec2)
    igw = moto_ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    moto_ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=built.staging_vpc_id)
    staging_table = built.route_table_ids["staging"]
    moto_ec2.create_route(RouteTableId=staging_table, DestinationCidrBlock="10.10.1.10/32", GatewayId=igw)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    configuration = _private_configuration(built)
    # When
    web = oracle(_server_at("web-1.corp.example"), configuration)
    app = oracle(_server_at("app-1.corp.example"), configuration)
    every = replication_path_failures(oracle.snapshot(), configuration, [IPv4Network("10.10.1.10/32")])
    # Then web-1's replies from the shared table go to the internet (the mgn interface there first,
    # the replication server too); app-1 in the same /24 is answered
    assert app is None
    assert web is not None
    assert [f.step for f in every] == ["PAIR_REPLICATION_SERVER_WITH_AGENT", "CONNECT_AGENT_TO_REPLICATION_SERVER"]
    assert all(f"10.10.1.10/32 → {igw} (internet-gateway)" in f.detail for f in every)


def test_network_oracle_missing_staging_subnet_fails_launch(moto_ec2: Any) -> None:
    built = build_scenario(load_scenario("seed-clean"), moto_ec2)
    oracle = build_network_oracle(moto_ec2, built, VirtualClock())
    configuration = {**_private_configuration(built), "stagingAreaSubnetId": "subnet-0123456789abcdef0"}
    failure = oracle(_server_at("web-1.corp.example"), configuration)
    assert failure is not None
    assert failure.step == "LAUNCH_REPLICATION_SERVER"
    assert "subnet-0123456789abcdef0 is not a subnet of the staging VPC" in failure.detail


def test_harness_scenario_seeded_servers_with_console_defaults_stall_at_connect() -> None:
    # Given the harness builds the clean scenario: web-1 registered with the console's
    # template (PUBLIC_IP), and hooks the network oracle up
    with EmulatedAws() as aws:
        aws.build_scenario("seed-clean")
        aws.mgn.replication.timing.retry_initiation_after_seconds = None  # the first attempt only
        client = aws.client("mgn")
        # When their first attempt runs
        while (moment := aws.mgn.next_change_at()) is not None:
            aws.clock.advance_to(moment)
        servers = client.describe_source_servers()["items"]
        # Then the private network stops them at CONNECT, as a real private network would
        assert len(servers) == 1
        for server in servers:
            error = server["dataReplicationInfo"]["dataReplicationError"]
            assert error["error"] == "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER"
            assert "dataPlaneRouting is PUBLIC_IP" in error["rawError"]
