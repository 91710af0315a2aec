"""Pure rules for the replication settings a private path needs: which template, what drifted,
and whether it is safe to write. No AWS calls here; `steps.enforce_replication_settings` does I/O."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.errors import AmbiguousTemplateError, AwsResourceNotFoundError
from mgn_wave.models.replication import CREATE_DEFAULTS, FieldChange
from mgn_wave.models.source_server import SourceServerRecord
from mgn_wave.preflight.checks import replication_sgs_admit_1500

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

    from mgn_wave.models.network import NetworkSnapshot, PrivatePathTarget
    from mgn_wave.models.replication import ReplicationPolicy
    from mgn_wave.models.wave import WaveInput

# Compared as sets: MGN may return the security groups in any order.
_UNORDERED_FIELDS = {"replicationServersSecurityGroupsIDs"}


def select_template(templates: Sequence[Mapping[str, Any]], wanted_id: str | None) -> Mapping[str, Any] | None:
    """The template to enforce: the one named by the stack parameter, else the only one.
    None means there is none yet and one must be created."""
    if wanted_id:
        for template in templates:
            if template["replicationConfigurationTemplateID"] == wanted_id:
                return template
        raise AwsResourceNotFoundError(
            f"replication template {wanted_id} (stack parameter ReplicationTemplateId) does not exist; "
            f"existing: {_ids(templates) or 'none'}"
        )
    if len(templates) > 1:
        raise AmbiguousTemplateError(
            f"{len(templates)} replication templates exist ({_ids(templates)}); set the stack parameter "
            "ReplicationTemplateId to the one MigrateWave should enforce"
        )
    return templates[0] if templates else None


def wave_members(
    servers: Iterable[Mapping[str, Any]], wave_input: WaveInput, wave_tag_key: str
) -> list[Mapping[str, Any]]:
    """The wave's servers MGN already knows: the named instances when the input lists them
    (matched on the user-provided ID we install with, or the AWS instance ID hint), else those
    tagged with the wave. Archived servers are history, not members."""
    members = []
    for server in servers:
        record = SourceServerRecord(server)
        if record.archived:
            continue
        if wave_input.instance_ids is not None:
            if set(record.instance_ids) & set(wave_input.instance_ids):
                members.append(server)
        elif record.tags.get(wave_tag_key) == wave_input.wave:
            members.append(server)
    return members


def _ids(templates: Iterable[Mapping[str, Any]]) -> str:
    return ", ".join(t["replicationConfigurationTemplateID"] for t in templates)


def _normalise(field: str, value: Any) -> Any:
    if field in _UNORDERED_FIELDS and isinstance(value, list | tuple):
        return sorted(value)
    return value


def desired_for(policy: ReplicationPolicy, current: Mapping[str, Any]) -> dict[str, Any]:
    """The values to hold on a resource: ours, plus our staging tags merged over the operator's."""
    desired = policy.desired_fields()
    if policy.staging_area_tags:
        desired["stagingAreaTags"] = {**current.get("stagingAreaTags", {}), **policy.staging_area_tags}
    return desired


def drift(current: Mapping[str, Any], desired: Mapping[str, Any]) -> tuple[FieldChange, ...]:
    """Every desired field whose current value differs, in a stable order."""
    changes = []
    for field in sorted(desired):
        before = _normalise(field, current.get(field))
        after = _normalise(field, desired[field])
        if before != after:
            changes.append(FieldChange(field=field, before=before, after=after))
    return tuple(changes)


def creation_settings(policy: ReplicationPolicy) -> dict[str, Any]:
    """All eleven required fields of CreateReplicationConfigurationTemplate, ours over defaults."""
    return {**CREATE_DEFAULTS, **desired_for(policy, {})}


def guardrail_violations(
    policy: ReplicationPolicy,
    target: PrivatePathTarget,
    snapshot: NetworkSnapshot,
    current_settings: Iterable[Mapping[str, Any]],
) -> list[str]:
    """Reasons not to write at all. Checked before the first write, so nothing is half-applied."""
    violations: list[str] = []
    if snapshot.subnet(policy.staging_subnet_id) is None:
        violations.append(
            f"staging subnet {policy.staging_subnet_id} is not in the staging VPC {target.staging_vpc_id}"
        )
    for sg_id in policy.replication_sg_ids:
        if snapshot.security_group(sg_id) is None:
            violations.append(f"replication security group {sg_id} is not in the staging VPC {target.staging_vpc_id}")
    violations.extend(
        f"{finding.message} Fix: {finding.fix}"
        for finding in replication_sgs_admit_1500(snapshot, policy.replication_sg_ids, target.source_cidrs)
    )
    for settings in current_settings:
        if settings.get("internetProtocol") == "IPV6":
            owner = settings.get("replicationConfigurationTemplateID") or settings.get("sourceServerID")
            violations.append(
                f"{owner} uses internetProtocol=IPV6, and MGN does not support private IP data "
                "replication over IPv6; set internetProtocol to IPV4 first"
            )
    return violations
