"""Replication settings: the template and every server of the wave hold the private path."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.core.errors import AwsResourceNotFoundError, GuardrailViolationError, MgnConflictError
from mgn_wave.replication_settings.models import (
    Action,
    EnforcementReport,
    EnforcementSummary,
    FieldChange,
    ResourceDrift,
)
from mgn_wave.replication_settings.rules import (
    creation_settings,
    desired_for,
    drift,
    guardrail_violations,
    select_template,
    wave_members,
)
from mgn_wave.waves.flow import wave_key

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mgn_wave.adapters.ec2 import Ec2Adapter
    from mgn_wave.adapters.mgn import MgnAdapter
    from mgn_wave.adapters.wave_store import WaveStore
    from mgn_wave.preflight.network import PrivatePathTarget
    from mgn_wave.replication_settings.models import ReplicationPolicy
    from mgn_wave.waves.models import WaveInput


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


def store_enforcement_report(
    report: EnforcementReport, *, wave: str, execution_name: str, store: WaveStore
) -> EnforcementSummary:
    """The whole drift report into the wave bucket (Summarize puts it in the wave report); the
    state machine keeps only the template's drift, the counts and the key, so its state does not
    grow by a line per drifted server."""
    key = wave_key(wave, execution_name, "replication-settings.json")
    store.put_text(key, report.model_dump_json(by_alias=True), "application/json")
    return EnforcementSummary(
        dry_run=report.dry_run,
        template=report.template,
        servers_checked=len(report.servers),
        servers_changed=sum(1 for server in report.servers if server.changes),
        report_key=key,
    )


def load_enforcement_report(summary: EnforcementSummary, store: WaveStore) -> EnforcementReport:
    return EnforcementReport.model_validate_json(store.get_text(summary.report_key))


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
