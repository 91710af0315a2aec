"""The replication verdict over every state, lifecycle, error and initiation step MGN can report
(docs/mgn-facts.md §1.9), and over random SourceServer dicts: it never raises and always says something."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mgn_wave.core.mgn import DataReplicationState, LifeCycleState
from mgn_wave.replication_wait.classifier import (
    LIFECYCLE_EVENT,
    LIFECYCLE_ROLE,
    PHASE_OF_STATE,
    STALLED_EVENT,
    STEP_ERRORS,
    classify,
    event_may_change_verdict,
    is_decisive,
)
from mgn_wave.replication_wait.hints import ERROR_HINTS, PHASE_HINTS
from mgn_wave.replication_wait.models import (
    DataReplicationErrorCode,
    InitiationStep,
    InitiationStepStatus,
    Outcome,
    Phase,
    ReplicationVerdict,
)

NOW = datetime(2026, 1, 5, 12, 0, tzinfo=UTC)
SERVER_ID = "s-1234567890abcdefg"
GIB = 1024**3
STEPS_IN_ORDER = [step.value for step in InitiationStep if step is not InitiationStep.SETUP_FSX_PROXY]


def _enum(shape_name: str) -> set[str]:
    model = boto3.client("mgn", region_name="us-east-1").meta.service_model
    return set(model.shape_for(shape_name).enum)  # type: ignore[attr-defined]


def _server(
    state: str | None = "INITIAL_SYNC",
    lifecycle: str = "NOT_READY",
    *,
    error: str | None = None,
    steps: list[dict[str, str]] | None = None,
    **info: Any,
) -> dict[str, Any]:
    replication: dict[str, Any] = {**info}
    if state is not None:
        replication["dataReplicationState"] = state
    if error is not None:
        replication["dataReplicationError"] = {"error": error, "rawError": f"raw text of {error}"}
    if steps is not None:
        replication["dataReplicationInitiation"] = {"startDateTime": "2026-01-05T09:01:00Z", "steps": steps}
    return {
        "sourceServerID": SERVER_ID,
        "arn": f"arn:aws:mgn:us-east-1:123456789012:source-server/{SERVER_ID}",
        "isArchived": False,
        "sourceProperties": {"identificationHints": {"hostname": "web-1.corp.example"}},
        "lifeCycle": {"state": lifecycle, "addedToServiceDateTime": "2026-01-05T09:00:00Z"},
        "dataReplicationInfo": replication,
    }


def _steps(current: str, status: str) -> list[dict[str, str]]:
    """Every step before `current` SUCCEEDED, `current` in `status`, the rest NOT_STARTED."""
    index = STEPS_IN_ORDER.index(current)
    return [
        {"name": name, "status": "SUCCEEDED" if i < index else status if i == index else "NOT_STARTED"}
        for i, name in enumerate(STEPS_IN_ORDER)
    ]


# ---- the tables cover the botocore model exactly --------------------------------------------------


def test_error_hints_cover_every_modelled_error_exactly() -> None:
    # Given the model's DataReplicationErrorString values
    modelled = _enum("DataReplicationErrorString")
    # Then a new AWS error value fails here before it reaches an operator without advice
    assert {code.value for code in ERROR_HINTS} == modelled
    assert {code.value for code in DataReplicationErrorCode} == modelled
    assert all(hint.strip() for hint in ERROR_HINTS.values())


def test_step_errors_cover_every_modelled_step_exactly() -> None:
    # Given the model's initiation step names and error values
    steps, errors = _enum("DataReplicationInitiationStepName"), _enum("DataReplicationErrorString")
    # Then every step maps to an error MGN can report
    assert {step.value for step in STEP_ERRORS} == steps
    assert {step.value for step in InitiationStep} == steps
    assert {error.value for error in STEP_ERRORS.values()} <= errors


def test_step_errors_pair_each_step_with_its_failed_to_twin() -> None:
    # docs/mgn-facts.md §1.9: step X ↔ error FAILED_TO_X; WAIT has no twin and means the agent was not seen
    for step, error in STEP_ERRORS.items():
        expected = "AGENT_NOT_SEEN" if step is InitiationStep.WAIT else f"FAILED_TO_{step.value}"
        assert error.value == expected


def test_state_and_lifecycle_tables_cover_the_model_exactly() -> None:
    assert {state.value for state in PHASE_OF_STATE} == _enum("DataReplicationState")
    assert {state.value for state in DataReplicationState} == _enum("DataReplicationState")
    assert {state.value for state in LIFECYCLE_ROLE} == _enum("LifeCycleState")
    assert {status.value for status in InitiationStepStatus} == _enum("DataReplicationInitiationStepStatus")


def test_phase_hints_cover_every_phase() -> None:
    assert set(PHASE_HINTS) == set(Phase)


# ---- every data replication state and lifecycle ---------------------------------------------------

EXPECTED_BY_STATE = {
    # dataReplicationState with lifecycle NOT_READY → (phase, outcome)
    "STOPPED": (Phase.STOPPED, Outcome.FAILED),
    "INITIATING": (Phase.INITIATING, Outcome.WAITING),
    "INITIAL_SYNC": (Phase.SYNCING, Outcome.WAITING),
    "BACKLOG": (Phase.BACKLOG, Outcome.WAITING),
    "CREATING_SNAPSHOT": (Phase.CREATING_SNAPSHOT, Outcome.WAITING),
    "CONTINUOUS": (Phase.HEALTHY, Outcome.WAITING),  # not launchable until READY_FOR_TEST
    "PAUSED": (Phase.PAUSED, Outcome.WAITING),
    "RESCAN": (Phase.RESCAN, Outcome.WAITING),
    "STALLED": (Phase.STALLED, Outcome.WAITING),  # no error named yet
    "DISCONNECTED": (Phase.DISCONNECTED, Outcome.FAILED),
    "PENDING_SNAPSHOT_SHIPPING": (Phase.SNAPSHOT_SHIPPING, Outcome.WAITING),
    "SHIPPING_SNAPSHOT": (Phase.SNAPSHOT_SHIPPING, Outcome.WAITING),
}


def test_expected_table_lists_every_modelled_state() -> None:
    assert set(EXPECTED_BY_STATE) == _enum("DataReplicationState")


@pytest.mark.parametrize(("state", "expected"), sorted(EXPECTED_BY_STATE.items()))
def test_classify_state_while_not_ready_gives_its_phase_and_outcome(
    state: str, expected: tuple[Phase, Outcome]
) -> None:
    # Given a server in `state`, lifecycle NOT_READY
    server = _server(state)
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == expected
    assert SERVER_ID in verdict.reason
    assert verdict.hint


EXPECTED_CONTINUOUS_BY_LIFECYCLE = {
    "STOPPED": Outcome.FAILED,
    "NOT_READY": Outcome.WAITING,
    "READY_FOR_TEST": Outcome.SUCCEEDED,
    "TESTING": Outcome.SUCCEEDED,
    "READY_FOR_CUTOVER": Outcome.SUCCEEDED,
    "CUTTING_OVER": Outcome.SUCCEEDED,
    "CUTOVER": Outcome.SUCCEEDED,
    "DISCONNECTED": Outcome.FAILED,
    "DISCOVERED": Outcome.WAITING,
    "PENDING_INSTALLATION": Outcome.WAITING,
}


@pytest.mark.parametrize(("lifecycle", "expected"), sorted(EXPECTED_CONTINUOUS_BY_LIFECYCLE.items()))
def test_classify_continuous_with_lifecycle_decides_by_lifecycle(lifecycle: str, expected: Outcome) -> None:
    # Given continuous replication in each lifecycle state
    assert set(EXPECTED_CONTINUOUS_BY_LIFECYCLE) == _enum("LifeCycleState")
    server = _server("CONTINUOUS", lifecycle, lagDuration="PT0S")
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert verdict.outcome is expected


READY_OR_LATER = {"READY_FOR_TEST", "TESTING", "READY_FOR_CUTOVER", "CUTTING_OVER", "CUTOVER"}


def _rule(state: str, lifecycle: str) -> Outcome:
    """The rules of the issue, written out once more as the specification."""
    if lifecycle == "CUTOVER" or (state == "CONTINUOUS" and lifecycle in READY_OR_LATER):
        return Outcome.SUCCEEDED
    if {"DISCONNECTED", "STOPPED"} & {state, lifecycle}:
        return Outcome.FAILED
    return Outcome.WAITING  # including STALLED before MGN names an error


@pytest.mark.parametrize("lifecycle", sorted(_enum("LifeCycleState")))
@pytest.mark.parametrize("state", sorted(_enum("DataReplicationState")))
def test_classify_every_state_and_lifecycle_pair_follows_the_rules(state: str, lifecycle: str) -> None:
    # When
    verdict = classify(_server(state, lifecycle), now=NOW)
    # Then
    assert verdict.outcome is _rule(state, lifecycle)
    assert verdict.reason.startswith(f"Source server {SERVER_ID} (web-1.corp.example)")


def test_classify_continuous_ready_for_test_succeeds_with_healthy_timing() -> None:
    # Given the server the wave waits for: healthy and launchable
    server = _server(
        "CONTINUOUS",
        "READY_FOR_TEST",
        lagDuration="PT0S",
        lastSnapshotDateTime="2026-01-05T11:42:40Z",
        replicatedDisks=[{"deviceName": "/dev/sda", "totalStorageBytes": GIB, "replicatedStorageBytes": GIB}],
    )
    server["lifeCycle"]["firstByteDateTime"] = "2026-01-05T09:15:00Z"
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.HEALTHY, Outcome.SUCCEEDED)
    assert is_decisive(verdict)
    assert verdict.progress_percent == 100.0
    assert verdict.timings.registered == datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    assert verdict.timings.first_byte == datetime(2026, 1, 5, 9, 15, tzinfo=UTC)
    assert verdict.timings.healthy == datetime(2026, 1, 5, 11, 42, 40, tzinfo=UTC)
    assert "READY_FOR_TEST" in verdict.reason


def test_classify_finalized_cutover_after_disconnect_succeeds() -> None:
    # Given a server whose cutover was finalized (FinalizeCutover disconnects replication)
    server = _server("DISCONNECTED", "CUTOVER")
    # When
    verdict = classify(server, now=NOW)
    # Then the migration is done, not failed
    assert verdict.outcome is Outcome.SUCCEEDED


def test_classify_archived_server_fails_saying_archived() -> None:
    # Given
    server = {**_server("CONTINUOUS", "READY_FOR_TEST"), "isArchived": True}
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.ARCHIVED, Outcome.FAILED)
    assert "archived" in verdict.reason


@pytest.mark.parametrize(("state", "lifecycle"), [("STOPPED", "NOT_READY"), ("INITIAL_SYNC", "STOPPED")])
def test_classify_stopped_replication_fails_saying_stopped(state: str, lifecycle: str) -> None:
    # When
    verdict = classify(_server(state, lifecycle), now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.STOPPED, Outcome.FAILED)
    assert "stopped" in verdict.reason
    assert "StartReplication" in verdict.hint


@pytest.mark.parametrize("lifecycle", ["DISCOVERED", "PENDING_INSTALLATION"])
def test_classify_server_without_agent_waits_as_not_registered(lifecycle: str) -> None:
    # When
    verdict = classify(_server(None, lifecycle), now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.NOT_REGISTERED, Outcome.WAITING)


def test_classify_registered_server_without_state_waits_as_registering() -> None:
    # When
    verdict = classify(_server(None), now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.REGISTERING, Outcome.WAITING)


def test_classify_unknown_state_waits_as_unknown_naming_it() -> None:
    # Given a state a newer MGN might report
    verdict = classify(_server("TELEPORTING"), now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.UNKNOWN, Outcome.WAITING)
    assert "TELEPORTING" in verdict.reason


# ---- errors and initiation steps ------------------------------------------------------------------


@pytest.mark.parametrize("error", sorted(_enum("DataReplicationErrorString")))
def test_classify_stalled_with_each_error_fails_with_its_hint(error: str) -> None:
    # Given a stalled server that names its error
    server = _server("STALLED", error=error)
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.STALLED, Outcome.FAILED)
    assert error in verdict.reason
    assert SERVER_ID in verdict.reason
    assert "web-1.corp.example" in verdict.reason
    assert verdict.hint == ERROR_HINTS[DataReplicationErrorCode(error)]
    assert verdict.data_replication_error is not None
    assert verdict.data_replication_error.raw_error == f"raw text of {error}"


@pytest.mark.parametrize("step", STEPS_IN_ORDER)
def test_classify_failed_step_fails_naming_the_step_and_its_error(step: str) -> None:
    # Given initiation failed at `step` and MGN has not filled dataReplicationError yet
    server = _server("STALLED", steps=_steps(step, "FAILED"))
    # When
    verdict = classify(server, now=NOW)
    # Then
    implied = STEP_ERRORS[InitiationStep(step)]
    assert verdict.outcome is Outcome.FAILED
    assert verdict.failed_step == step
    assert step in verdict.reason
    assert implied.value in verdict.reason
    assert verdict.hint == ERROR_HINTS[implied]


@pytest.mark.parametrize("step", STEPS_IN_ORDER)
def test_classify_step_in_progress_waits_naming_the_step(step: str) -> None:
    # Given initiation at `step`
    server = _server("INITIATING", steps=_steps(step, "IN_PROGRESS"))
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert (verdict.phase, verdict.outcome) == (Phase.INITIATING, Outcome.WAITING)
    assert verdict.initiation_step == step
    position = STEPS_IN_ORDER.index(step) + 1
    assert f"{step} ({position} of {len(STEPS_IN_ORDER)})" in verdict.reason
    assert verdict.timings.initiation_started == datetime(2026, 1, 5, 9, 1, tzinfo=UTC)


def test_classify_failed_step_prefers_the_reported_error() -> None:
    # Given a failed step and the error MGN reported for it
    server = _server(
        "STALLED",
        error="FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER",
        steps=_steps("CONNECT_AGENT_TO_REPLICATION_SERVER", "FAILED"),
    )
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert verdict.reason == (
        f"Source server {SERVER_ID} (web-1.corp.example) stalled at initiation step "
        "CONNECT_AGENT_TO_REPLICATION_SERVER with FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER."
    )


@pytest.mark.parametrize(
    ("error", "must_mention"),
    [
        (
            "FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER",
            ["1500", "replication security group", "NACL", "return route", "firewall", "PRIVATE_IP"],
        ),
        ("FAILED_TO_AUTHENTICATE_WITH_SERVICE", ["mgn interface endpoint", "443", "private DNS", "ec2"]),
        ("FAILED_TO_DOWNLOAD_REPLICATION_SOFTWARE", ["S3 gateway endpoint", "route table", "al2023-repos", "443"]),
        ("AGENT_NOT_SEEN", ["443", "mgn endpoint", "resolving", "Resolver"]),
        ("UNSTABLE_NETWORK", ["1500", "MTU", "NACL"]),
    ],
)
def test_error_hint_names_the_private_path_to_check(error: str, must_mention: list[str]) -> None:
    hint = ERROR_HINTS[DataReplicationErrorCode(error)]
    for words in must_mention:
        assert words in hint


# ---- progress, deadline ---------------------------------------------------------------------------


def test_classify_initial_sync_reports_progress_over_all_disks_and_eta() -> None:
    # Given two disks, 40 of 100 GiB and 10 of 100 GiB replicated
    server = _server(
        "INITIAL_SYNC",
        etaDateTime="2026-01-05T14:30:00Z",
        replicatedDisks=[
            {"deviceName": "/dev/sda", "totalStorageBytes": 100 * GIB, "replicatedStorageBytes": 40 * GIB},
            {"deviceName": "/dev/sdb", "totalStorageBytes": 100 * GIB, "replicatedStorageBytes": 10 * GIB},
        ],
    )
    # When
    verdict = classify(server, now=NOW)
    # Then
    assert verdict.progress_percent == 25.0
    assert verdict.eta_date_time == datetime(2026, 1, 5, 14, 30, tzinfo=UTC)
    assert "25.0% done, ETA 2026-01-05T14:30:00Z" in verdict.reason


def test_classify_rescan_reports_rescanned_bytes() -> None:
    server = _server(
        "RESCAN",
        replicatedDisks=[
            {
                "deviceName": "/dev/sda",
                "totalStorageBytes": 100,
                "replicatedStorageBytes": 100,
                "rescannedStorageBytes": 30,
            }
        ],
    )
    assert classify(server, now=NOW).progress_percent == 30.0


@pytest.mark.parametrize(
    ("server", "left_in"),
    [
        (_server("INITIAL_SYNC"), "still SYNCING"),
        (
            _server("INITIATING", steps=_steps("BOOT_REPLICATION_SERVER", "IN_PROGRESS")),
            "still initiating at step BOOT_REPLICATION_SERVER",
        ),
        (_server("STALLED"), "still STALLED"),
    ],
)
def test_classify_waiting_at_deadline_fails_naming_the_phase(server: dict[str, Any], left_in: str) -> None:
    # Given the deadline is now
    # When
    verdict = classify(server, now=NOW, deadline=NOW)
    # Then
    assert verdict.outcome is Outcome.FAILED
    assert left_in in verdict.reason
    assert "deadline 2026-01-05T12:00:00Z passed" in verdict.reason
    assert verdict.hint


def test_classify_before_deadline_keeps_waiting() -> None:
    verdict = classify(_server("INITIAL_SYNC"), now=NOW, deadline=NOW + timedelta(seconds=1))
    assert verdict.outcome is Outcome.WAITING
    assert not is_decisive(verdict)


def test_classify_success_after_deadline_stays_success() -> None:
    server = _server("CONTINUOUS", "READY_FOR_TEST")
    verdict = classify(server, now=NOW, deadline=NOW - timedelta(hours=1))
    assert verdict.outcome is Outcome.SUCCEEDED


def test_classify_naive_now_and_deadline_are_taken_as_utc() -> None:
    verdict = classify(_server("INITIAL_SYNC"), now=NOW.replace(tzinfo=None), deadline=NOW.replace(tzinfo=None))
    assert verdict.outcome is Outcome.FAILED
    assert verdict.classified_at == NOW


def test_verdict_dumps_camel_case_json() -> None:
    # When
    dumped = classify(_server("INITIAL_SYNC"), now=NOW).model_dump(mode="json", by_alias=True)
    # Then
    assert {"sourceServerId", "phase", "outcome", "reason", "hint", "timings", "classifiedAt"} <= set(dumped)
    assert dumped["classifiedAt"] == "2026-01-05T12:00:00Z"
    assert ReplicationVerdict.model_validate(dumped) == classify(_server("INITIAL_SYNC"), now=NOW)


# ---- events ---------------------------------------------------------------------------------------


def _event(detail_type: str, detail: dict[str, Any], source: str = "aws.mgn") -> dict[str, Any]:
    return {
        "version": "0",
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "detail-type": detail_type,
        "source": source,
        "account": "123456789012",
        "time": "2026-01-05T12:00:00Z",
        "region": "us-east-1",
        "resources": [f"arn:aws:mgn:us-east-1:123456789012:source-server/{SERVER_ID}"],
        "detail": detail,
    }


@pytest.mark.parametrize(
    ("event", "expected"),
    [
        (_event(LIFECYCLE_EVENT, {"state": "READY_FOR_TEST"}), True),
        (_event(STALLED_EVENT, {"state": "STALLED"}), True),
        (_event(STALLED_EVENT, {"state": "NOT_STALLED"}), True),
        (_event("MGN Data Replication State Change", {}), True),  # undocumented: may mean anything
        (_event("MGN Source Server Launch Result", {"state": "TEST_LAUNCH_SUCCEEDED"}), False),
        (_event(LIFECYCLE_EVENT, {"state": "READY_FOR_TEST"}, source="aws.drs"), False),
        (_event("AWS API Call via CloudTrail", {"eventName": "StopReplication"}), True),
        (_event("AWS API Call via CloudTrail", {"eventName": "DescribeSourceServers"}), False),
        ({"source": "aws.mgn"}, False),
    ],
)
def test_event_may_change_verdict_says_which_events_deserve_a_describe(event: dict[str, Any], expected: bool) -> None:
    assert event_may_change_verdict(event) is expected


# ---- random SourceServer dicts --------------------------------------------------------------------

_JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True),
    st.text(max_size=12),
    st.lists(st.integers(), max_size=2),
)


def _maybe(strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(strategy, _JUNK)


_TIMESTAMPS = st.one_of(
    st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat().replace("+00:00", "Z")),
    st.sampled_from(["2026-01-05T09:00:00Z", "not a date", "9999-12-31T23:59:59-05:00", ""]),
)
_DISKS = st.lists(
    st.fixed_dictionaries(
        {},
        optional={
            "deviceName": _maybe(st.text(max_size=8)),
            "totalStorageBytes": _maybe(st.integers(min_value=0, max_value=2**50)),
            "replicatedStorageBytes": _maybe(st.integers(min_value=0, max_value=2**51)),
            "rescannedStorageBytes": _maybe(st.integers(min_value=0, max_value=2**51)),
        },
    ),
    max_size=4,
)
_STEPS = st.lists(
    _maybe(
        st.fixed_dictionaries(
            {
                "name": _maybe(st.sampled_from([s.value for s in InitiationStep])),
                "status": _maybe(st.sampled_from([s.value for s in InitiationStepStatus])),
            }
        )
    ),
    max_size=13,
)
_SERVERS = st.fixed_dictionaries(
    {},
    optional={
        "sourceServerID": _maybe(st.just(SERVER_ID)),
        "isArchived": _maybe(st.booleans()),
        "sourceProperties": _maybe(
            st.fixed_dictionaries({"identificationHints": _maybe(st.fixed_dictionaries({"hostname": _JUNK}))})
        ),
        "lifeCycle": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "state": _maybe(st.sampled_from([s.value for s in LifeCycleState])),
                    "addedToServiceDateTime": _maybe(_TIMESTAMPS),
                    "firstByteDateTime": _maybe(_TIMESTAMPS),
                    "lastSeenByServiceDateTime": _maybe(_TIMESTAMPS),
                    "elapsedReplicationDuration": _JUNK,
                },
            )
        ),
        "dataReplicationInfo": _maybe(
            st.fixed_dictionaries(
                {},
                optional={
                    "dataReplicationState": _maybe(st.sampled_from([s.value for s in DataReplicationState])),
                    "dataReplicationError": _maybe(
                        st.fixed_dictionaries(
                            {"error": _maybe(st.sampled_from([e.value for e in DataReplicationErrorCode]))},
                            optional={"rawError": _JUNK},
                        )
                    ),
                    "dataReplicationInitiation": _maybe(
                        st.fixed_dictionaries({"startDateTime": _maybe(_TIMESTAMPS), "steps": _maybe(_STEPS)})
                    ),
                    "replicatedDisks": _maybe(_DISKS),
                    "etaDateTime": _maybe(_TIMESTAMPS),
                    "lastSnapshotDateTime": _maybe(_TIMESTAMPS),
                    "lagDuration": _JUNK,
                },
            )
        ),
    },
)


@settings(max_examples=400, deadline=None)
@given(server=_SERVERS, deadline=st.one_of(st.none(), st.datetimes(timezones=st.just(UTC))))
def test_classify_random_server_never_raises_and_gives_a_valid_verdict(
    server: dict[str, Any], deadline: datetime | None
) -> None:
    # When
    verdict = classify(server, now=NOW, deadline=deadline)
    # Then the verdict is complete, consistent and survives the state machine's JSON
    assert verdict.reason
    if verdict.outcome is Outcome.SUCCEEDED:
        # success only ever comes from healthy, launchable replication or a finalized cutover
        assert verdict.life_cycle_state == "CUTOVER" or (
            verdict.data_replication_state == "CONTINUOUS" and verdict.life_cycle_state in READY_OR_LATER
        )
        assert server.get("isArchived") is not True
    assert is_decisive(verdict) is (verdict.outcome is not Outcome.WAITING)
    if deadline is not None and deadline <= NOW:
        assert verdict.outcome is not Outcome.WAITING
    dumped = json.loads(json.dumps(verdict.model_dump(mode="json", by_alias=True)))
    assert ReplicationVerdict.model_validate(dumped).outcome is verdict.outcome
    if verdict.progress_percent is not None:
        assert 0 <= verdict.progress_percent <= 100


@settings(max_examples=100, deadline=None)
@given(value=_JUNK)
def test_classify_non_mapping_never_raises(value: Any) -> None:
    assert classify(value, now=NOW).phase is Phase.NOT_REGISTERED
