"""Installing the agent: probe-then-install through Run Command, then each node's verdict."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.ssm import TERMINAL_INVOCATION_STATUSES, chunks
from mgn_wave.agent_install.models import (
    InstallCommand,
    InstalledServer,
    InstallLaunch,
    InstallProgress,
    InstallsChecked,
    InstallSettings,
)
from mgn_wave.agent_install.parameters import STEP_NAME_BY_PLATFORM, parse_install_parameters
from mgn_wave.agent_install.rules import (
    DnsMode,
    actively_replicating,
    install_outcome,
    installer_settings,
    known_to_mgn,
    over_quota,
    private_endpoints,
    skipped_as_registered,
)
from mgn_wave.core import timeutil
from mgn_wave.core.server_result import ServerResult, Stage
from mgn_wave.replication_wait.classifier import classify
from mgn_wave.replication_wait.models import Outcome
from mgn_wave.waves.flow import result_expiry, wave_key

if TYPE_CHECKING:
    from mgn_wave.adapters.ec2 import Ec2Adapter
    from mgn_wave.adapters.mgn import MgnAdapter
    from mgn_wave.adapters.ssm import SsmAdapter
    from mgn_wave.adapters.sts import StsAdapter
    from mgn_wave.adapters.wave_store import WaveStore
    from mgn_wave.preflight.network import PrivatePathTarget
    from mgn_wave.waves.models import ManagedNode, WaveInput


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
    credentials that go into the command only. A retry (after a crash right after a send) finds the
    commands an earlier attempt of this execution sent, by their comment, and keeps their nodes in
    them: it never sends a node a second command, and never mistakes a node the first attempt just
    registered for one that was registered before the wave."""
    platform_of = {node.instance_id: node.platform for node in nodes}
    sent = [] if wave_input.dry_run else _sent_earlier(execution_name, settings.document_name, ssm)
    earlier = [
        InstallCommand(
            command_id=str(command["CommandId"]),
            platform=platform_of[str(command["InstanceIds"][0])],
            instance_ids=tuple(str(i) for i in command["InstanceIds"]),
        )
        for command in sent
    ]
    in_flight = {instance_id for command in earlier for instance_id in command.instance_ids}
    registered = mgn.describe_source_servers()
    known = known_to_mgn(registered)
    results: list[ServerResult] = []
    to_install: dict[str, list[str]] = {}  # platform → instance IDs
    for node in nodes:
        if node.instance_id in in_flight:
            continue  # an earlier attempt's command installs it; CheckInstalls gives its verdict
        server = known.get(node.instance_id)
        verdict = classify(server, now=timeutil.utcnow()) if server else None
        if server and verdict and verdict.outcome is not Outcome.FAILED and not wave_input.force:
            results.append(skipped_as_registered(node.instance_id, server, verdict.phase))
        elif wave_input.dry_run:
            results.append(
                ServerResult.skipped(node.instance_id, Stage.INSTALL, "dry run: the agent would be installed here")
            )
        else:
            to_install.setdefault(node.platform, []).append(node.instance_id)
    # Cap the wave at MGN's quota of actively replicating servers: the first ones in name order
    # are installed, the rest are skipped with the reason (installing them would fail in MGN).
    # (The nodes in flight count as they did for the first attempt, registered by now or not.)
    registered_in_flight = {id(known[i]): known[i] for i in in_flight if i in known}
    active = actively_replicating(registered) - actively_replicating(registered_in_flight.values())
    headroom = max(settings.active_replication_quota - active - len(in_flight), 0)
    ordered = sorted((platform, instance_id) for platform, ids in to_install.items() for instance_id in ids)
    for platform, instance_id in ordered[headroom:]:
        to_install[platform].remove(instance_id)
        results.append(over_quota(instance_id, active, settings.active_replication_quota))
    to_install = {platform: ids for platform, ids in to_install.items() if ids}
    if not to_install:
        return InstallLaunch(commands=tuple(earlier), results=tuple(results))

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
            "s3_endpoint_form": settings.s3_endpoint_form,
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
    commands = list(earlier)
    batches = [(platform, batch) for platform, ids in sorted(to_install.items()) for batch in chunks(ids)]
    for number, (platform, batch) in enumerate(batches, start=len(earlier) + 1):
        command_id = ssm.send_command(
            document_name=settings.document_name,
            instance_ids=batch,
            parameters=parameters.to_document_parameters(),
            comment=_comment(execution_name, number),
        )
        commands.append(InstallCommand(command_id=command_id, platform=platform, instance_ids=tuple(batch)))
    return InstallLaunch(commands=tuple(commands), results=tuple(results))


def _comment(execution_name: str, number: int) -> str:
    """≤100 characters; unique per execution and batch: how a retry recognises its own sends."""
    return f"mgn-wave install {execution_name[-60:]} #{number}"


# An earlier attempt of the same execution sent its commands minutes ago (the state machine's
# retries span well under an hour); a day bounds the listing with room to spare.
EARLIER_ATTEMPTS_WITHIN = timedelta(days=1)


def _sent_earlier(execution_name: str, document_name: str, ssm: SsmAdapter) -> list[dict[str, Any]]:
    """The commands earlier attempts of this execution sent, in order. An attempt numbers its
    batches on from the last one sent and sends them in order, so the numbers have no gap: the
    first one not found ends the search. One listing, filtered by the service to our document and
    the last day, not one listing of every command in the Region per batch."""
    by_comment: dict[str, dict[str, Any]] = {}
    since = timeutil.utcnow() - EARLIER_ATTEMPTS_WITHIN
    for command in ssm.commands_of_document(document_name, invoked_after=since):
        by_comment.setdefault(str(command.get("Comment", "")), command)
    sent: list[dict[str, Any]] = []
    while (found := by_comment.get(_comment(execution_name, len(sent) + 1))) is not None:
        sent.append(found)
    return sent


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
