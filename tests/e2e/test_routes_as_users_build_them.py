"""Endpoints in a subnet of their own, on a table with no way back: Preflight and the emulated
network agree that the sources get no answer from them."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from mgn_wave_emu.fleet.network import ScenarioNetworkView

if TYPE_CHECKING:
    from mgn_wave_emu.harness import EmulatedAws


def test_endpoints_subnet_without_a_route_back_stops_the_wave_and_the_agent_gets_no_443(aws: EmulatedAws) -> None:
    # Given
    built = aws.deploy_scenario("endpoints-own-subnet")
    endpoints_table = built.route_table_ids["endpoints"]
    # When
    result = aws.run({"wave": "wave-01"})
    # Then the wave stops at Preflight, naming the endpoints' table and subnet
    assert result.status == "FAILED"
    assert result.error == "PreflightBlocked"
    findings = json.loads(result.cause or "[]")
    (route,) = [f for f in findings if f["code"] == "RETURN_ROUTE_MISSING"]
    assert route["resource"] == endpoints_table
    assert f"subnet {built.subnet_ids['endpoints']}" in route["message"]
    assert "has no route for source range 10.10.0.0/16" in route["message"]
    # and the emulated network agrees: the source server reaches none of the endpoint interfaces
    assert aws.fleet is not None
    network = aws.fleet.network
    assert isinstance(network, ScenarioNetworkView)
    source = aws.fleet.node("web-1").ip_address
    interfaces = [
        i["PrivateIpAddress"]
        for i in aws.client("ec2").describe_network_interfaces(
            Filters=[{"Name": "subnet-id", "Values": [built.subnet_ids["endpoints"]]}]
        )["NetworkInterfaces"]
    ]
    assert interfaces
    assert [network.reachable(source, address, 443) for address in interfaces] == [False] * len(interfaces)
