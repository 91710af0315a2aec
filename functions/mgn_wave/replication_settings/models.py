"""Replication settings the private path needs, and the drift report of enforcing them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

# Fixed by the private path itself (docs/mgn-facts.md §1.4): replication traffic stays on private
# IPs, replication servers get no public IP, and only our security groups (which admit TCP 1500
# from the sources) are attached — the MGN default SG would be added to them otherwise.
PRIVATE_PATH_FIXED: dict[str, Any] = {
    "dataPlaneRouting": "PRIVATE_IP",
    "createPublicIP": False,
    "associateDefaultSecurityGroup": False,
}

# What a new template gets for the required fields an operator did not choose.
CREATE_DEFAULTS: dict[str, Any] = {
    "replicationServerInstanceType": "t3.small",  # MGN's own default (UG "Replication template reference")
    "useDedicatedReplicationServer": False,
    "defaultLargeStagingDiskType": "GP3",
    "ebsEncryption": "DEFAULT",
    "bandwidthThrottling": 0,  # 0 = no throttle
    "stagingAreaTags": {},
}


class ReplicationPolicy(BaseModel):
    """The settings enforced on the template and on every registered server of the wave."""

    model_config = ConfigDict(frozen=True)

    staging_subnet_id: str
    replication_sg_ids: tuple[str, ...]
    # Optional operator tuning: None means "leave what the operator set".
    replication_server_instance_type: str | None = None
    ebs_encryption: str | None = None  # DEFAULT | CUSTOM
    ebs_encryption_key_arn: str | None = None
    bandwidth_throttling_mbps: int | None = Field(default=None, ge=0, le=10000)
    staging_area_tags: dict[str, str] = Field(default_factory=dict)

    def desired_fields(self) -> dict[str, Any]:
        desired: dict[str, Any] = {
            **PRIVATE_PATH_FIXED,
            "stagingAreaSubnetId": self.staging_subnet_id,
            "replicationServersSecurityGroupsIDs": sorted(self.replication_sg_ids),
        }
        if self.replication_server_instance_type:
            desired["replicationServerInstanceType"] = self.replication_server_instance_type
        if self.ebs_encryption:
            desired["ebsEncryption"] = self.ebs_encryption
        if self.ebs_encryption_key_arn:
            desired["ebsEncryptionKeyArn"] = self.ebs_encryption_key_arn
        if self.bandwidth_throttling_mbps is not None:
            desired["bandwidthThrottling"] = self.bandwidth_throttling_mbps
        return desired


class FieldChange(BaseModel):
    model_config = ConfigDict(frozen=True)

    field: str
    before: Any
    after: Any


class Action(StrEnum):
    CREATED = "CREATED"
    UPDATED = "UPDATED"
    UNCHANGED = "UNCHANGED"
    WOULD_CREATE = "WOULD_CREATE"  # dry run
    WOULD_UPDATE = "WOULD_UPDATE"  # dry run
    FAILED = "FAILED"


class ResourceDrift(BaseModel):
    """One template or one server: what differed, and what we did about it."""

    model_config = ConfigDict(frozen=True, populate_by_name=True)

    resource_id: str = Field(alias="resourceId")
    action: Action
    changes: tuple[FieldChange, ...] = ()
    error: str | None = None


class EnforcementReport(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)

    dry_run: bool = Field(alias="dryRun")
    template: ResourceDrift
    servers: tuple[ResourceDrift, ...] = ()

    @property
    def drift_found(self) -> bool:
        return bool(self.template.changes) or any(server.changes for server in self.servers)


class EnforcementSummary(BaseModel):
    """What EnforceTemplate hands the state machine: the template's drift (a bounded set of
    fields), counts, and where the whole report is. A state's data is limited to 256 KiB, and the
    per-server drift grows with the wave, so that part lives in the wave bucket only."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    dry_run: bool = Field(alias="dryRun")
    template: ResourceDrift
    servers_checked: int = Field(alias="serversChecked", ge=0)
    servers_changed: int = Field(alias="serversChanged", ge=0)
    report_key: str = Field(alias="reportKey", min_length=1, max_length=1024)
