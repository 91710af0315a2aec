"""The install on sources whose DNS forwards to a Route 53 Resolver inbound endpoint (its own
emulated AWS: one scenario per module)."""

from __future__ import annotations

from fleet_helpers import MGN_NAME, Installs

from mgn_wave.agent_install.node_result import NodeStatus, parse_result


def test_install_resolver_mode_writes_no_hosts_entry(resolver_dns: Installs) -> None:
    # Given: the sources' DNS forwards to a Route 53 Resolver inbound endpoint
    sandbox = resolver_dns.fleet.sandbox("lin-resolver")
    before = sandbox.hosts_file.read_text()
    # When
    invocation = resolver_dns.run("lin-resolver", resolver_dns.parameters("lin-resolver", dns_mode="resolver"))
    # Then
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.INSTALLED
    assert sandbox.hosts_file.read_text() == before
    assert not sandbox.hosts_file.with_name("hosts.mgn-wave.bak").exists()
    assert sandbox.leftovers() == []


def test_probe_resolver_dns_answers_the_mgn_name_with_the_endpoint_addresses(resolver_dns: Installs) -> None:
    # When
    answer = resolver_dns.fleet.network.resolve(MGN_NAME)
    # Then
    assert sorted(answer) == sorted(resolver_dns.path.mgn_addresses)
