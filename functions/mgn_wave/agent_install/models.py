"""The install job's models: the commands in flight, the nodes installed, the stack's install
settings."""

from __future__ import annotations

from pydantic import Field

from mgn_wave.core.server_result import ServerResult, _Model


class InstalledServer(_Model):
    instance_id: str = Field(alias="instanceId")
    source_server_id: str = Field(alias="sourceServerId")


class InstallCommand(_Model):
    command_id: str = Field(alias="commandId")
    platform: str  # one platform per command: its output is read from that platform's step
    instance_ids: tuple[str, ...] = Field(alias="instanceIds")


class InstallLaunch(_Model):
    """What InstallAgents did: the commands in flight, and the servers that need none."""

    commands: tuple[InstallCommand, ...]
    results: tuple[ServerResult, ...]


class InstallProgress(_Model):
    pending: bool
    installed: tuple[InstalledServer, ...] = ()
    results: tuple[ServerResult, ...] = ()


class InstallSettings(_Model):
    """The stack's install configuration (environment of InstallAgents)."""

    install_role_arn: str
    document_name: str
    dns_mode: str
    s3_endpoint_form: str  # the installer's --s3-endpoint form (stack parameter InstallerS3EndpointForm)
    min_free_disk_mib: int
    wave_tag_key: str
    active_replication_quota: int = 150  # MGN's default "Max Active Source Servers"


class InstallsChecked(_Model):
    pending: bool
    installed_key: str = Field(default="", alias="installedKey")  # in the wave bucket, once final
    installed_count: int = Field(default=0, alias="installedCount")
