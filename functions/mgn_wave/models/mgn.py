"""MGN's vocabulary: enum sets and limits (botocore mgn model, docs/mgn-facts.md §1.2-§1.4, §1.9;
its ID patterns are in `mgn_wave.ids`), and the replication settings we send.

botocore's client checks required members, types and `min` only; the service rejects the rest
(max lengths and counts, enums, patterns). These models check all of it before a request leaves,
so a typo fails here with the field named instead of in MGN with a ValidationException.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StringConstraints
from pydantic.alias_generators import to_camel

from mgn_wave import ids


class DataPlaneRouting(StrEnum):
    PRIVATE_IP = "PRIVATE_IP"  # replication over VPN/Direct Connect/peering (this project)
    PUBLIC_IP = "PUBLIC_IP"


class LargeStagingDiskType(StrEnum):
    GP2 = "GP2"
    ST1 = "ST1"
    GP3 = "GP3"


class ReplicatedDiskStagingType(StrEnum):
    AUTO = "AUTO"
    GP2 = "GP2"
    IO1 = "IO1"
    SC1 = "SC1"
    ST1 = "ST1"
    STANDARD = "STANDARD"
    GP3 = "GP3"
    IO2 = "IO2"
    FSX_ONTAP = "FSX_ONTAP"


class EbsEncryption(StrEnum):
    DEFAULT = "DEFAULT"
    CUSTOM = "CUSTOM"  # needs ebsEncryptionKeyArn


class InternetProtocol(StrEnum):
    IPV4 = "IPV4"
    IPV6 = "IPV6"


class OutpostSnapshotLocation(StrEnum):
    OUTPOST = "OUTPOST"
    REGION = "REGION"


class StorageType(StrEnum):
    EBS = "EBS"
    FSX_ONTAP = "FSX_ONTAP"


class LifeCycleState(StrEnum):
    STOPPED = "STOPPED"
    NOT_READY = "NOT_READY"
    READY_FOR_TEST = "READY_FOR_TEST"
    TESTING = "TESTING"
    READY_FOR_CUTOVER = "READY_FOR_CUTOVER"
    CUTTING_OVER = "CUTTING_OVER"
    CUTOVER = "CUTOVER"
    DISCONNECTED = "DISCONNECTED"
    DISCOVERED = "DISCOVERED"
    PENDING_INSTALLATION = "PENDING_INSTALLATION"


class DataReplicationState(StrEnum):
    STOPPED = "STOPPED"
    INITIATING = "INITIATING"
    INITIAL_SYNC = "INITIAL_SYNC"
    BACKLOG = "BACKLOG"
    CREATING_SNAPSHOT = "CREATING_SNAPSHOT"
    CONTINUOUS = "CONTINUOUS"
    PAUSED = "PAUSED"
    RESCAN = "RESCAN"
    STALLED = "STALLED"
    DISCONNECTED = "DISCONNECTED"
    PENDING_SNAPSHOT_SHIPPING = "PENDING_SNAPSHOT_SHIPPING"
    SHIPPING_SNAPSHOT = "SHIPPING_SNAPSHOT"


class ReplicationType(StrEnum):
    AGENT_BASED = "AGENT_BASED"
    SNAPSHOT_SHIPPING = "SNAPSHOT_SHIPPING"


MAX_RESULTS = 1000  # maxResults of every Describe/List operation
MAX_IDS_PER_FILTER = 200  # e.g. DescribeSourceServers filters.sourceServerIDs
MAX_SECURITY_GROUPS = 32  # replicationServersSecurityGroupsIDs
MAX_TAGS = 50  # per map and per resource
MAX_TAG_LENGTH = 256  # keys and values
MAX_BANDWIDTH_MBPS = 10_000  # bandwidthThrottling; 0 means unthrottled
MAX_REPLICATED_DISKS = 60

# CreateReplicationConfigurationTemplate's required members (docs/mgn-facts.md §1.4)
REQUIRED_TEMPLATE_FIELDS = frozenset(
    {
        "stagingAreaSubnetId",
        "associateDefaultSecurityGroup",
        "replicationServersSecurityGroupsIDs",
        "replicationServerInstanceType",
        "useDedicatedReplicationServer",
        "defaultLargeStagingDiskType",
        "ebsEncryption",
        "bandwidthThrottling",
        "dataPlaneRouting",
        "createPublicIP",
        "stagingAreaTags",
    }
)


def _full(pattern: str) -> str:
    # pydantic searches a pattern; the service matches it against the whole value
    return f"^(?:{pattern})$"


SubnetId = Annotated[str, StringConstraints(strict=True, pattern=_full(ids.MGN_SUBNET_ID), max_length=255)]
SecurityGroupId = Annotated[
    str, StringConstraints(strict=True, pattern=_full(ids.MGN_SECURITY_GROUP_ID), max_length=255)
]
TagText = Annotated[str, StringConstraints(strict=True, max_length=MAX_TAG_LENGTH)]
Tags = Annotated[dict[TagText, TagText], Field(max_length=MAX_TAGS)]


class _MgnModel(BaseModel):
    # Input keys are MGN's own camelCase names, exactly as in the API and the boto3 call
    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)

    def to_request(self) -> dict[str, Any]:
        """The fields that were given, in MGN's JSON form."""
        return self.model_dump(mode="json", by_alias=True, exclude_unset=True, exclude_none=True)


class FsxOntapConfiguration(_MgnModel):
    storage_virtual_machine_id: Annotated[
        str, StringConstraints(strict=True, pattern=r"^(?:svm-[0-9a-f]{17,})$", max_length=21)
    ]
    credentials_secret_arn: Annotated[str, StringConstraints(strict=True, min_length=20, max_length=256)]


class StorageConfiguration(_MgnModel):
    storage_type: StorageType
    fsx_ontap_configuration: FsxOntapConfiguration | None = None


class ReplicationSettings(_MgnModel):
    """The settings a replication template and a server's replication configuration share."""

    staging_area_subnet_id: SubnetId | None = None
    associate_default_security_group: StrictBool | None = None
    replication_servers_security_groups_ids: (
        Annotated[list[SecurityGroupId], Field(max_length=MAX_SECURITY_GROUPS)] | None
    ) = Field(default=None, alias="replicationServersSecurityGroupsIDs")
    replication_server_instance_type: Annotated[str, StringConstraints(strict=True, max_length=255)] | None = None
    use_dedicated_replication_server: StrictBool | None = None
    default_large_staging_disk_type: LargeStagingDiskType | None = None
    ebs_encryption: EbsEncryption | None = None
    ebs_encryption_key_arn: Annotated[str, StringConstraints(strict=True, min_length=20, max_length=2048)] | None = None
    bandwidth_throttling: Annotated[StrictInt, Field(ge=0, le=MAX_BANDWIDTH_MBPS)] | None = None
    data_plane_routing: DataPlaneRouting | None = None
    create_public_ip: StrictBool | None = Field(default=None, alias="createPublicIP")
    staging_area_tags: Tags | None = None
    use_fips_endpoint: StrictBool | None = None
    internet_protocol: InternetProtocol | None = None
    store_snapshot_on_local_zone: StrictBool | None = None
    outpost_snapshot_location: OutpostSnapshotLocation | None = None
    storage_configuration: StorageConfiguration | None = None


class TemplateSettings(ReplicationSettings):
    """CreateReplicationConfigurationTemplate's input; `tags` label the template itself."""

    tags: Tags | None = None


class ReplicatedDisk(_MgnModel):
    device_name: Annotated[str, StringConstraints(strict=True, max_length=256)] | None = None
    is_boot_disk: StrictBool | None = None
    staging_disk_type: ReplicatedDiskStagingType | None = None
    iops: Annotated[StrictInt, Field(ge=0)] | None = None
    throughput: Annotated[StrictInt, Field(ge=0)] | None = None


class ServerReplicationChanges(ReplicationSettings):
    """UpdateReplicationConfiguration's input besides the server ID."""

    name: Annotated[str, StringConstraints(strict=True, max_length=128)] | None = None
    replicated_disks: Annotated[list[ReplicatedDisk], Field(max_length=MAX_REPLICATED_DISKS)] | None = None
