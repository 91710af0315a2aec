"""The per-server result has one shape, `ServerResult` (docs/contracts.md §3): the Python steps
build it through the model, and the state machine's three states that build it in ASL
(ConfigureFailed, ReplicationUnknown, ServerResult) write exactly the model's fields."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mgn_wave.core.server_result import ServerResult, ServerStatus, Stage
from mgn_wave_emu.stack import REPO_ROOT

ASL = json.loads((REPO_ROOT / "statemachine/migrate_wave.asl.json").read_text(encoding="utf-8"))
PER_SERVER = ASL["States"]["ForEachServer"]["ItemProcessor"]["States"]
# Every state that writes the server's result (ResultPath $.result) with its own Parameters
RESULT_STATES = {
    name: state
    for name, state in PER_SERVER.items()
    if state.get("Type") == "Pass" and state.get("ResultPath") == "$.result" and "Parameters" in state
}
MODEL_FIELDS = {field.alias or name for name, field in ServerResult.model_fields.items()}
REQUIRED = {field.alias or name for name, field in ServerResult.model_fields.items() if field.is_required()}


def test_server_result_states_are_the_three_the_contract_names() -> None:
    assert set(RESULT_STATES) == {"ConfigureFailed", "ReplicationUnknown", "ServerResult"}


@pytest.mark.parametrize("name", sorted(RESULT_STATES))
def test_server_result_state_writes_the_models_fields_only(name: str) -> None:
    # Given the keys the state writes ("reason.$" is the field "reason")
    written = {key.removesuffix(".$") for key in RESULT_STATES[name]["Parameters"]}
    # Then they are the model's fields, the required ones included
    assert written <= MODEL_FIELDS, f"{name} writes fields ServerResult does not have: {written - MODEL_FIELDS}"
    assert written >= REQUIRED, f"{name} leaves out required fields: {REQUIRED - written}"


@pytest.mark.parametrize("name", sorted(RESULT_STATES))
def test_server_result_state_literals_are_the_models_values(name: str) -> None:
    parameters: dict[str, Any] = RESULT_STATES[name]["Parameters"]
    # Given a result as the state writes it, its paths filled with values the model accepts
    filled = {
        key.removesuffix(".$"): value
        if not key.endswith(".$")
        else {"status": "SUCCEEDED", "phase": "HEALTHY", "timings": {}}.get(key.removesuffix(".$"), "x")
        for key, value in parameters.items()
    }
    # Then the model reads it, and each literal status and stage is one of the model's values
    result = ServerResult.model_validate(filled)
    if "status" in parameters:
        assert ServerStatus(parameters["status"]) is result.status
    if "stage" in parameters:
        assert Stage(parameters["stage"]) is result.stage


def test_server_result_named_constructors_set_status_and_stage() -> None:
    failed = ServerResult.failed("i-0123abcd", Stage.PROBE, "why", "what to do", findings=({"code": "C"},))
    skipped = ServerResult.skipped("i-0123abcd", Stage.INSTALL, "why", source_server_id="s-12345678901234567")
    assert (failed.status, failed.stage, failed.hint, failed.findings) == (
        ServerStatus.FAILED,
        Stage.PROBE,
        "what to do",
        ({"code": "C"},),
    )
    assert (skipped.status, skipped.stage, skipped.source_server_id) == (
        ServerStatus.SKIPPED,
        Stage.INSTALL,
        "s-12345678901234567",
    )
    assert failed.model_dump(by_alias=True).keys() == MODEL_FIELDS
