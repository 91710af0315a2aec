"""One function per state-machine step: adapters in, plain models out. Handlers and the CLI call
these; the rules themselves live in the pure domain modules."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mgn_wave import timeutil
from mgn_wave.adapters.ssm import TERMINAL_INVOCATION_STATUSES, chunks
from mgn_wave.adapters.wave_store import RESULT_TTL_SECONDS
from mgn_wave.agent_install import (
    DnsMode,
    actively_replicating,
    install_outcome,
    installer_settings,
    known_to_mgn,
    over_quota,
    private_endpoints,
    skipped_as_registered,
)
from mgn_wave.errors import AwsResourceNotFoundError, GuardrailViolationError, MgnConflictError
from mgn_wave.install.parameters import STEP_NAME_BY_PLATFORM, parse_install_parameters
from mgn_wave.models.preflight import PreflightReport
from mgn_wave.models.replication import Action, EnforcementReport, FieldChange, ResourceDrift
from mgn_wave.models.server import (
    InstallCommand,
    InstalledServer,
    InstallLaunch,
    InstallProgress,
    InstallsChecked,
    InstallSettings,
    ManagedNode,
    ResolvedWave,
    ServerResult,
    ServerStatus,
    Stage,
    WaveServers,
    WaveSummary,
)
from mgn_wave.models.validation import parse_model
from mgn_wave.models.verdict import Outcome
from mgn_wave.models.wave import WaveInput
from mgn_wave.preflight.checks import run_preflight
from mgn_wave.replication.classifier import classify
from mgn_wave.replication_policy import (
    creation_settings,
    desired_for,
    drift,
    guardrail_violations,
    select_template,
    wave_members,
)
from mgn_wave.report import render_markdown

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import datetime

    from mgn_wave.adapters.ec2 import Ec2Adapter
    from mgn_wave.adapters.mgn import MgnAdapter
    from mgn_wave.adapters.ssm import SsmAdapter
    from mgn_wave.adapters.sts import StsAdapter
    from mgn_wave.adapters.tokens import CallbackAdapter, TaskTokenStore
    from mgn_wave.adapters.wave_store import WaveStore
    from mgn_wave.models.network import PrivatePathTarget
    from mgn_wave.models.replication import ReplicationPolicy
    from mgn_wave.models.verdict import ReplicationVerdict
    from mgn_wave.report import WaveReport


def validate_wave_input(execution_input: Any) -> WaveInput:
    """The execution input, or InvalidInputError naming the field and the allowed form."""
    return parse_model(WaveInput, execution_input)


def preflight(target: PrivatePathTarget, ec2: Ec2Adapter) -> PreflightReport:
    """Read the staging network once and check every link of the private path."""
    snapshot = ec2.collect_network_snapshot(target)
    return PreflightReport.from_findings(run_preflight(snapshot, target))


def enforce_replication_settings(
    *,
    wave_input: WaveInput,
    policy: ReplicationPolicy,
    target: PrivatePathTarget,
    template_id: str | None,
    wave_tag_key: str,
    mgn: MgnAdapter,
    ec2: Ec2Adapter,
) -> EnforcementReport:
    """Hold the private-path settings on the replication template and on every server of the wave
    that MGN already knows. Everything is read and checked before the first write."""
    snapshot = ec2.collect_network_snapshot(target)
    template = select_template(mgn.list_replication_templates(), template_id)
    members = wave_members(mgn.describe_source_servers(), wave_input, wave_tag_key)
    configurations = {
        server["sourceServerID"]: mgn.get_replication_configuration(server["sourceServerID"]) for server in members
    }
    violations = guardrail_violations(policy, target, snapshot, [template or {}, *configurations.values()])
    if violations:
        raise GuardrailViolationError("nothing was written: " + "; ".join(violations))

    dry_run = wave_input.dry_run
    template_drift = _enforce_template(template, policy, mgn, dry_run=dry_run)
    server_drifts = tuple(
        _enforce_server(source_server_id, configuration, policy, mgn, dry_run=dry_run)
        for source_server_id, configuration in configurations.items()
    )
    return EnforcementReport(dry_run=dry_run, template=template_drift, servers=server_drifts)


def _enforce_template(
    template: Mapping[str, Any] | None, policy: ReplicationPolicy, mgn: MgnAdapter, *, dry_run: bool
) -> ResourceDrift:
    if template is None:
        settings = creation_settings(policy)
        changes = tuple(FieldChange(field=f, before=None, after=v) for f, v in sorted(settings.items()))
        if dry_run:
            return ResourceDrift(resource_id="(new template)", action=Action.WOULD_CREATE, changes=changes)
        created = mgn.create_replication_template(settings)
        return ResourceDrift(
            resource_id=created["replicationConfigurationTemplateID"], action=Action.CREATED, changes=changes
        )
    template_id = str(template["replicationConfigurationTemplateID"])
    changes = drift(template, desired_for(policy, template))
    if not changes:
        return ResourceDrift(resource_id=template_id, action=Action.UNCHANGED)
    if dry_run:
        return ResourceDrift(resource_id=template_id, action=Action.WOULD_UPDATE, changes=changes)
    mgn.update_replication_template(template_id, {change.field: change.after for change in changes})
    return ResourceDrift(resource_id=template_id, action=Action.UPDATED, changes=changes)


def configure_server(
    source_server_id: str, policy: ReplicationPolicy, mgn: MgnAdapter, *, dry_run: bool
) -> ResourceDrift:
    """A freshly registered server gets the private-path settings (its copy of the template may
    predate EnforceTemplate's fix, or the operator's template may have changed since)."""
    configuration = mgn.get_replication_configuration(source_server_id)
    return _enforce_server(source_server_id, configuration, policy, mgn, dry_run=dry_run)


def _enforce_server(
    source_server_id: str,
    configuration: Mapping[str, Any],
    policy: ReplicationPolicy,
    mgn: MgnAdapter,
    *,
    dry_run: bool,
) -> ResourceDrift:
    changes = drift(configuration, desired_for(policy, configuration))
    if not changes:
        return ResourceDrift(resource_id=source_server_id, action=Action.UNCHANGED)
    if dry_run:
        return ResourceDrift(resource_id=source_server_id, action=Action.WOULD_UPDATE, changes=changes)
    try:
        mgn.update_replication_configuration(source_server_id, {change.field: change.after for change in changes})
    except (MgnConflictError, AwsResourceNotFoundError) as exc:
        # One busy or vanished server must not stop the others; its result says why.
        return ResourceDrift(resource_id=source_server_id, action=Action.FAILED, changes=changes, error=str(exc))
    return ResourceDrift(resource_id=source_server_id, action=Action.UPDATED, changes=changes)


# --- waiting for replication ---------------------------------------------------------------------


def replication_verdict(source_server_id: str, mgn: MgnAdapter, *, deadline: datetime | None) -> ReplicationVerdict:
    """One DescribeSourceServers call, one verdict."""
    servers = mgn.describe_source_servers([source_server_id])
    if not servers:
        raise AwsResourceNotFoundError(f"source server {source_server_id} is no longer known to MGN")
    return classify(servers[0], now=timeutil.utcnow(), deadline=deadline)


def start_waiting(
    *,
    source_server_id: str,
    execution: str,
    task_token: str,
    deadline: datetime,
    mgn: MgnAdapter,
    tokens: TaskTokenStore,
    callbacks: CallbackAdapter,
) -> ReplicationVerdict:
    """Decide now if the server already has a verdict; otherwise leave the token where the MGN
    event handler will find it. The token outlives the deadline by a day, then DynamoDB drops it."""
    verdict = replication_verdict(source_server_id, mgn, deadline=deadline)
    if verdict.outcome is Outcome.WAITING:
        ttl = int((deadline - timeutil.utcnow()).total_seconds()) + 86_400
        tokens.put(source_server_id, execution, task_token, ttl_seconds=max(ttl, 3600))
    else:
        callbacks.complete(task_token, verdict.model_dump(mode="json", by_alias=True))
    return verdict


def on_mgn_event(source_server_id: str, *, mgn: MgnAdapter, tokens: TaskTokenStore, callbacks: CallbackAdapter) -> int:
    """An MGN event for a server: confirm with one describe call and complete every task waiting
    on it when the verdict is decisive. Returns the number of tasks completed."""
    waiting = tokens.tokens(source_server_id)
    if not waiting:
        return 0  # nobody waits on this server: no need to ask MGN anything
    verdict = replication_verdict(source_server_id, mgn, deadline=None)
    if verdict.outcome is Outcome.WAITING:
        return 0  # e.g. NOT_STALLED during the initial sync: keep waiting
    completed = 0
    output = verdict.model_dump(mode="json", by_alias=True)
    for execution, token in waiting:
        completed += callbacks.complete(token, output)
        tokens.forget(source_server_id, execution, token)
    return completed


# --- the wave's servers ----------------------------------------------------------------------------

SUPPORTED_PLATFORMS = frozenset({"Linux", "Windows"})


def resolve_servers(
    wave_input: WaveInput, *, wave_tag_key: str, deadline_hours: int, poll_minutes: int, ssm: SsmAdapter
) -> ResolvedWave:
    """The wave's servers as SSM managed nodes: named in the input, else tagged with the wave.
    A server that cannot take part becomes a result that says why."""
    if wave_input.instance_ids is not None:
        nodes = ssm.managed_nodes(instance_ids=wave_input.instance_ids)
    else:
        nodes = ssm.managed_nodes(tag=(wave_tag_key, wave_input.wave))
    found = {node.instance_id: node for node in nodes}
    results = [
        ServerResult(
            instance_id=instance_id,
            status=ServerStatus.FAILED,
            stage=Stage.RESOLVE,
            reason=f"{instance_id} is not an SSM managed node in this Region",
            hint="Register it with SSM (hybrid activation for on-premises servers) and check that the ssm, "
            "ssmmessages and ec2messages endpoints are reachable from it.",
        )
        for instance_id in (wave_input.instance_ids or ())
        if instance_id not in found
    ]
    servers = []
    for node in found.values():
        if not node.online:
            results.append(
                ServerResult(
                    instance_id=node.instance_id,
                    status=ServerStatus.FAILED,
                    stage=Stage.RESOLVE,
                    reason=f"the SSM Agent on {node.instance_id} is {node.ping_status}, so Run Command cannot reach it",
                    hint="Start the SSM Agent and check TCP 443 from the server to the ssm, ssmmessages and "
                    "ec2messages endpoints.",
                )
            )
        elif node.platform not in SUPPORTED_PLATFORMS:
            results.append(
                ServerResult(
                    instance_id=node.instance_id,
                    status=ServerStatus.SKIPPED,
                    stage=Stage.RESOLVE,
                    reason=f"platform {node.platform} is not supported by the AWS Replication Agent",
                )
            )
        else:
            servers.append(node)
    deadline = timeutil.utcnow() + timedelta(hours=deadline_hours)
    return ResolvedWave(
        servers=tuple(servers), results=tuple(results), deadline=deadline, poll_seconds=poll_minutes * 60
    )


def unaccounted(expected: list[str], results: list[ServerResult]) -> list[ServerResult]:
    """A server of the wave with no result at all (its per-server execution ended without recording
    one) still gets a line in the report: nothing is lost silently."""
    recorded = {result.instance_id for result in results}
    return [
        ServerResult(
            instance_id=instance_id,
            status=ServerStatus.FAILED,
            stage=Stage.REPLICATION,
            reason="no result was recorded for this server: its per-server execution ended without one",
            hint="See the ForEachServer Map Run of this execution in the Step Functions console; rerun the wave "
            "(servers already replicating are skipped).",
        )
        for instance_id in expected
        if instance_id not in recorded
    ]


def summarize(wave: str, result_lists: list[list[dict[str, Any]]]) -> WaveSummary:
    """Every stage's results in one list (a server appears once), and the totals."""
    by_instance: dict[str, ServerResult] = {}
    for results in result_lists:
        for raw in results:
            result = ServerResult.model_validate(raw)
            by_instance[result.instance_id] = result  # later stages know more than earlier ones
    servers = tuple(sorted(by_instance.values(), key=lambda r: r.instance_id))
    totals = {status.value: sum(1 for r in servers if r.status is status) for status in ServerStatus}
    totals["total"] = len(servers)
    return WaveSummary(wave=wave, totals=totals, servers=servers)


# --- installing the agent ----------------------------------------------------------------------


def install_agents(
    *,
    wave_input: WaveInput,
    execution_name: str,
    nodes: list[ManagedNode],
    settings: InstallSettings,
    target: PrivatePathTarget,
    ec2: Ec2Adapter,
    mgn: MgnAdapter,
    ssm: SsmAdapter,
    sts: StsAdapter,
) -> InstallLaunch:
    """Probe-then-install on every node that needs it: one SendCommand per 50 nodes, with 15-minute
    credentials that go into the command only. A retry finds the commands its first run sent
    (by their comment) and never sends a second one."""
    registered = mgn.describe_source_servers()
    known = known_to_mgn(registered)
    results: list[ServerResult] = []
    to_install: dict[str, list[str]] = {}  # platform → instance IDs
    for node in nodes:
        server = known.get(node.instance_id)
        verdict = classify(server, now=timeutil.utcnow()) if server else None
        if server and verdict and verdict.outcome is not Outcome.FAILED and not wave_input.force:
            results.append(skipped_as_registered(node.instance_id, server, verdict.phase))
        elif wave_input.dry_run:
            results.append(
                ServerResult(
                    instance_id=node.instance_id,
                    status=ServerStatus.SKIPPED,
                    stage=Stage.INSTALL,
                    reason="dry run: the agent would be installed here",
                )
            )
        else:
            to_install.setdefault(node.platform, []).append(node.instance_id)
    # Cap the wave at MGN's quota of actively replicating servers: the first ones in name order
    # are installed, the rest are skipped with the reason (installing them would fail in MGN).
    active = actively_replicating(registered)
    headroom = max(settings.active_replication_quota - active, 0)
    ordered = sorted((platform, instance_id) for platform, ids in to_install.items() for instance_id in ids)
    for platform, instance_id in ordered[headroom:]:
        to_install[platform].remove(instance_id)
        results.append(over_quota(instance_id, active, settings.active_replication_quota))
    to_install = {platform: ids for platform, ids in to_install.items() if ids}
    if not to_install:
        return InstallLaunch(commands=(), results=tuple(results))

    snapshot = ec2.collect_network_snapshot(target)
    endpoint_enis = [eni for e in snapshot.endpoints for eni in e.network_interface_ids]
    endpoints = private_endpoints(snapshot, target, ec2.private_addresses(endpoint_enis))
    credentials = sts.install_credentials(settings.install_role_arn, f"mgn-wave-{wave_input.wave}")
    access_key_id, secret_access_key, session_token = credentials.reveal()
    parameters = parse_install_parameters(
        {
            "mode": "install",
            "region": target.region,
            "s3_endpoint": endpoints.s3_dns_name,
            "user_provided_id": "",  # each node uses its own managed-node ID (one command serves 50 nodes)
            "wave_tags": {settings.wave_tag_key: wave_input.wave},
            "expected_cidrs": list(endpoints.endpoint_cidrs),
            "min_free_disk_mib": settings.min_free_disk_mib,
            "access_key_id": access_key_id,
            "secret_access_key": secret_access_key,
            "session_token": session_token,
            **installer_settings(DnsMode(settings.dns_mode), endpoints),
        }
    )
    commands = []
    batches = [(platform, batch) for platform, ids in sorted(to_install.items()) for batch in chunks(ids)]
    for number, (platform, batch) in enumerate(batches, start=1):
        # ≤100 characters; unique per execution and batch: how a retry recognises its own sends
        comment = f"mgn-wave install {execution_name[-60:]} #{number}"
        already = ssm.commands_with_comment(comment)
        command_id = (
            str(already[0]["CommandId"])
            if already
            else ssm.send_command(
                document_name=settings.document_name,
                instance_ids=batch,
                parameters=parameters.to_document_parameters(),
                comment=comment,
            )
        )
        commands.append(InstallCommand(command_id=command_id, platform=platform, instance_ids=tuple(batch)))
    return InstallLaunch(commands=tuple(commands), results=tuple(results))


def check_installs(commands: list[InstallCommand], ssm: SsmAdapter) -> InstallProgress:
    """Pending while any node's invocation is unfinished; then each node's verdict."""
    statuses = {command.command_id: ssm.invocation_statuses(command.command_id) for command in commands}
    for command in commands:
        seen = statuses[command.command_id]
        # A node's invocation may not be listed yet right after the send (eventual consistency).
        if any(seen.get(i) not in TERMINAL_INVOCATION_STATUSES for i in command.instance_ids):
            return InstallProgress(pending=True)
    installed: list[InstalledServer] = []
    results: list[ServerResult] = []
    for command in commands:
        for instance_id in command.instance_ids:
            invocation = ssm.invocation(command.command_id, instance_id, STEP_NAME_BY_PLATFORM[command.platform])
            outcome = install_outcome(instance_id, statuses[command.command_id][instance_id], invocation)
            if isinstance(outcome, InstalledServer):
                installed.append(outcome)
            else:
                results.append(outcome)
    return InstallProgress(pending=False, installed=tuple(installed), results=tuple(results))


def wave_key(wave: str, execution_name: str, name: str) -> str:
    """Where an execution keeps its lists and its report in the wave bucket."""
    return f"waves/{wave}/{execution_name}/{name}"


def result_expiry() -> int:
    return int(timeutil.utcnow().timestamp()) + RESULT_TTL_SECONDS


def write_report(report: WaveReport, store: WaveStore) -> dict[str, str]:
    """The JSON and the Markdown report side by side; returns where they are."""
    json_key = wave_key(report.summary.wave, report.execution, "report.json")
    markdown_key = wave_key(report.summary.wave, report.execution, "report.md")
    store.put_text(json_key, report.model_dump_json(by_alias=True, indent=2), "application/json")
    store.put_text(markdown_key, render_markdown(report), "text/markdown; charset=utf-8")
    return {"bucket": store.bucket, "jsonKey": json_key, "markdownKey": markdown_key}


def resolve_wave(
    wave_input: WaveInput,
    execution_name: str,
    *,
    wave_tag_key: str,
    deadline_hours: int,
    poll_minutes: int,
    server_concurrency: int,
    ssm: SsmAdapter,
    store: WaveStore,
) -> WaveServers:
    """The wave's servers into the wave bucket (the state carries only where they are), and the
    servers that cannot take part into the results table."""
    resolved = resolve_servers(
        wave_input, wave_tag_key=wave_tag_key, deadline_hours=deadline_hours, poll_minutes=poll_minutes, ssm=ssm
    )
    key = wave_key(wave_input.wave, execution_name, "servers.json")
    store.put_list(key, [node.model_dump(mode="json", by_alias=True) for node in resolved.servers])
    store.record(execution_name, resolved.results, result_expiry())
    return WaveServers(
        servers_key=key,
        server_count=len(resolved.servers),
        deadline=resolved.deadline,
        poll_seconds=resolved.poll_seconds,
        server_concurrency=server_concurrency,
    )


def check_installs_into(
    wave: str, execution_name: str, commands: list[InstallCommand], ssm: SsmAdapter, store: WaveStore
) -> InstallsChecked:
    """CheckInstalls for a wave of any size: failures into the results table, the registered
    servers into the wave bucket for the per-server map to read."""
    progress = check_installs(commands, ssm)
    if progress.pending:
        return InstallsChecked(pending=True)
    store.record(execution_name, progress.results, result_expiry())
    key = wave_key(wave, execution_name, "installed.json")
    store.put_list(key, [server.model_dump(mode="json", by_alias=True) for server in progress.installed])
    return InstallsChecked(pending=False, installed_key=key, installed_count=len(progress.installed))
