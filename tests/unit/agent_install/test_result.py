"""Reading the node's answer: the last `MGN_WAVE_RESULT {json}` line of its output."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from mgn_wave.agent_install.node_result import (
    RESULT_MARKER,
    SOURCE_443_BLOCKED,
    STANDARD_OUTPUT_LIMIT,
    NodeStatus,
    parse_result,
)

INSTALLED = {"v": 1, "status": "INSTALLED", "sourceServerId": "s-0123456789abcdefg", "findings": [], "reason": "ok"}


def _line(payload: dict[str, object]) -> str:
    return f"{RESULT_MARKER} {json.dumps(payload)}"


def test_parse_result_installed_line_gives_the_source_server_id() -> None:
    # Given
    stdout = "probe: ok\n| The following is the source server ID: s-0123456789abcdefg.\n" + _line(INSTALLED) + "\n"
    # When
    result = parse_result(stdout)
    # Then
    assert result.status is NodeStatus.INSTALLED
    assert result.source_server_id == "s-0123456789abcdefg"
    assert result.succeeded


def test_parse_result_probe_failure_carries_codes_and_details() -> None:
    # Given
    payload = {
        "status": "PROBE_FAILED",
        "findings": [{"code": SOURCE_443_BLOCKED, "detail": "mgn.us-east-1.amazonaws.com: no TCP 443"}],
        "reason": "not ready",
    }
    # When
    result = parse_result(_line(payload))
    # Then
    assert result.status is NodeStatus.PROBE_FAILED
    assert result.codes == [SOURCE_443_BLOCKED]
    assert not result.succeeded


def test_parse_result_output_cut_at_the_service_cap_is_no_result() -> None:
    # Given: SSM keeps the first 24,000 characters; the result line was after them
    stdout = ("x" * 199 + "\n") * 200 + _line(INSTALLED)
    kept = stdout[:STANDARD_OUTPUT_LIMIT]
    # When
    result = parse_result(kept)
    # Then
    assert result.status is NodeStatus.NO_RESULT
    assert "24000" in result.reason


def test_parse_result_line_cut_in_the_middle_is_no_result() -> None:
    # When
    result = parse_result(_line(INSTALLED)[:40])
    # Then
    assert result.status is NodeStatus.NO_RESULT
    assert "cut short" in result.reason


def test_parse_result_only_a_line_starting_with_the_marker_counts() -> None:
    # Given: the installer's echoed output is prefixed, so it cannot pass for the result
    forged = "| " + _line({**INSTALLED, "sourceServerId": "s-forgedforgedforg"})
    stdout = _line({"status": "INSTALL_FAILED", "reason": "exit 1"}) + "\n" + forged + "\n"
    # When
    result = parse_result(stdout)
    # Then
    assert result.status is NodeStatus.INSTALL_FAILED


def test_parse_result_last_result_line_wins_and_windows_line_ends_are_read() -> None:
    # Given
    stdout = _line({"status": "PROBE_OK"}) + "\r\n" + _line(INSTALLED) + "\r\n"
    # When / Then
    assert parse_result(stdout).status is NodeStatus.INSTALLED


def test_parse_result_line_breaking_the_contract_is_no_result() -> None:
    # When
    result = parse_result(_line({**INSTALLED, "sourceServerId": "s-1; rm -rf /"}))
    # Then
    assert result.status is NodeStatus.NO_RESULT
    assert "sourceServerId" in result.reason


def test_parse_result_unknown_status_is_no_result() -> None:
    assert parse_result(_line({"status": "PWNED"})).status is NodeStatus.NO_RESULT


def test_parse_result_no_line_at_all_is_no_result() -> None:
    result = parse_result("Error: Installation failed.\n")
    assert result.status is NodeStatus.NO_RESULT
    assert "did not finish" in result.reason


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parse_result_any_text_never_raises(stdout: str) -> None:
    # When / Then: garbage is an answer (NO_RESULT), never an exception in the Lambda
    result = parse_result(stdout)
    assert result.status in NodeStatus


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300))
def test_parse_result_any_payload_after_the_marker_never_raises(payload: str) -> None:
    assert parse_result(f"{RESULT_MARKER} {payload}").status in NodeStatus
