"""What to check when replication fails or waits too long: a hint per MGN error and per phase,
written for the operator who has to fix the network or the settings. The verdict's rules are in
`classifier.py`; they pick the hint, these tables say it."""

from __future__ import annotations

from mgn_wave.replication_wait.models import DataReplicationErrorCode, Phase

_Err = DataReplicationErrorCode

_MGN_PATH = (
    "the mgn interface endpoint in the staging VPC (state available, private DNS on, VPC "
    "enableDnsSupport and enableDnsHostnames on), its security group admitting TCP 443 from the "
    "replication security group or the staging subnet, the replication security group allowing "
    "outbound 443 to it, and the staging subnet's NACL allowing 443 out and ephemeral ports back"
)
_S3_PATH = (
    "the S3 gateway endpoint on the staging subnet's route table, its policy allowing s3:GetObject "
    "on the MGN buckets including al2023-repos-<region>-de612dc2, and the replication security "
    "group allowing outbound 443 to the S3 prefix list"
)
_AGENT_PATH = (
    "TCP 443 from the source server to the mgn endpoint: the name the agent uses (mgn.<region>."
    "amazonaws.com through a Resolver inbound endpoint, or the --endpoint vpce name) resolving to the "
    "endpoint's private IPs, the endpoint security group admitting 443 from the source range, the "
    "NACLs of the endpoint subnets, and the on-premises firewall and route to the staging VPC"
)
_DATA_PATH = (
    "TCP 1500 from the source server to the staging subnet: the replication security group admitting "
    "1500 from the source range, the staging subnet's NACL allowing 1500 in and ephemeral ports back "
    "out, the staging route table's return route to the source range (peering, TGW or VGW), the "
    "on-premises firewall, and dataPlaneRouting=PRIVATE_IP (PUBLIC_IP sends the agent to a public address)"
)

# What to check when MGN reports each error. Every value of the model has one (a test holds
# the table to botocore's enum), so a new AWS error fails a test instead of reaching an operator
# without advice.
ERROR_HINTS: dict[DataReplicationErrorCode, str] = {
    _Err.AGENT_NOT_SEEN: (
        "MGN has not heard from the AWS Replication Agent: check that the source server is up and the "
        f"agent service runs, then {_AGENT_PATH}."
    ),
    _Err.SNAPSHOTS_FAILURE: (
        "MGN could not snapshot the staging disks: check the ec2 interface endpoint from the staging "
        "subnet (443, private DNS), the KMS key policy of ebsEncryptionKeyArn when ebsEncryption=CUSTOM, "
        "and the account's EBS snapshot quotas."
    ),
    _Err.NOT_CONVERGING: (
        "The source writes faster than replication carries: raise or remove bandwidthThrottling, check "
        "the capacity and utilisation of the VPN/Direct Connect link, and consider a larger "
        "replicationServerInstanceType or useDedicatedReplicationServer."
    ),
    _Err.UNSTABLE_NETWORK: (
        "The agent's TCP 1500 sessions to the replication server keep dropping: check packet loss and "
        "MTU on the VPN/Direct Connect path, firewalls that time out idle 1500 sessions, and that the "
        "staging subnet's NACL lets ephemeral-port return traffic reach the source range."
    ),
    _Err.FAILED_TO_CREATE_SECURITY_GROUP: (
        "MGN could not create its default security group in the staging VPC: check the security-group "
        "quota of the VPC and the MGN service-linked role, or set associateDefaultSecurityGroup=false "
        "with a custom replication security group that admits TCP 1500 from the source range."
    ),
    _Err.FAILED_TO_LAUNCH_REPLICATION_SERVER: (
        "The replication server did not launch: check that stagingAreaSubnetId exists with free IP "
        "addresses, that replicationServersSecurityGroupsIDs exist in the same VPC, that the instance "
        "type is offered in the subnet's Availability Zone, and the EC2 quotas."
    ),
    _Err.FAILED_TO_BOOT_REPLICATION_SERVER: (
        "The replication server launched but did not boot: check the KMS key (grants for the MGN "
        "service-linked role when ebsEncryption=CUSTOM), capacity for the instance type in the "
        f"Availability Zone, and {_MGN_PATH}."
    ),
    _Err.FAILED_TO_AUTHENTICATE_WITH_SERVICE: (
        "The replication server could not reach MGN over TCP 443 from the staging subnet: check "
        f"{_MGN_PATH}; the ec2 interface endpoint needs the same (private DNS on, 443 admitted)."
    ),
    _Err.FAILED_TO_DOWNLOAD_REPLICATION_SOFTWARE: (
        f"The replication server could not download its software from S3: check {_S3_PATH}; and {_MGN_PATH}."
    ),
    _Err.FAILED_TO_CREATE_STAGING_DISKS: (
        "MGN could not create the staging EBS volumes: check the EBS quotas for defaultLargeStagingDiskType "
        "and the replicated disks' stagingDiskType, and the KMS key policy when ebsEncryption=CUSTOM; this "
        "is not a network problem."
    ),
    _Err.FAILED_TO_ATTACH_STAGING_DISKS: (
        "The staging disks could not be attached to the replication server: check the KMS grants when "
        "ebsEncryption=CUSTOM, the volumes-per-instance limit (useDedicatedReplicationServer for servers "
        "with many disks), and the ec2 interface endpoint from the staging subnet (443, private DNS)."
    ),
    _Err.FAILED_TO_PAIR_REPLICATION_SERVER_WITH_AGENT: (
        "MGN could not pair the agent with its replication server: both must reach the mgn endpoint. "
        f"Check {_AGENT_PATH}; and {_MGN_PATH}."
    ),
    _Err.FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER: f"The agent could not connect: check {_DATA_PATH}.",
    _Err.FAILED_TO_START_DATA_TRANSFER: (
        "The agent connected but data did not flow: check that nothing between the source and the "
        "staging subnet (firewall, IPS, proxy) inspects or resets TCP 1500 sessions, the MTU of the "
        "VPN/Direct Connect path, and free disk and CPU on the source server."
    ),
    _Err.UNSUPPORTED_VM_CONFIGURATION: (
        "MGN does not support this source server's configuration (operating system, boot mode or disk "
        "layout): check the MGN supported operating systems; this is not a network problem."
    ),
    _Err.LAST_SNAPSHOT_JOB_FAILED: (
        "The last snapshot job failed: check the ec2 interface endpoint from the staging subnet (443, "
        "private DNS), KMS key access when ebsEncryption=CUSTOM, and the EBS snapshot quotas."
    ),
    _Err.FAILED_TO_SETUP_FSX_PROXY: (
        "The FSx for ONTAP proxy could not be set up: check that the storage virtual machine is reachable "
        "from the staging subnet, the credentials secret (and a secretsmanager endpoint on a private "
        "network), and the FsxProxy roles."
    ),
    _Err.FAILED_TO_CREATE_FSX_SNAPSHOT: (
        "The FSx for ONTAP snapshot failed: check the storage virtual machine, its credentials secret "
        "and the FSx quotas."
    ),
}

# What to check when a server waits in a phase for too long (deadline) or cannot go on alone.
PHASE_HINTS: dict[Phase, str] = {
    Phase.NOT_REGISTERED: (
        "No agent has registered this server: run the install step again and read its output; the "
        f"installer needs {_AGENT_PATH}."
    ),
    Phase.REGISTERING: (
        "The agent registered but replication has not started: check that the agent service runs and "
        "that replication was not installed with --no-replication (StartReplication starts it)."
    ),
    Phase.INITIATING: "Initiation is slow or hanging: check the current step's requirements.",
    Phase.SYNCING: (
        "Initial sync copies every disk block once and is bounded by bandwidth: check bandwidthThrottling "
        "on the server's replication configuration and the capacity of the VPN/Direct Connect link; a "
        "later deadline may be all it needs."
    ),
    Phase.RESCAN: (
        "A rescan re-reads every disk block after a restart or lost change tracking: give it time, "
        "and check the source server's disk load."
    ),
    Phase.BACKLOG: ERROR_HINTS[_Err.NOT_CONVERGING],
    Phase.CREATING_SNAPSHOT: ERROR_HINTS[_Err.SNAPSHOTS_FAILURE],
    Phase.SNAPSHOT_SHIPPING: "Snapshot shipping replication is not agent based; follow it in the MGN console.",
    Phase.HEALTHY: (
        "Replication is continuous but the lifecycle is not yet READY_FOR_TEST: MGN sets it after the "
        "first consistent snapshot; poll again shortly."
    ),
    Phase.STALLED: (
        f"MGN reports a stall without an error yet: poll again shortly; if it persists, check {_DATA_PATH}."
    ),
    Phase.PAUSED: "Replication was paused (PauseReplication): ResumeReplication continues where it stopped.",
    Phase.STOPPED: (
        "Replication was stopped (StopReplication) and does not resume on its own: StartReplication "
        "starts it again (with a rescan)."
    ),
    Phase.DISCONNECTED: (
        "The server was disconnected from MGN (DisconnectFromService): reinstall the AWS Replication "
        "Agent to replicate it again."
    ),
    Phase.ARCHIVED: "The server is archived in MGN: remove it from the wave, or reinstall the agent to migrate it.",
    Phase.UNKNOWN: (
        "MGN reported a state this version of mgn-wave does not know: check the server in the MGN console "
        "and update mgn-wave."
    ),
}


def error_hint(error: str | None) -> str:
    """The hint for an error code MGN reported; "" for none or a code this version does not know."""
    try:
        return ERROR_HINTS[DataReplicationErrorCode(error)] if error else ""
    except ValueError:
        return ""
