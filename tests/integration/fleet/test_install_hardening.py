"""The real Linux install script against what source servers really hold: the installer's
`--s3-endpoint` form, a ~/.curlrc, a hosts file that already names a pinned host or holds half a
block, repeated changes, and the rules that span parameters when the document is run by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fleet_helpers import MGN_NAME, REGION, Installs

from mgn_wave.agent_install.node_result import (
    PARAMETER_REJECTED,
    SOURCE_DNS_NOT_PRIVATE,
    SOURCE_DNS_UNRESOLVED,
    NodeStatus,
    parse_result,
)

if TYPE_CHECKING:
    from mgn_wave_emu.fleet import NodeSandbox

INSTALLER_BUCKET = f"aws-application-migration-service-{REGION}"


def _flag(arguments: list[str], flag: str) -> str | None:
    return arguments[arguments.index(flag) + 1] if flag in arguments else None


def _backups(sandbox: NodeSandbox) -> list[str]:
    return [p.read_text() for p in sorted(sandbox.hosts_file.parent.glob("hosts.mgn-wave.*.bak"))]


# --- the installer's --s3-endpoint ----------------------------------------------------------------


def test_install_bucket_form_passes_bucket_dot_endpoint_and_probes_that_name(public_dns: Installs) -> None:
    # Given: the S3 guide's SDK form chosen instead of the default
    parameters = public_dns.parameters("lin-form-bucket", dns_mode="hosts", S3EndpointForm="bucket")
    # When
    invocation = public_dns.run("lin-form-bucket", parameters)
    # Then: it resolves below the endpoint's `*.vpce-…` entry, so the install goes through
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.INSTALLED
    (arguments,) = public_dns.fleet.sandbox("lin-form-bucket").run_history[-1].installer_calls
    assert _flag(arguments, "--s3-endpoint") == f"bucket.{public_dns.path.s3_endpoint}"


def test_install_regional_form_is_stopped_by_the_probe_because_the_bare_name_does_not_resolve(
    public_dns: Installs,
) -> None:
    # Given: the bare regional name as --s3-endpoint (AWS publishes only `*.vpce-…` for S3)
    parameters = public_dns.parameters("lin-form-regional", dns_mode="hosts", S3EndpointForm="regional")
    # When
    invocation = public_dns.run("lin-form-regional", parameters)
    # Then: the probe resolves the very name the installer would get, and stops before any download
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.PROBE_FAILED
    assert result.codes == [SOURCE_DNS_UNRESOLVED]
    assert result.findings[0].detail == f"{public_dns.path.s3_endpoint} has no IPv4 address"
    run = public_dns.fleet.sandbox("lin-form-regional").run_history[-1]
    assert run.curl_calls == []
    assert run.installer_calls == []


def test_install_fake_installer_resolves_only_the_name_it_is_given(public_dns: Installs) -> None:
    # Given: a name the installer is never given does not resolve
    invented = f"aws-mgn-internal-{REGION}.bucket.{public_dns.path.s3_endpoint}"
    public_dns.fleet.override_dns(invented, [])
    try:
        # When
        invocation = public_dns.run("lin-no-invention", public_dns.parameters("lin-no-invention", dns_mode="hosts"))
    finally:
        public_dns.fleet.override_dns(invented, None)
    # Then: the install does not depend on it
    assert parse_result(invocation["StandardOutputContent"]).status is NodeStatus.INSTALLED


# --- (a) curl and ~/.curlrc -------------------------------------------------------------------------


def test_install_curlrc_that_turns_tls_checks_off_is_ignored(public_dns: Installs) -> None:
    # Given: root's ~/.curlrc says `insecure`
    sandbox = public_dns.fleet.sandbox("lin-curlrc")
    (sandbox.root / "home" / ".curlrc").write_text("insecure\n")
    # When
    invocation = public_dns.run("lin-curlrc", public_dns.parameters("lin-curlrc", dns_mode="hosts"))
    # Then: both downloads ran with the configuration file skipped, certificate checks on
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.INSTALLED, result.reason
    calls = sandbox.run_history[-1].curl_calls
    assert len(calls) == 2
    assert all(call.startswith("-q ") for call in calls)


# --- (b) a hosts file that already names a pinned host -----------------------------------------------


def test_install_hosts_line_already_naming_the_pinned_host_is_disarmed_so_the_pin_wins(public_dns: Installs) -> None:
    # Given: an old line sends the mgn name (and another alias) to a public address
    sandbox = public_dns.fleet.sandbox("lin-stale-hosts")
    stale = f"52.94.1.1   {MGN_NAME} legacy-mgn"
    sandbox.hosts_file.write_text(sandbox.hosts_file.read_text() + stale + "\n")
    before = sandbox.hosts_file.read_text()
    # When
    invocation = public_dns.run("lin-stale-hosts", public_dns.parameters("lin-stale-hosts", dns_mode="hosts"))
    # Then: the installer reached MGN through the pin; the old line is kept as a comment, its
    # other alias still resolves, and the file as it was is the backup
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.INSTALLED, result.reason
    lines = sandbox.hosts_file.read_text().splitlines()
    assert f"# mgn-wave disarmed: {stale}" in lines
    assert "52.94.1.1 legacy-mgn" in lines
    assert [line for line in lines if MGN_NAME in line and not line.startswith("#")] == [
        f"{public_dns.path.mgn_addresses[0]} {MGN_NAME}"
    ]
    assert _backups(sandbox) == [before]


def test_install_pins_that_do_not_decide_the_lookup_put_the_hosts_file_back_and_install_nothing(
    public_dns: Installs,
) -> None:
    # Given: a node whose resolver asks DNS before /etc/hosts (nsswitch `hosts: dns files`)
    fleet = public_dns.fleet
    sandbox = fleet.sandbox("lin-dns-first")
    fleet.set_hosts_lookup("lin-dns-first", "dns files")
    before = sandbox.hosts_file.read_text()
    # When
    invocation = public_dns.run("lin-dns-first", public_dns.parameters("lin-dns-first", dns_mode="hosts"))
    # Then: the script checked what the pinned name really resolves to, not what the pin promised
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.PROBE_FAILED
    assert result.codes == [SOURCE_DNS_NOT_PRIVATE]
    assert f"{MGN_NAME} resolves to 52.94." in result.findings[0].detail
    assert f"despite the pin {public_dns.path.mgn_addresses[0]}" in result.findings[0].detail
    assert sandbox.hosts_file.read_text() == before
    run = sandbox.run_history[-1]
    assert run.curl_calls == []
    assert run.installer_calls == []


# --- (c) half a block, and a backup on every change ----------------------------------------------------


def test_install_begin_marker_without_end_refuses_and_changes_nothing(public_dns: Installs) -> None:
    # Given: an interrupted write left a BEGIN marker and the lines after it are the operator's
    sandbox = public_dns.fleet.sandbox("lin-half-block")
    sandbox.hosts_file.write_text(
        sandbox.hosts_file.read_text() + "# BEGIN mgn-wave\n10.20.0.5 intranet.corp.example\n10.20.0.6 wiki\n"
    )
    before = sandbox.hosts_file.read_bytes()
    # When
    invocation = public_dns.run("lin-half-block", public_dns.parameters("lin-half-block", dns_mode="hosts"))
    # Then: a clear refusal naming the line, the file untouched, nothing downloaded or installed
    result = parse_result(invocation["StandardOutputContent"])
    assert result.status is NodeStatus.INSTALL_FAILED
    assert "line 3 has a '# BEGIN mgn-wave' or '# END mgn-wave' marker without its pair" in result.reason
    assert "nothing was changed" in result.reason
    assert sandbox.hosts_file.read_bytes() == before
    assert _backups(sandbox) == []
    run = sandbox.run_history[-1]
    assert run.curl_calls == []
    assert run.installer_calls == []
    assert sandbox.leftovers() == []


def test_install_every_change_to_the_hosts_file_keeps_its_own_backup(public_dns: Installs) -> None:
    # Given: a first install pins mgn; a later one pins mgn and ec2
    sandbox = public_dns.fleet.sandbox("lin-backups")
    original = sandbox.hosts_file.read_text()
    first = public_dns.parameters("lin-backups", dns_mode="hosts")
    ec2_name = f"ec2.{REGION}.amazonaws.com"
    second = public_dns.parameters(
        "lin-backups",
        dns_mode="hosts",
        HostsEntries={MGN_NAME: public_dns.path.mgn_addresses[0], ec2_name: public_dns.path.mgn_addresses[0]},
    )
    # When
    public_dns.run("lin-backups", first)
    after_first = sandbox.hosts_file.read_text()
    public_dns.run("lin-backups", second)
    public_dns.run("lin-backups", second)  # unchanged: no new backup
    # Then: one backup per change, each the file as it was before that change
    assert sorted(_backups(sandbox)) == sorted([original, after_first])
    assert f"{public_dns.path.mgn_addresses[0]} {ec2_name}\n# END mgn-wave" in sandbox.hosts_file.read_text()


# --- (d) the rules that span parameters, when the document is run by hand ----------------------------


def _console_run(installs: Installs, **changes: str) -> tuple[dict[str, str], str]:
    """Send the document as an operator would from the console: SSM checks each value's
    allowedPattern, nothing checks the rules between them."""
    values = {k: v[0] for k, v in installs.parameters("lin-console", dns_mode="hosts").to_document_parameters().items()}
    values |= changes
    ssm = installs.aws.client("ssm")
    command_id = ssm.send_command(
        DocumentName=installs.fleet.document_name,
        InstanceIds=[installs.node_id("lin-console")],
        Parameters={k: [v] for k, v in values.items()},
    )["Command"]["CommandId"]
    installs.finish()
    return values, installs.invocation(command_id, "lin-console")["StandardOutputContent"]


def test_console_run_with_a_loopback_pin_is_refused_by_the_script(public_dns: Installs) -> None:
    # Given: ssmmessages pinned to 127.0.0.1, ExpectedCidrs widened to cover it
    sandbox = public_dns.fleet.sandbox("lin-console")
    before = sandbox.hosts_file.read_text()
    # When
    _, stdout = _console_run(
        public_dns,
        ExpectedCidrs=",".join(["127.0.0.0/8", *public_dns.path.endpoint_cidrs]),
        HostsEntries=f"127.0.0.1 ssmmessages.{REGION}.amazonaws.com",
    )
    # Then: refused on the node, the field named, nothing changed or run
    result = parse_result(stdout)
    assert result.status is NodeStatus.PARAMETERS_REJECTED
    assert result.codes == [PARAMETER_REJECTED]
    assert result.findings[0].detail.startswith("ExpectedCidrs: 127.0.0.0/8 is not inside 10.0.0.0/8")
    assert sandbox.hosts_file.read_text() == before
    assert sandbox.run_history[-1].curl_calls == []


def test_console_run_with_a_pin_outside_expected_cidrs_or_a_name_pinned_twice_is_refused(
    public_dns: Installs,
) -> None:
    # Given
    sandbox = public_dns.fleet.sandbox("lin-console")
    before = sandbox.hosts_file.read_text()
    inside = public_dns.path.mgn_addresses[0]
    # When
    _, stdout = _console_run(public_dns, HostsEntries=f"10.99.0.1 {MGN_NAME},{inside} {MGN_NAME}")
    # Then: both rules named, nothing changed
    result = parse_result(stdout)
    assert result.status is NodeStatus.PARAMETERS_REJECTED
    assert [f.detail for f in result.findings] == [
        f"HostsEntries: {MGN_NAME} must point inside ExpectedCidrs, not at 10.99.0.1",
        f"HostsEntries: must name each host once ({MGN_NAME} is pinned twice)",
    ]
    assert sandbox.hosts_file.read_text() == before
    assert sandbox.run_history[-1].installer_calls == []
