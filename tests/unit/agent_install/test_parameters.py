"""The install parameter contract: what may reach a shell on a source server."""

from __future__ import annotations

import re
from typing import Any

import corpus
import figures
import pytest

from agent.document import render_document
from mgn_wave.agent_install.parameters import DOCUMENT_PARAMETERS, MAX_VALUE_CHARS, allowed, parse_install_parameters
from mgn_wave.core.errors import InvalidInputError

PARAMETER_NAMES = [spec.name for spec in DOCUMENT_PARAMETERS]
CANARY = "/tmp/mgn-wave-canary"
DOCUMENT_PATTERNS = {name: spec["allowedPattern"] for name, spec in render_document()["parameters"].items()}


def _refusal(values: dict[str, Any]) -> InvalidInputError:
    with pytest.raises(InvalidInputError) as refused:
        parse_install_parameters(values)
    return refused.value


def test_install_parameters_valid_install_values_become_the_document_parameters(install_values: dict[str, Any]) -> None:
    # When
    parameters = parse_install_parameters(install_values)
    # Then: one single-valued list per document parameter, in the document's names
    sent = parameters.to_document_parameters()
    assert list(sent) == PARAMETER_NAMES
    assert {name: value for name, (value,) in sent.items()} == install_values


def test_install_parameters_lists_and_mappings_are_written_in_the_document_form(install_values: dict[str, Any]) -> None:
    # Given: what a Lambda naturally has in hand
    install_values |= {
        "HostsEntries": {
            "mgn.us-east-1.amazonaws.com": "192.168.128.10",
            "ec2.us-east-1.amazonaws.com": "192.168.128.11",
        },
        "WaveTags": {"MigrationWave": "wave-01"},
        "ProbeHosts": ["mgn.us-east-1.amazonaws.com", "ec2.us-east-1.amazonaws.com"],
        "ExpectedCidrs": ["192.168.128.0/25"],
        "MinFreeDiskMiB": 4096,
    }
    # When
    sent = parse_install_parameters(install_values).to_document_parameters()
    # Then
    assert sent["HostsEntries"] == [
        "192.168.128.10 mgn.us-east-1.amazonaws.com,192.168.128.11 ec2.us-east-1.amazonaws.com"
    ]
    assert sent["WaveTags"] == ["MigrationWave=wave-01"]
    assert sent["ProbeHosts"] == ["mgn.us-east-1.amazonaws.com,ec2.us-east-1.amazonaws.com"]
    assert sent["MinFreeDiskMiB"] == ["4096"]


def test_install_parameters_probe_mode_needs_no_credentials(install_values: dict[str, Any]) -> None:
    # Given
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        install_values.pop(name)
    # When
    parameters = parse_install_parameters({**install_values, "Mode": "probe"})
    # Then: the credentials travel as empty values
    assert parameters.to_document_parameters()["SecretAccessKey"] == [""]


@pytest.mark.parametrize("payload", corpus.INJECTION_PAYLOADS, ids=lambda p: p.name)
@pytest.mark.parametrize("name", PARAMETER_NAMES)
def test_install_parameters_injection_payload_is_refused_in_python_and_by_the_document(
    install_values: dict[str, Any], name: str, payload: corpus.Payload
) -> None:
    # Given
    value = payload.render(CANARY)
    # When
    refusal = _refusal({**install_values, name: value})
    # Then: refused here, naming the parameter …
    assert refusal.field == name
    # … and SSM would refuse it too: the document's allowedPattern, checked as SSM does
    assert re.fullmatch(DOCUMENT_PATTERNS[name], value) is None
    assert not allowed(name, value)
    figures.tally("injection: payload x parameter refused in Python and by the document's allowedPattern")


@pytest.mark.parametrize("spec", DOCUMENT_PARAMETERS, ids=lambda s: s.name)
def test_install_parameters_refusal_names_the_allowed_form_and_never_echoes_the_value(
    install_values: dict[str, Any], spec: Any
) -> None:
    # Given: a bad value that looks like a secret
    secret = install_values["SecretAccessKey"]
    secret_looking = "ASIA;" + secret
    # When
    refusal = _refusal({**install_values, spec.name: secret_looking})
    # Then
    assert str(refusal).startswith(f"{spec.name}: must be ")
    assert secret_looking not in str(refusal)
    assert secret not in str(refusal)


def test_install_parameters_document_patterns_are_the_python_allow_lists() -> None:
    # Then: one source, so the document cannot drift from the validation
    assert {spec.name: spec.pattern for spec in DOCUMENT_PARAMETERS} == DOCUMENT_PATTERNS


def test_install_parameters_long_lived_access_key_is_refused(install_values: dict[str, Any]) -> None:
    # When: an IAM user's key (AKIA…) instead of STS credentials (docs/contracts.md §5: none long-lived)
    refusal = _refusal({**install_values, "AccessKeyId": "AKIA" + "IOSFODNN7EXAMPLE"})
    # Then
    assert refusal.field == "AccessKeyId"
    assert "temporary" in refusal.problem


def test_install_parameters_session_token_longer_than_the_cap_is_refused(install_values: dict[str, Any]) -> None:
    # Given: the document pattern has no upper bound (Go caps repeats at 1000); Python caps it
    too_long = "A" * (MAX_VALUE_CHARS + 1)
    # When / Then
    assert _refusal({**install_values, "SessionToken": too_long}).field == "SessionToken"


def test_install_parameters_install_mode_without_credentials_is_refused(install_values: dict[str, Any]) -> None:
    # Given
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        install_values.pop(name)
    # When
    refusal = _refusal(install_values)
    # Then
    assert refusal.field == "AccessKeyId"
    assert "install mode needs temporary credentials" in refusal.problem


def test_install_parameters_partial_credentials_are_refused(install_values: dict[str, Any]) -> None:
    # When / Then
    refusal = _refusal({**install_values, "Mode": "probe", "SessionToken": ""})
    assert "go together" in refusal.problem


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("S3Endpoint", "vpce-0123456789abcdef0-abcdefgh.s3.eu-west-1.vpce.amazonaws.com", "in us-east-1"),
        ("MgnEndpoint", "vpce-0123456789abcdef0-abcdefgh.mgn.eu-west-1.vpce.amazonaws.com", "in us-east-1"),
        ("HostsEntries", "10.99.0.1 mgn.us-east-1.amazonaws.com", "inside ExpectedCidrs"),
        (
            "HostsEntries",
            "192.168.128.10 mgn.us-east-1.amazonaws.com,192.168.128.11 mgn.us-east-1.amazonaws.com",
            "each host once",
        ),
        ("ExpectedCidrs", "8.8.8.0/24", "is not"),
        ("ExpectedCidrs", "192.168.128.1/25", "is not"),
        # loopback and link-local count as private to Python's ipaddress; never the endpoints' subnets
        ("ExpectedCidrs", "127.0.0.0/8", "inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16"),
        ("ExpectedCidrs", "169.254.0.0/16", "169.254.0.0/16 is not"),
        ("ExpectedCidrs", "192.168.0.0/15", "is not"),
        ("S3EndpointForm", "bare", "'installer-bucket'"),
        ("WaveTags", "aws:cloudformation=x", "reserved"),
        ("WaveTags", "MigrationWave=a MigrationWave=b", "twice"),
        ("HostsEntries", "192.168.128.10 repo.corp.example", "must be"),
        ("MinFreeDiskMiB", "02048", "without leading zeros"),
        ("UserProvidedId", "mi-0123456789ABCDEF0", "must be"),
    ],
)
def test_install_parameters_value_outside_the_contract_is_refused_with_the_reason(
    install_values: dict[str, Any], name: str, value: str, expected: str
) -> None:
    # When
    refusal = _refusal({**install_values, name: value})
    # Then
    assert refusal.field == name
    assert expected in refusal.problem


def test_install_parameters_unknown_parameter_is_refused(install_values: dict[str, Any]) -> None:
    # When
    refusal = _refusal({**install_values, "Commands": "id"})
    # Then
    assert refusal.field == "Commands"
    assert "unknown parameter" in refusal.problem


def test_install_parameters_repr_and_redacted_view_hide_the_credentials(install_values: dict[str, Any]) -> None:
    # Given
    parameters = parse_install_parameters(install_values)
    # When
    shown = repr(parameters) + str(parameters) + str(parameters.redacted_document_parameters())
    # Then
    for name in ("AccessKeyId", "SecretAccessKey", "SessionToken"):
        assert install_values[name] not in shown
    assert parameters.redacted_document_parameters()["SecretAccessKey"] == ["[REDACTED]"]


def test_install_parameters_node_probes_the_download_and_mgn_hosts_too(install_values: dict[str, Any]) -> None:
    # When
    hosts = parse_install_parameters(install_values).probed_hosts()
    # Then: what the script adds to ProbeHosts, in its order, once each (the installer's
    # --s3-endpoint is the installer host itself in the default form)
    assert hosts == [
        "mgn.us-east-1.amazonaws.com",
        "aws-application-migration-service-us-east-1.bucket." + install_values["S3Endpoint"],
        "aws-application-migration-service-hashes-us-east-1.bucket." + install_values["S3Endpoint"],
        install_values["MgnEndpoint"],
    ]


def test_install_parameters_empty_user_provided_id_lets_each_node_use_its_own_id(
    install_values: dict[str, Any],
) -> None:
    # When: one command for many nodes
    parameters = parse_install_parameters({**install_values, "UserProvidedId": ""})
    # Then
    assert parameters.to_document_parameters()["UserProvidedId"] == [""]


_S3_ENDPOINT = "vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com"  # conftest's


@pytest.mark.parametrize(
    ("form", "expected"),
    [
        ("installer-bucket", "aws-application-migration-service-us-east-1.bucket." + _S3_ENDPOINT),
        ("bucket", "bucket." + _S3_ENDPOINT),
        ("regional", _S3_ENDPOINT),
    ],
)
def test_install_parameters_installer_s3_endpoint_takes_the_chosen_form_and_is_probed(
    install_values: dict[str, Any], form: str, expected: str
) -> None:
    # When
    parameters = parse_install_parameters({**install_values, "S3EndpointForm": form})
    # Then: the installer gets it, and the node probes that very name
    assert parameters.installer_s3_endpoint() == expected
    assert expected in parameters.probed_hosts()


def test_install_parameters_installer_s3_endpoint_defaults_to_the_field_proven_form(
    install_values: dict[str, Any],
) -> None:
    # Given: a console user who leaves the form out
    del install_values["S3EndpointForm"]
    # When
    parameters = parse_install_parameters(install_values)
    # Then
    assert parameters.installer_s3_endpoint() == "aws-application-migration-service-us-east-1.bucket." + _S3_ENDPOINT
