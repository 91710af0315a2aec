"""Configuration from the environment `template.yaml` sets, validated once per invocation.

A missing or malformed variable fails loudly with the stack parameter it comes from; nothing
falls back to a silent default.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import TYPE_CHECKING

from pydantic import ValidationError

from mgn_wave.core.errors import ConfigurationError

if TYPE_CHECKING:
    from mgn_wave.agent_install.models import InstallSettings
    from mgn_wave.preflight.network import PrivatePathTarget
    from mgn_wave.replication_settings.models import ReplicationPolicy

# Every handler imports this module, most read only a name or two: the models a getter returns
# are imported inside that getter, so a handler's cold start pays only for the ones it uses.

# environment variable -> (stack parameter it comes from, PrivatePathTarget field)
_PRIVATE_PATH_VARIABLES = {
    "AWS_REGION": ("the Lambda runtime", "region"),
    "STAGING_VPC_ID": ("StagingVpcId", "staging_vpc_id"),
    "STAGING_SUBNET_ID": ("StagingSubnetId", "staging_subnet_id"),
    "REPLICATION_SG_IDS": ("ReplicationSecurityGroupIds", "replication_sg_ids"),
    "SOURCE_CIDRS": ("SourceCidrs", "source_cidrs"),
}
_OTHER_ORIGINS = {"WAVE_TAG_KEY": "WaveTagKey"}
_LIST_VARIABLES = {"REPLICATION_SG_IDS", "SOURCE_CIDRS"}


def _require(name: str) -> str:
    value = os.environ.get(name, "").strip()
    if not value:
        origin = _PRIVATE_PATH_VARIABLES.get(name, (_OTHER_ORIGINS.get(name, "template.yaml"),))[0]
        raise ConfigurationError(f"environment variable {name} is not set (it comes from {origin})")
    return value


def private_path_from_env() -> PrivatePathTarget:
    """The staging network and source ranges this stack was deployed for."""
    from mgn_wave.core.validation import first_error  # noqa: PLC0415 (see the note at the top)
    from mgn_wave.preflight.network import PrivatePathTarget  # noqa: PLC0415 (see the note at the top)

    values: dict[str, object] = {}
    for variable, (_, field) in _PRIVATE_PATH_VARIABLES.items():
        raw = _require(variable)
        values[field] = tuple(item.strip() for item in raw.split(",")) if variable in _LIST_VARIABLES else raw
    try:
        return PrivatePathTarget.model_validate(values)
    except ValidationError as exc:
        field, message = first_error(PrivatePathTarget, exc)
        variable = next((v for v, (_, f) in _PRIVATE_PATH_VARIABLES.items() if f == field), field)
        raise ConfigurationError(f"environment variable {variable}: {message}") from None


def _optional(name: str) -> str | None:
    """A variable the template always sets, whose empty value means "the operator chose nothing"."""
    if name not in os.environ:
        raise ConfigurationError(f"environment variable {name} is not set (template.yaml sets it, even if empty)")
    return os.environ[name].strip() or None


def _staging_area_tags(raw: str | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in (raw or "").split(","):
        if not item.strip():
            continue
        key, separator, value = item.partition("=")
        if not separator or not key.strip():
            raise ConfigurationError(
                f"environment variable STAGING_AREA_TAGS: {item!r} is not Key=Value (from StagingAreaTags)"
            )
        tags[key.strip()] = value.strip()
    return tags


def replication_policy_from_env(target: PrivatePathTarget) -> ReplicationPolicy:
    """Private-path values from the target, and the operator's optional tuning."""
    from mgn_wave.replication_settings.models import ReplicationPolicy  # noqa: PLC0415 (see the note at the top)

    bandwidth = _optional("BANDWIDTH_THROTTLING_MBPS")
    encryption = _optional("EBS_ENCRYPTION")
    key_arn = _optional("EBS_ENCRYPTION_KEY_ARN")
    if encryption == "CUSTOM" and not key_arn:
        raise ConfigurationError(
            "EBS_ENCRYPTION=CUSTOM needs EBS_ENCRYPTION_KEY_ARN (stack parameter EbsEncryptionKeyArn)"
        )
    try:
        return ReplicationPolicy(
            staging_subnet_id=target.staging_subnet_id,
            replication_sg_ids=target.replication_sg_ids,
            replication_server_instance_type=_optional("REPLICATION_SERVER_INSTANCE_TYPE"),
            ebs_encryption=encryption,
            ebs_encryption_key_arn=key_arn,
            bandwidth_throttling_mbps=int(bandwidth) if bandwidth is not None else None,
            staging_area_tags=_staging_area_tags(_optional("STAGING_AREA_TAGS")),
        )
    except (ValidationError, ValueError) as exc:
        raise ConfigurationError(f"replication settings from the environment: {exc}") from None


def replication_template_id_from_env() -> str | None:
    return _optional("REPLICATION_TEMPLATE_ID")


def wave_tag_key_from_env() -> str:
    return _require("WAVE_TAG_KEY")


def region_from_env() -> str:
    return _require("AWS_REGION")


def state_table_from_env() -> str:
    return _require("STATE_TABLE_NAME")


def _whole_number(name: str, low: int, high: int, parameter: str) -> int:
    raw = _require(name)
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise ConfigurationError(f"environment variable {name}: {raw!r} is not {low}..{high} (from {parameter})")
    return int(raw)


def replication_deadline_hours_from_env() -> int:
    return _whole_number("REPLICATION_DEADLINE_HOURS", 1, 8760, "ReplicationDeadlineHours")


def idempotency_table_from_env() -> str:
    return _require("IDEMPOTENCY_TABLE_NAME")


def install_settings_from_env() -> InstallSettings:
    from mgn_wave.agent_install.models import InstallSettings  # noqa: PLC0415 (see the note at the top)
    from mgn_wave.agent_install.rules import DnsMode  # noqa: PLC0415 (see the note at the top)

    mode = _require("DNS_MODE")
    if mode not in {m.value for m in DnsMode}:
        raise ConfigurationError(
            f"environment variable DNS_MODE: {mode!r} is not one of {[m.value for m in DnsMode]} (from DnsMode)"
        )
    from mgn_wave.agent_install.parameters import S3_ENDPOINT_FORMS  # noqa: PLC0415 (see the note at the top)

    form = _require("INSTALLER_S3_ENDPOINT_FORM")
    if form not in S3_ENDPOINT_FORMS:
        raise ConfigurationError(
            f"environment variable INSTALLER_S3_ENDPOINT_FORM: {form!r} is not one of {list(S3_ENDPOINT_FORMS)} "
            "(from InstallerS3EndpointForm)"
        )
    return InstallSettings(
        install_role_arn=_require("INSTALL_ROLE_ARN"),
        document_name=_require("INSTALL_DOCUMENT_NAME"),
        dns_mode=mode,
        s3_endpoint_form=form,
        min_free_disk_mib=_whole_number("MIN_FREE_DISK_MIB", 256, 9_999_999, "MinFreeDiskMiB"),
        wave_tag_key=wave_tag_key_from_env(),
        active_replication_quota=_whole_number("ACTIVE_REPLICATION_QUOTA", 1, 100_000, "ActiveReplicationQuota"),
    )


def stall_grace_from_env() -> timedelta:
    """How long a stall MGN retries on its own stays a wait, not a failure (StalledGraceMinutes)."""
    return timedelta(minutes=_whole_number("STALLED_GRACE_MINUTES", 0, 10_080, "StalledGraceMinutes"))


def state_machine_arn_from_env() -> str:
    return _require("STATE_MACHINE_ARN")


def wave_bucket_from_env() -> str:
    return _require("WAVE_BUCKET_NAME")


def server_concurrency_from_env() -> int:
    return _whole_number("SERVER_CONCURRENCY", 1, 10_000, "ServerConcurrency")
