"""The real install script on emulated source servers: each DNS mode, the checksum, the probe's
findings, and the script's own allow-lists against the injection corpus."""

from __future__ import annotations

import ipaddress
import re
from typing import TYPE_CHECKING, Any

import corpus
import figures
import pytest
from fleet_helpers import MGN_NAME, Installs

from mgn_wave.agent_install.node_result import (
    PARAMETER_REJECTED,
    RESULT_MARKER,
    SOURCE_443_BLOCKED,
    SOURCE_DISK_LOW,
    SOURCE_DNS_NOT_PRIVATE,
    SOURCE_DNS_UNRESOLVED,
    SOURCE_NOT_ROOT,
    SOURCE_SSM_AGENT_TOO_OLD,
    NodeStatus,
    parse_result,
)
from mgn_wave.agent_install.parameters import DOCUMENT_PARAMETERS
from mgn_wave_emu.fleet.fleet import fake_installer
from mgn_wave_emu.fleet.network import ScenarioNetworkView

if TYPE_CHECKING:
    from pathlib import Path

    from mgn_wave_emu.fleet import ScriptRun

PARAMETER_NAMES = [spec.name for spec in DOCUMENT_PARAMETERS]


def _flag(arguments: list[str], flag: str) -> str | None:
    return arguments[arguments.index(flag) + 1] if flag in arguments else None


def _last_line(stdout: str) -> str:
    return stdout.rstrip("\n").splitlines()[-1]


# --- DNS modes ---------------------------------------------------------------------------------


def test_install_hosts_mode_registers_the_server_and_writes_the_hosts_block_once(public_dns: Installs) -> None:
    # Given: the field report's way: mgn.<region>.amazonaws.com pinned to the endpoint's interface
    fleet = public_dns.fleet
    sandbox = fleet.sandbox("lin-hosts")
    original_hosts = sandbox.hosts_file.read_text()
    s3_endpoint = public_dns.path.s3_endpoint
    parameters = public_dns.parameters("lin-hosts", dns_mode="hosts")
    secrets = [v[0] for k, v in parameters.to_document_parameters().items() if k.endswith(("Key", "KeyId", "Token"))]

    # When: installed twice (a retried wave)
    first = public_dns.run("lin-hosts", parameters)
    second = public_dns.run("lin-hosts", parameters)

    # Then: installed, with the source server MGN now knows
    result = parse_result(first["StandardOutputContent"])
    assert first["Status"] == "Success"
    assert result.status is NodeStatus.INSTALLED
    server = public_dns.aws.mgn.source_server(str(result.source_server_id))
    assert server["userProvidedID"] == public_dns.node_id("lin-hosts")
    assert server["tags"] == {"MigrationWave": "wave-01"}
    assert parse_result(second["StandardOutputContent"]).source_server_id == result.source_server_id
    # the block is there once, the original file is kept as the backup
    hosts = sandbox.hosts_file.read_text()
    assert hosts.count("# BEGIN mgn-wave") == 1
    assert f"{public_dns.path.mgn_addresses[0]} {MGN_NAME}\n# END mgn-wave" in hosts
    (backup,) = sandbox.hosts_file.parent.glob("hosts.mgn-wave.*.bak")  # one change, one backup
    assert backup.read_text() == original_hosts
    # the installer got the flags of a silent private install, the credentials only as flags
    (arguments,) = fleet.sandbox("lin-hosts").run_history[-1].installer_calls
    assert _flag(arguments, "--region") == "us-east-1"
    # the bucket-qualified name by default: the form proven in the field (the bare one has no DNS entry)
    assert _flag(arguments, "--s3-endpoint") == f"aws-application-migration-service-us-east-1.bucket.{s3_endpoint}"
    assert _flag(arguments, "--user-provided-id") == public_dns.node_id("lin-hosts")
    assert _flag(arguments, "--tags") == "MigrationWave=wave-01"
    assert _flag(arguments, "--aws-session-token") == "[secret]"
    assert "--no-prompt" in arguments
    assert "--endpoint" not in arguments
    # the result line is last, the work directory is gone, no credential was printed
    assert _last_line(first["StandardOutputContent"]).startswith(RESULT_MARKER + " ")
    assert sandbox.leftovers() == []
    shown = (
        first["StandardOutputContent"] + first["StandardErrorContent"] + "\n".join(sandbox.run_history[-1].curl_calls)
    )
    assert not any(secret in shown for secret in secrets)


def test_install_endpoint_names_mode_passes_the_mgn_endpoint_name(public_dns: Installs) -> None:
    # Given
    sandbox = public_dns.fleet.sandbox("lin-names")
    before = sandbox.hosts_file.read_text()
    # When
    invocation = public_dns.run("lin-names", public_dns.parameters("lin-names", dns_mode="endpoint-names"))
    # Then
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.INSTALLED
    (arguments,) = sandbox.run_history[-1].installer_calls
    assert _flag(arguments, "--endpoint") == public_dns.path.mgn_endpoint
    assert sandbox.hosts_file.read_text() == before


def test_install_resolver_mode_on_public_dns_finds_the_public_answer_and_downloads_nothing(
    public_dns: Installs,
) -> None:
    # Given: resolver-mode parameters, but the sources only have public DNS
    sandbox = public_dns.fleet.sandbox("lin-resolver")
    # When
    invocation = public_dns.run("lin-resolver", public_dns.parameters("lin-resolver", dns_mode="resolver"))
    # Then
    result = parse_result(invocation["StandardOutputContent"])
    assert invocation["Status"] == "Failed"
    assert result.status is NodeStatus.PROBE_FAILED
    assert result.codes == [SOURCE_DNS_NOT_PRIVATE]
    assert MGN_NAME in result.findings[0].detail
    assert sandbox.run_history[-1].curl_calls == []
    assert sandbox.run_history[-1].installer_calls == []


# --- the download ------------------------------------------------------------------------------


def test_install_tampered_installer_fails_the_checksum_and_never_runs(public_dns: Installs) -> None:
    # Given: the installer object changed, its published SHA-512 did not
    fleet = public_dns.fleet
    fleet.tamper_installer()
    try:
        # When
        invocation = public_dns.run("lin-tamper", public_dns.parameters("lin-tamper", dns_mode="hosts"))
    finally:
        fleet.publish_installer(fake_installer())
    # Then
    run = fleet.sandbox("lin-tamper").run_history[-1]
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.CHECKSUM_MISMATCH
    assert run.installer_calls == []
    assert fleet.source_server_id("lin-tamper") is None
    assert len(run.curl_calls) == 2  # the installer and its hash, nothing after
    assert fleet.sandbox("lin-tamper").leftovers() == []


# --- the probe ---------------------------------------------------------------------------------


def test_probe_ready_node_is_probe_ok_and_changes_nothing(public_dns: Installs) -> None:
    # Given
    sandbox = public_dns.fleet.sandbox("lin-probe")
    before = sandbox.hosts_file.read_text()
    # When: probe mode, with hosts entries to pin (judged, not written)
    invocation = public_dns.run("lin-probe", public_dns.parameters("lin-probe", dns_mode="hosts", mode="probe"))
    # Then
    assert invocation["Status"] == "Success"
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.PROBE_OK
    assert sandbox.hosts_file.read_text() == before
    assert sandbox.run_history[-1].curl_calls == []


def test_probe_endpoint_sg_without_443_from_the_source_blocks_the_download(public_dns: Installs) -> None:
    # Given: the S3 interface endpoint's SG no longer admits HTTPS from the source range
    aws = public_dns.aws
    ec2 = aws.client("ec2")
    group = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["s3-endpoint"]}])["SecurityGroups"][
        0
    ]
    rule: Any = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.10.0.0/16"}]}
    ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[rule])
    try:
        # When
        invocation = public_dns.run("lin-sg", public_dns.parameters("lin-sg", dns_mode="hosts"))
    finally:
        ec2.authorize_security_group_ingress(GroupId=group["GroupId"], IpPermissions=[rule])
    # Then: both bucket names are blocked; mgn is not; nothing was downloaded
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.PROBE_FAILED
    assert result.codes == [SOURCE_443_BLOCKED, SOURCE_443_BLOCKED]
    assert all(public_dns.path.s3_endpoint in f.detail for f in result.findings)
    assert public_dns.fleet.sandbox("lin-sg").run_history[-1].curl_calls == []


def _subnet_id(ec2: Any, cidr: str) -> str:
    return str(ec2.describe_subnets(Filters=[{"Name": "cidr-block", "Values": [cidr]}])["Subnets"][0]["SubnetId"])


def test_probe_endpoint_subnet_without_a_route_back_blocks_443_from_its_interfaces(public_dns: Installs) -> None:
    # Given: the endpoints' second subnet gets a route table of its own with no route to the sources
    # (replies from the endpoint interfaces there leave through it and are lost)
    aws = public_dns.aws
    ec2 = aws.client("ec2")
    endpoints_subnet = _subnet_id(ec2, "192.168.128.128/25")
    vpc_id = ec2.describe_subnets(SubnetIds=[endpoints_subnet])["Subnets"][0]["VpcId"]
    old = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [endpoints_subnet]}])
    old_association = next(a for a in old["RouteTables"][0]["Associations"] if a.get("SubnetId") == endpoints_subnet)
    lonely = ec2.create_route_table(VpcId=vpc_id)["RouteTable"]["RouteTableId"]
    association = ec2.replace_route_table_association(
        AssociationId=old_association["RouteTableAssociationId"], RouteTableId=lonely
    )["NewAssociationId"]
    try:
        # When
        invocation = public_dns.run("lin-route", public_dns.parameters("lin-route", dns_mode="hosts", mode="probe"))
    finally:
        ec2.replace_route_table_association(
            AssociationId=association, RouteTableId=old["RouteTables"][0]["RouteTableId"]
        )
    # Then: the interfaces in that subnet do not answer; the ones in the staging subnet do
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.PROBE_FAILED
    assert set(result.codes) == {SOURCE_443_BLOCKED}
    # (a finding's detail is cut short, so read the addresses it names in full)
    blocked = [a for f in result.findings for a in re.findall(r"\b\d+\.\d+\.\d+\.\d+\b", f.detail)]
    assert blocked
    assert all(ipaddress.IPv4Address(a) in ipaddress.IPv4Network("192.168.128.128/25") for a in blocked)
    assert public_dns.fleet.sandbox("lin-route").run_history[-1].curl_calls == []
    # and with the association back, the same probe passes
    again = public_dns.run("lin-route", public_dns.parameters("lin-route", dns_mode="hosts", mode="probe"))
    assert parse_result(again["StandardOutputContent"]).status is NodeStatus.PROBE_OK


def test_more_specific_route_to_an_internet_gateway_cuts_off_that_server_only(public_dns: Installs) -> None:
    # Given: a /32 inside the source range routed to an internet gateway on the shared route table
    aws = public_dns.aws
    ec2 = aws.client("ec2")
    staging_subnet = _subnet_id(ec2, "192.168.128.0/25")
    vpc_id = ec2.describe_subnets(SubnetIds=[staging_subnet])["Subnets"][0]["VpcId"]
    table = ec2.describe_route_tables(Filters=[{"Name": "association.subnet-id", "Values": [staging_subnet]}])
    table_id = table["RouteTables"][0]["RouteTableId"]
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    node_ip = public_dns.fleet.node("lin-route").ip_address
    neighbour_ip = public_dns.fleet.node("lin-probe").ip_address
    ec2.create_route(RouteTableId=table_id, DestinationCidrBlock=f"{node_ip}/32", GatewayId=igw)
    try:
        network = public_dns.fleet.network
        assert isinstance(network, ScenarioNetworkView)
        network.refresh()
        interfaces = public_dns.path.mgn_addresses
        # Then: that server reaches no interface; its neighbour in the same /24 reaches them all
        assert [network.reachable(node_ip, a, 443) for a in interfaces] == [False] * len(interfaces)
        assert [network.reachable(neighbour_ip, a, 443) for a in interfaces] == [True] * len(interfaces)
    finally:
        ec2.delete_route(RouteTableId=table_id, DestinationCidrBlock=f"{node_ip}/32")
        network.refresh()


def test_probe_low_disk_is_reported_and_nothing_is_downloaded(public_dns: Installs) -> None:
    # When
    invocation = public_dns.run("lin-lowdisk", public_dns.parameters("lin-lowdisk", dns_mode="hosts"))
    # Then
    result = parse_result(invocation["StandardOutputContent"])
    assert result.codes == [SOURCE_DISK_LOW]
    assert "100 MiB free; 2048 MiB needed" in result.findings[0].detail
    assert public_dns.fleet.sandbox("lin-lowdisk").run_history[-1].curl_calls == []


def test_probe_not_root_is_reported(public_dns: Installs) -> None:
    # Given
    public_dns.fleet.set_uid("lin-nonroot", 1000)
    # When
    invocation = public_dns.run("lin-nonroot", public_dns.parameters("lin-nonroot", dns_mode="hosts", mode="probe"))
    # Then
    assert parse_result(invocation["StandardOutputContent"]).codes == [SOURCE_NOT_ROOT]


def test_probe_name_without_an_answer_is_unresolved(public_dns: Installs) -> None:
    # Given
    host = "aws-application-migration-service-hashes-us-east-1.bucket." + public_dns.path.s3_endpoint
    public_dns.fleet.override_dns(host, [])
    try:
        invocation = public_dns.run(
            "lin-unresolved", public_dns.parameters("lin-unresolved", dns_mode="hosts", mode="probe")
        )
    finally:
        public_dns.fleet.override_dns(host, None)
    # Then
    result = parse_result(invocation["StandardOutputContent"])
    assert result.codes == [SOURCE_DNS_UNRESOLVED]
    assert host in result.findings[0].detail


def test_old_ssm_agent_without_environment_parameters_runs_nothing(public_dns: Installs) -> None:
    # When: an agent before 3.3.2746.0 exports no SSM_<name> (and we never use {{ }} text)
    invocation = public_dns.run("lin-old-agent", public_dns.parameters("lin-old-agent", dns_mode="hosts"))
    # Then
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.PARAMETERS_REJECTED
    assert result.codes == [SOURCE_SSM_AGENT_TOO_OLD]


# --- the script's own allow-lists ----------------------------------------------------------------


def _assert_ran_nothing(run: ScriptRun, canary: Path) -> None:
    assert not canary.exists(), "an injected command ran"
    assert run.curl_calls == []
    assert run.installer_calls == []


@pytest.mark.parametrize(
    "payload", [p for p in corpus.INJECTION_PAYLOADS if p.passes_through_an_environment], ids=lambda p: p.name
)
def test_script_payload_in_every_variable_is_refused_and_runs_nothing(
    public_dns: Installs, payload: corpus.Payload, tmp_path: Path
) -> None:
    # Given: SSM's own allowedPattern bypassed, the payload in every SSM_<name> variable
    canary = tmp_path / "canary"
    values = dict.fromkeys(PARAMETER_NAMES, payload.render(str(canary)))
    fleet = public_dns.fleet
    # When
    run = fleet.execute(fleet.node("lin-corpus"), values)
    # Then: refused, every variable named, nothing ran
    result = parse_result(run.stdout)
    assert run.exit_code == 1
    assert result.status is NodeStatus.PARAMETERS_REJECTED
    assert set(result.codes) == {PARAMETER_REJECTED}
    assert [f.detail.split()[0] for f in result.findings] == PARAMETER_NAMES
    _assert_ran_nothing(run, canary)
    figures.tally(
        f"injection: payloads in all {len(PARAMETER_NAMES)} variables of the real script, refused, canary untouched"
    )


@pytest.mark.parametrize("name", PARAMETER_NAMES)
@pytest.mark.parametrize("payload_name", ["dollar-paren", "newline", "fullwidth-semicolon"])
def test_script_one_bad_variable_stops_the_install_before_anything_runs(
    public_dns: Installs, name: str, payload_name: str, tmp_path: Path
) -> None:
    # Given: every other value is valid
    canary = tmp_path / "canary"
    payload = next(p for p in corpus.INJECTION_PAYLOADS if p.name == payload_name)
    values = {
        k: v[0] for k, v in public_dns.parameters("lin-corpus", dns_mode="hosts").to_document_parameters().items()
    }
    values[name] = payload.render(str(canary))
    fleet = public_dns.fleet
    before = fleet.sandbox("lin-corpus").hosts_file.read_text()
    # When
    run = fleet.execute(fleet.node("lin-corpus"), values)
    # Then
    result = parse_result(run.stdout)
    assert result.status is NodeStatus.PARAMETERS_REJECTED
    assert [f.detail.split()[0] for f in result.findings] == [name]
    _assert_ran_nothing(run, canary)
    assert fleet.sandbox("lin-corpus").hosts_file.read_text() == before


def test_install_one_command_for_many_nodes_registers_each_under_its_own_node_id(public_dns: Installs) -> None:
    # Given: one SendCommand for two nodes, UserProvidedId empty (the node uses AWS_SSM_INSTANCE_ID)
    parameters = public_dns.parameters("lin-a", dns_mode="hosts", UserProvidedId="")
    command_id = public_dns.send(["lin-a", "lin-b"], parameters)
    # When
    public_dns.finish()
    # Then
    for name in ("lin-a", "lin-b"):
        result = parse_result(public_dns.invocation(command_id, name)["StandardOutputContent"])
        assert result.status is NodeStatus.INSTALLED
        server = public_dns.aws.mgn.source_server(str(result.source_server_id))
        assert server["userProvidedID"] == public_dns.node_id(name)


def test_probe_bare_s3_endpoint_name_does_not_resolve_only_names_below_it_do(public_dns: Installs) -> None:
    # Given: S3 interface endpoints publish *.vpce-… names only
    network = public_dns.fleet.network
    s3_endpoint = public_dns.path.s3_endpoint
    # When / Then
    assert network.resolve(s3_endpoint) == []
    for prefix in ("bucket", "accesspoint", "control", "aws-application-migration-service-us-east-1.bucket"):
        assert network.resolve(f"{prefix}.{s3_endpoint}") != [], prefix
    # the zonal names are wildcards too: below them resolves, the bare zonal name does not
    label, rest = s3_endpoint.split(".", 1)
    zonal = next(
        name
        for name in (f"{label}-{az}.{rest}" for az in ("us-east-1a", "us-east-1b", "us-east-1c"))
        if network.resolve(f"bucket.{name}")
    )
    assert network.resolve(zonal) == []
