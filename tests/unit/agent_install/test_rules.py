"""The install's pure rules: what each DNS mode tells the installer, which servers need no
install, and what a finished Run Command invocation means for a server."""

from __future__ import annotations

import json

import pytest

from mgn_wave.agent_install.models import InstalledServer
from mgn_wave.agent_install.node_result import RESULT_MARKER
from mgn_wave.agent_install.rules import DnsMode, PrivateEndpoints, install_outcome, installer_settings, known_to_mgn
from mgn_wave.core.server_result import ServerResult, ServerStatus, Stage

ENDPOINTS = PrivateEndpoints(
    region="us-east-1",
    s3_dns_name="vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com",
    mgn_dns_name="vpce-0fedcba9876543210-hgfedcba.mgn.us-east-1.vpce.amazonaws.com",
    mgn_address="192.168.128.140",
    ec2_address="192.168.128.141",
    endpoint_cidrs=("192.168.128.128/25",),
)
SERVER_ID = "s-0123456789abcdefg"


def _result_line(payload: dict) -> str:
    return f"downloading...\n{RESULT_MARKER} {json.dumps(payload)}\n"


def test_installer_settings_hosts_mode_pins_mgn_and_ec2_to_the_endpoint_enis() -> None:
    settings = installer_settings(DnsMode.HOSTS, ENDPOINTS)
    assert settings["hosts_entries"] == (
        "192.168.128.140 mgn.us-east-1.amazonaws.com,192.168.128.141 ec2.us-east-1.amazonaws.com"
    )
    assert settings["mgn_endpoint"] == ""
    assert settings["probe_hosts"] == "mgn.us-east-1.amazonaws.com"


def test_installer_settings_resolver_mode_changes_nothing_on_the_server() -> None:
    settings = installer_settings(DnsMode.RESOLVER, ENDPOINTS)
    assert settings["hosts_entries"] == ""
    assert settings["mgn_endpoint"] == ""


def test_installer_settings_endpoint_names_mode_passes_the_vpce_name_as_endpoint() -> None:
    settings = installer_settings(DnsMode.ENDPOINT_NAMES, ENDPOINTS)
    assert settings["mgn_endpoint"] == ENDPOINTS.mgn_dns_name
    assert settings["probe_hosts"] == ENDPOINTS.mgn_dns_name
    assert settings["hosts_entries"] == ""


def test_known_to_mgn_matches_user_provided_id_and_instance_hint_but_not_archived() -> None:
    servers = [
        {"sourceServerID": "s-1", "userProvidedID": "mi-0123456789abcdef0"},
        {
            "sourceServerID": "s-2",
            "sourceProperties": {"identificationHints": {"awsInstanceID": "i-0123456789abcdef0"}},
        },
        {"sourceServerID": "s-3", "userProvidedID": "mi-0fedcba9876543210", "isArchived": True},
    ]
    known = known_to_mgn(servers)
    assert {k: v["sourceServerID"] for k, v in known.items()} == {
        "mi-0123456789abcdef0": "s-1",
        "i-0123456789abcdef0": "s-2",
    }


def test_install_outcome_success_with_result_line_is_the_registered_server() -> None:
    invocation = {"StandardOutputContent": _result_line({"status": "INSTALLED", "sourceServerId": SERVER_ID})}
    outcome = install_outcome("mi-0123456789abcdef0", "Success", invocation)
    assert outcome == InstalledServer(instance_id="mi-0123456789abcdef0", source_server_id=SERVER_ID)


def test_install_outcome_probe_failure_carries_the_findings() -> None:
    line = _result_line(
        {
            "status": "PROBE_FAILED",
            "reason": "the source server cannot use the private path",
            "findings": [{"code": "SOURCE_443_BLOCKED", "detail": "no TCP 443 to 192.168.128.140"}],
        }
    )
    outcome = install_outcome("mi-0123456789abcdef0", "Failed", {"StandardOutputContent": line})
    assert isinstance(outcome, ServerResult)
    assert (outcome.status, outcome.stage) == (ServerStatus.FAILED, Stage.PROBE)
    assert outcome.findings[0]["code"] == "SOURCE_443_BLOCKED"
    assert "SOURCE_443_BLOCKED" in outcome.hint


@pytest.mark.parametrize(
    ("status", "details", "hint_word"),
    [
        ("Failed", "Undeliverable", "offline"),
        ("TimedOut", "DeliveryTimedOut", "delivered"),
        ("TimedOut", "ExecutionTimedOut", "S3 interface"),
    ],
)
def test_install_outcome_run_command_failure_says_where_to_look(status: str, details: str, hint_word: str) -> None:
    outcome = install_outcome("mi-0123456789abcdef0", status, {"StatusDetails": details, "StandardOutputContent": ""})
    assert isinstance(outcome, ServerResult)
    assert outcome.stage is Stage.INSTALL
    assert hint_word in outcome.hint


def test_install_outcome_checksum_mismatch_keeps_the_stderr_tail() -> None:
    invocation = {
        "StandardOutputContent": _result_line({"status": "CHECKSUM_MISMATCH", "reason": "SHA-512 differs"}),
        "StandardErrorContent": "x" * 2000 + "sha512sum: WARNING: 1 computed checksum did NOT match",
    }
    outcome = install_outcome("mi-0123456789abcdef0", "Failed", invocation)
    assert isinstance(outcome, ServerResult)
    assert "did NOT match" in outcome.reason
    assert len(outcome.reason) < 800
    assert "deleted unrun" in outcome.hint
