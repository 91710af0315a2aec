"""Endpoints: present, available, private DNS, VPC DNS attributes, SSM, and the names to use."""

from __future__ import annotations

import pytest

from mgn_wave.preflight.findings import Severity
from mgn_wave.preflight.network import DnsEntry


def test_run_preflight_clean_network_reports_no_problem(network) -> None:
    # Given the field report's network, built right
    # When
    problems = network.problems()
    # Then
    assert problems == []


@pytest.mark.parametrize(
    ("endpoint_key", "service_name", "endpoint_type"),
    [
        ("mgn", "com.amazonaws.us-east-1.mgn", "Interface"),
        ("ec2", "com.amazonaws.us-east-1.ec2", "Interface"),
        ("s3-interface", "com.amazonaws.us-east-1.s3", "Interface"),
        ("s3-gateway", "com.amazonaws.us-east-1.s3", "Gateway"),
    ],
)
def test_run_preflight_required_endpoint_missing_blocks_naming_service(
    network, endpoint_key, service_name, endpoint_type
) -> None:
    # Given
    network.remove_endpoint(endpoint_key)
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["ENDPOINT_MISSING"]
    assert problems[0].severity is Severity.BLOCKER
    assert service_name in problems[0].message
    assert f"Create a {endpoint_type} VPC endpoint for {service_name}" in problems[0].fix


def test_run_preflight_s3_interface_only_still_misses_gateway(network) -> None:
    # Given an S3 interface endpoint but no gateway: the types are told apart
    network.remove_endpoint("s3-gateway")
    # When
    codes = [(f.code, "Gateway" in f.message) for f in network.problems()]
    # Then
    assert codes == [("ENDPOINT_MISSING", True)]


def test_run_preflight_deleted_endpoint_counts_as_missing(network) -> None:
    # Given an endpoint AWS still lists while it goes away
    network.set_endpoint("mgn", state="deleted")
    # When
    codes = network.codes()
    # Then
    assert codes == {"ENDPOINT_MISSING"}


def test_run_preflight_endpoint_in_another_vpc_counts_as_missing(network) -> None:
    # Given
    network.set_endpoint("ec2", vpc_id="vpc-0b22b22b22b22b22b")
    # When
    codes = network.codes()
    # Then
    assert codes == {"ENDPOINT_MISSING"}


@pytest.mark.parametrize("state", ["pendingAcceptance", "pending", "failed", "rejected"])
def test_run_preflight_endpoint_not_available_blocks_naming_state(network, state) -> None:
    # Given
    network.set_endpoint("mgn", state=state)
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["ENDPOINT_NOT_AVAILABLE"]
    assert problems[0].resource == network.ENDPOINT_IDS["mgn"]
    assert f"'{state}'" in problems[0].message


@pytest.mark.parametrize("endpoint_key", ["mgn", "ec2"])
def test_run_preflight_private_dns_off_on_mgn_or_ec2_blocks(network, endpoint_key) -> None:
    # Given
    network.set_endpoint(endpoint_key, private_dns_enabled=False)
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.resource) for f in problems] == [("PRIVATE_DNS_DISABLED", network.ENDPOINT_IDS[endpoint_key])]
    assert f"{endpoint_key}.us-east-1.amazonaws.com" in problems[0].message


def test_run_preflight_private_dns_off_on_s3_interface_is_fine(network) -> None:
    # Given (the clean network already has it off, as in the field report; make it explicit)
    network.set_endpoint("s3-interface", private_dns_enabled=False)
    # When / Then
    assert network.codes() == set()


@pytest.mark.parametrize("attribute", ["enable_dns_support", "enable_dns_hostnames"])
def test_run_preflight_vpc_dns_attribute_off_blocks_naming_attribute(network, attribute) -> None:
    # Given
    network.set_vpc(**{attribute: False})
    # When
    problems = network.problems()
    # Then
    api_name = {"enable_dns_support": "enableDnsSupport", "enable_dns_hostnames": "enableDnsHostnames"}[attribute]
    assert [f.code for f in problems] == ["VPC_DNS_DISABLED"]
    assert f"{api_name}=false" in problems[0].message
    assert problems[0].resource == network.VPC_ID


@pytest.mark.parametrize("service", ["ssm", "ssmmessages", "ec2messages"])
def test_run_preflight_ssm_endpoint_missing_warns(network, service) -> None:
    # Given
    network.remove_endpoint(service)
    # When
    problems = network.problems()
    # Then
    assert [(f.code, f.severity) for f in problems] == [("SSM_ENDPOINT_MISSING", Severity.WARNING)]
    assert f"com.amazonaws.us-east-1.{service}" in problems[0].message


def test_run_preflight_ssm_endpoint_pending_warns(network) -> None:
    # Given
    network.set_endpoint("ssm", state="pending")
    # When
    problems = network.problems()
    # Then
    assert [f.code for f in problems] == ["SSM_ENDPOINT_MISSING"]
    assert "'pending'" in problems[0].message


def test_run_preflight_endpoint_dns_names_give_regional_names_for_installer(network) -> None:
    # Given
    mgn_id, s3_id = network.ENDPOINT_IDS["mgn"], network.ENDPOINT_IDS["s3-interface"]
    # When
    info = [f for f in network.findings() if f.code == "ENDPOINT_DNS_NAMES"]
    # Then: the regional names, not the zonal ones; S3's bucket-qualified (its bare name has no DNS entry)
    fixes = {f.resource: f.fix for f in info}
    assert fixes[mgn_id] == (
        f"Pass --endpoint {mgn_id}-abcd1234.mgn.us-east-1.vpce.amazonaws.com to the replication agent "
        "installer, or make mgn.us-east-1.amazonaws.com resolve to the endpoint from the sources "
        "(Route 53 Resolver inbound endpoint)."
    )
    assert fixes[s3_id] == (
        "Pass --s3-endpoint aws-application-migration-service-us-east-1.bucket."
        f"{s3_id}-abcd1234.s3.us-east-1.vpce.amazonaws.com to the replication agent installer."
    )
    assert all(f.severity is Severity.INFO for f in info)


def test_run_preflight_endpoint_without_regional_name_gets_no_dns_info(network) -> None:
    # Given only a private DNS name is listed
    network.set_endpoint("mgn", dns_entries=(DnsEntry(dns_name="mgn.us-east-1.amazonaws.com"),))
    # When
    info = [f for f in network.findings() if f.code == "ENDPOINT_DNS_NAMES"]
    # Then
    assert [f.resource for f in info] == [network.ENDPOINT_IDS["s3-interface"]]
