"""Launch jobs over virtual time: test and cutover instances, their termination, finalisation.

What MGN does after replication (docs/aws-facts.md, "Launching test and cutover instances"):
`StartTest`/`StartCutover` create a LAUNCH job and move the servers to TESTING/CUTTING_OVER;
each participating server goes PENDING → IN_PROGRESS → LAUNCHED (or FAILED) as the job runs, and
a `MGN Source Server Launch Result` event goes out per server (`detail.state`, `detail.job-id`).
A launched instance is a real moto EC2 instance, run from the server's EC2 launch template (its
subnet, security groups, public-IP choice), so what the template says is what the instance gets.
`TerminateTargetInstances` creates a TERMINATE job; `FinalizeCutover` ends replication.

The job quotas are enforced as the General Reference states them (none adjustable): at most 200
servers in one job, 200 across all active jobs, 20 concurrent jobs, one active job per server.
An active job is PENDING or STARTED.

Choices where MGN documents nothing (⚠️, in the README's "verify on a real account" list):
- A request naming one server that may not launch is refused whole (ConflictException naming the
  server), rather than starting a job in which that server fails.
- A failed test launch puts the server back to READY_FOR_TEST, a failed cutover launch back to
  READY_FOR_CUTOVER; a successful one leaves TESTING / CUTTING_OVER until the operator moves on.
- A new test launch terminates the server's previous test instance.
- A quota refusal is a ConflictException (StartTest's model lists no ServiceQuotaExceededException).
- Post-launch actions (the launch configuration's `postLaunchActions.ssmDocuments`, for the stages
  its `deployment` names; TEST_AND_CUTOVER when unset) start when the instance is launched and its
  SSM Agent is Online (an instance whose agent never comes online never starts them), each as
  IN_PROGRESS in the job's `participatingServers[].postLaunchActionsStatus`, and end SUCCESS or
  FAILED (`failureReason`) after `timing.post_launch_seconds`. The job is COMPLETED at launch; the
  statuses keep changing after it.
"""

from __future__ import annotations

import copy
import heapq
import itertools
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import boto3

from mgn_wave_emu.mgn.replication import conflict, iso
from mgn_wave_emu.mgn.wire import MgnServiceError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable

    from mgn_wave_emu.clock import VirtualClock
    from mgn_wave_emu.mgn.emulator import MgnEmulator
    from mgn_wave_emu.mgn.replication import ReplicationEngine

LAUNCH_RESULT_EVENT = "MGN Source Server Launch Result"
SOURCE_SERVER_TAG = "AWSApplicationMigrationServiceSourceServerID"  # on launched instances (⚠️)

# General Reference, "AWS Application Migration Service endpoints and quotas" (not adjustable)
MAX_SERVERS_PER_JOB = 200
MAX_SERVERS_IN_ACTIVE_JOBS = 200
MAX_CONCURRENT_JOBS = 20
_ACTIVE_JOB = frozenset({"PENDING", "STARTED"})

# StartTest on a launchable server that is ready for (another) test; StartCutover once marked ready.
_TESTABLE = frozenset({"READY_FOR_TEST", "TESTING", "READY_FOR_CUTOVER"})
_CUTTABLE = frozenset({"READY_FOR_CUTOVER"})
# The model's TerminateTargetInstances documentation: "will not work for any Source Server with a
# lifecycle.state of TESTING, CUTTING_OVER, or CUTOVER".
_NOT_TERMINABLE = frozenset({"TESTING", "CUTTING_OVER", "CUTOVER"})
# ChangeServerLifeCycleState: the console's "mark as ready for cutover", "revert to ready for testing"
# and "mark as cutover", each from the states they are offered in.
_LIFECYCLE_CHANGES: dict[str, frozenset[str]] = {
    "READY_FOR_CUTOVER": frozenset({"TESTING"}),
    "READY_FOR_TEST": frozenset({"TESTING", "READY_FOR_CUTOVER"}),
    "CUTOVER": frozenset({"CUTTING_OVER"}),
}
# The launch configuration MGN creates with a server (the console's defaults): started instances,
# right-sized, no post-launch actions. Its EC2 launch template starts with a public IP and no
# subnet, i.e. the default VPC: what LaunchWave's settings step must correct.
_DEFAULT_LAUNCH_CONFIGURATION: dict[str, Any] = {
    "launchDisposition": "STARTED",
    "targetInstanceTypeRightSizingMethod": "BASIC",
    "copyPrivateIp": False,
    "copyTags": False,
    "licensing": {"osByol": True},
    "bootMode": "USE_SOURCE",
    "enableMapAutoTagging": False,
}
_DEFAULT_LAUNCH_TEMPLATE_DATA: dict[str, Any] = {
    "InstanceType": "t3.medium",
    "NetworkInterfaces": [{"DeviceIndex": 0, "AssociatePublicIpAddress": True, "DeleteOnTermination": True}],
}


@dataclass
class LaunchTiming:
    """Virtual durations of a job: the job starts, each server converts and boots."""

    start_seconds: int = 60
    launch_seconds: int = 900  # conversion + boot of a test or cutover instance
    terminate_seconds: int = 120
    post_launch_seconds: int = 300  # the SSM documents of the post-launch actions, from launch to their end
    slow_post_launch_seconds: int = 7200  # what `LaunchFaults.slow_post_launch` servers' actions take


@dataclass
class LaunchFaults:
    """What goes wrong for a server's launches: the launch fails (FAILED, no instance), the instance
    is launched but stops (EC2 status checks fail), or its SSM Agent never comes online."""

    fail_launch: set[str] = field(default_factory=set)
    stop_instance: set[str] = field(default_factory=set)
    ssm_offline: set[str] = field(default_factory=set)
    # Ports on which nothing listens on the server's launched instances (a connect is refused); by
    # default an instance listens on every port it is probed on
    not_listening: dict[str, set[int]] = field(default_factory=dict)
    fail_post_launch: set[str] = field(default_factory=set)  # the first post-launch action ends FAILED
    slow_post_launch: set[str] = field(default_factory=set)  # the actions take `slow_post_launch_seconds`


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    job_id: str = field(compare=False)
    action: str = field(compare=False)  # "start" | "launch" | "terminate" | "actions"
    server_id: str = field(default="", compare=False)  # whose post-launch actions end ("actions")


class LaunchEngine:
    """Launch jobs for one `MgnEmulator`, sharing its servers and lock, driven by the clock."""

    def __init__(self, emulator: MgnEmulator, *, clock: VirtualClock, replication: ReplicationEngine) -> None:
        self._emulator = emulator
        self._clock = clock
        self._replication = replication
        self._lock: threading.RLock = emulator._lock
        self.timing = LaunchTiming()
        self.faults = LaunchFaults()
        self._jobs: dict[str, dict[str, Any]] = {}
        self._configs: dict[str, dict[str, Any]] = {}
        self._instances: dict[str, dict[str, Any]] = {}  # instance ID -> {sourceServerID, jobID, kind}
        self._agenda: list[_Step] = []
        self._seq = itertools.count()
        self._ec2: Any = None
        self._image_id: str | None = None
        clock.on_advance(self.on_advance)

    # ---- time ----------------------------------------------------------------------------

    def next_change_at(self) -> datetime | None:
        with self._lock:
            return self._agenda[0].at if self._agenda else None

    def on_advance(self, now: datetime) -> None:
        with self._lock:
            self.run_until(now)
        self._replication.flush_events()

    def run_until(self, now: datetime) -> None:
        while self._agenda and self._agenda[0].at <= now:
            step = heapq.heappop(self._agenda)
            job = self._jobs[step.job_id]
            if step.action == "start":
                self._start_job(job, step.at)
            elif step.action == "launch":
                self._finish_launch(job, step.at)
            elif step.action == "actions":
                self._finish_post_launch_actions(job, step.server_id)
            else:
                self._finish_termination(job, step.at)

    def _schedule(self, job_id: str, at: datetime, action: str, server_id: str = "") -> None:
        heapq.heappush(self._agenda, _Step(at, next(self._seq), job_id, action, server_id))

    # ---- the operations ------------------------------------------------------------------

    def start_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._launch(params, initiated_by="START_TEST", allowed=_TESTABLE, lifecycle="TESTING")

    def start_cutover(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._launch(params, initiated_by="START_CUTOVER", allowed=_CUTTABLE, lifecycle="CUTTING_OVER")

    def _launch(
        self, params: dict[str, Any], *, initiated_by: str, allowed: frozenset[str], lifecycle: str
    ) -> dict[str, Any]:
        now = self._clock.now()
        servers = self._participants(params["sourceServerIDs"])
        for server in servers:
            state = server["lifeCycle"]["state"]
            if server["isArchived"]:
                raise conflict(server, "it is archived")
            if not server["dataReplicationInfo"].get("lagDuration"):
                # The model: launchable means dataReplicationInfo.lagDuration is not null
                raise conflict(server, "it is not launchable yet (dataReplicationInfo.lagDuration is null)")
            if state not in allowed:
                raise conflict(server, f"its lifecycle state is {state}; expected {' or '.join(sorted(allowed))}")
        job = self._new_job("LAUNCH", initiated_by, servers, params.get("tags", {}), now)
        phase = "lastTest" if initiated_by == "START_TEST" else "lastCutover"
        for server in servers:
            server["lifeCycle"]["state"] = lifecycle
            server["lifeCycle"][phase] = {"initiated": {"apiCallDateTime": iso(now), "jobID": job["jobID"]}}
        return {"job": copy.deepcopy(job)}

    def terminate(self, params: dict[str, Any]) -> dict[str, Any]:
        now = self._clock.now()
        servers = self._participants(params["sourceServerIDs"])
        for server in servers:
            state = server["lifeCycle"]["state"]
            if state in _NOT_TERMINABLE:
                raise conflict(server, f"its lifecycle state is {state}; launched instances cannot be terminated in it")
            if "ec2InstanceID" not in server.get("launchedInstance", {}):
                raise conflict(server, "it has no launched instance")
        job = self._new_job("TERMINATE", "TERMINATE", servers, params.get("tags", {}), now)
        return {"job": copy.deepcopy(job)}

    def change_lifecycle(self, params: dict[str, Any]) -> dict[str, Any]:
        server = self._emulator._server(params["sourceServerID"])
        wanted = params["lifeCycle"]["state"]
        state = server["lifeCycle"]["state"]
        allowed = _LIFECYCLE_CHANGES[wanted]
        if not server["dataReplicationInfo"].get("lagDuration"):
            # The model: "only works if the Source Server is already launchable (lagDuration is not null)"
            raise conflict(server, "it is not launchable (dataReplicationInfo.lagDuration is null)")
        if state not in allowed:
            raise conflict(
                server,
                f"its lifecycle state is {state}; {wanted} is set only from {' or '.join(sorted(allowed))}",
            )
        if self._active_job_of(server["sourceServerID"]) is not None:
            raise conflict(server, "a job for it is still running")
        server["lifeCycle"]["state"] = wanted
        if wanted == "READY_FOR_TEST":
            server["lifeCycle"].setdefault("lastTest", {})["reverted"] = {"apiCallDateTime": iso(self._clock.now())}
        return copy.deepcopy(server)

    def finalize_cutover(self, params: dict[str, Any]) -> dict[str, Any]:
        server = self._emulator._server(params["sourceServerID"])
        state = server["lifeCycle"]["state"]
        if state != "CUTTING_OVER":
            raise conflict(server, f"its lifecycle state is {state}; a cutover is finalized only from CUTTING_OVER")
        if self._active_job_of(server["sourceServerID"]) is not None:
            raise conflict(server, "its cutover job is still running")
        instance = server.get("launchedInstance", {})
        if self._instances.get(instance.get("ec2InstanceID", ""), {}).get("kind") != "START_CUTOVER":
            raise conflict(server, "it has no launched cutover instance")
        now = self._clock.now()
        # The model: replication resources go away and the lifecycle becomes CUTOVER; the instance stays.
        self._replication.end_replication(server["sourceServerID"], now)
        server["lifeCycle"]["state"] = "CUTOVER"
        server["lifeCycle"].setdefault("lastCutover", {})["finalized"] = {"apiCallDateTime": iso(now)}
        return copy.deepcopy(server)

    def describe_jobs(self, params: dict[str, Any]) -> dict[str, Any]:
        filters = params.get("filters", {})
        ids = set(filters.get("jobIDs") or [])
        since, until = filters.get("fromDate"), filters.get("toDate")
        jobs = [
            job
            for job in reversed(self._jobs.values())  # the model: "sorted by creationDataTime - latest date first"
            if (not ids or job["jobID"] in ids)
            and (since is None or job["creationDateTime"] >= since)
            and (until is None or job["creationDateTime"] <= until)
        ]
        return self._emulator._page("DescribeJobs", copy.deepcopy(jobs), params)

    def get_launch_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        return copy.deepcopy(self._configuration(params["sourceServerID"]))

    def update_launch_configuration(self, params: dict[str, Any]) -> dict[str, Any]:
        configuration = self._configuration(params["sourceServerID"])
        if self._active_job_of(params["sourceServerID"]) is not None:
            server = self._emulator._server(params["sourceServerID"])
            raise conflict(server, "a launch job for it is running")
        changes = {k: v for k, v in params.items() if k not in {"sourceServerID", "accountID"}}
        configuration.update(copy.deepcopy(changes))
        return copy.deepcopy(configuration)

    # ---- jobs ----------------------------------------------------------------------------

    def _participants(self, server_ids: list[str]) -> list[dict[str, Any]]:
        self._replication.catch_up()
        self.run_until(self._clock.now())
        unique = list(dict.fromkeys(server_ids))
        servers = [self._emulator._server(server_id) for server_id in unique]
        active = [job for job in self._jobs.values() if job["status"] in _ACTIVE_JOB]
        for server in servers:
            if self._active_job_of(server["sourceServerID"]) is not None:
                raise conflict(server, "it is already in an active job (MGN allows one per server)")
        if len(active) + 1 > MAX_CONCURRENT_JOBS:
            raise _quota(f"{len(active)} jobs are in progress; MGN allows {MAX_CONCURRENT_JOBS} concurrent jobs")
        busy = sum(len(job["participatingServers"]) for job in active)
        if busy + len(servers) > MAX_SERVERS_IN_ACTIVE_JOBS:
            raise _quota(
                f"{busy} source servers are in active jobs; {len(servers)} more would pass MGN's "
                f"{MAX_SERVERS_IN_ACTIVE_JOBS} source servers across all active jobs"
            )
        return servers

    def _new_job(
        self, job_type: str, initiated_by: str, servers: list[dict[str, Any]], tags: dict[str, str], now: datetime
    ) -> dict[str, Any]:
        job_id = self._emulator._new_id("mgnjob")
        job = {
            "jobID": job_id,
            "arn": self._emulator._arn("job", job_id),
            "type": job_type,
            "initiatedBy": initiated_by,
            "creationDateTime": iso(now),
            "status": "PENDING",
            "participatingServers": [
                {"sourceServerID": server["sourceServerID"], "launchStatus": "PENDING"} for server in servers
            ],
            "tags": dict(tags),
        }
        self._jobs[job_id] = job
        self._schedule(job_id, now + timedelta(seconds=self.timing.start_seconds), "start")
        return job

    def _active_job_of(self, server_id: str) -> dict[str, Any] | None:
        for job in self._jobs.values():
            if job["status"] in _ACTIVE_JOB and any(
                p["sourceServerID"] == server_id for p in job["participatingServers"]
            ):
                return job
        return None

    def _start_job(self, job: dict[str, Any], at: datetime) -> None:
        job["status"] = "STARTED"
        for participant in job["participatingServers"]:
            participant["launchStatus"] = "IN_PROGRESS"
        seconds = self.timing.launch_seconds if job["type"] == "LAUNCH" else self.timing.terminate_seconds
        self._schedule(
            job["jobID"], at + timedelta(seconds=seconds), "launch" if job["type"] == "LAUNCH" else "terminate"
        )

    def _finish_launch(self, job: dict[str, Any], at: datetime) -> None:
        test = job["initiatedBy"] == "START_TEST"
        for participant in job["participatingServers"]:
            server_id = participant["sourceServerID"]
            server = self._emulator._servers.get(server_id)
            if server is None:
                participant["launchStatus"] = "FAILED"
                continue
            instance_id = None if server_id in self.faults.fail_launch else self._run_instance(server, job, at)
            kind = "TEST" if test else "CUTOVER"
            if instance_id is None:
                participant["launchStatus"] = "FAILED"
                server["lifeCycle"]["state"] = "READY_FOR_TEST" if test else "READY_FOR_CUTOVER"
                self._emit(server, f"{kind}_LAUNCH_FAILED", job["jobID"], at)
                continue
            participant["launchStatus"] = "LAUNCHED"
            participant["launchedEc2InstanceID"] = instance_id
            first_boot = "STOPPED" if server_id in self.faults.stop_instance else "SUCCEEDED"
            server["launchedInstance"] = {"ec2InstanceID": instance_id, "jobID": job["jobID"], "firstBoot": first_boot}
            self._begin_post_launch_actions(job, participant, test=test, at=at)
            self._emit(server, f"{kind}_LAUNCH_SUCCEEDED", job["jobID"], at)
        self._complete(job, at)

    def _begin_post_launch_actions(
        self, job: dict[str, Any], participant: dict[str, Any], *, test: bool, at: datetime
    ) -> None:
        server_id = participant["sourceServerID"]
        actions = self._configs.get(server_id, {}).get("postLaunchActions") or {}
        documents = actions.get("ssmDocuments") or []
        if not documents or actions.get("deployment", "TEST_AND_CUTOVER") == ("CUTOVER_ONLY" if test else "TEST_ONLY"):
            return
        if server_id in self.faults.ssm_offline or server_id in self.faults.stop_instance:
            return  # MGN runs them through SSM: no agent online, nothing starts
        participant["postLaunchActionsStatus"] = {
            "ssmAgentDiscoveryDatetime": iso(at),
            "postLaunchActionsLaunchStatusList": [
                {
                    "ssmDocument": copy.deepcopy(document),
                    # MGN's own actions are Automation runbooks (AWSMigration-…); a customer's document may be either
                    "ssmDocumentType": "AUTOMATION",
                    "executionID": str(uuid.UUID(int=self._emulator._rng.getrandbits(128), version=4)),
                    "executionStatus": "IN_PROGRESS",
                }
                for document in documents
            ],
        }
        slow = server_id in self.faults.slow_post_launch
        seconds = self.timing.slow_post_launch_seconds if slow else self.timing.post_launch_seconds
        self._schedule(job["jobID"], at + timedelta(seconds=seconds), "actions", server_id)

    def _finish_post_launch_actions(self, job: dict[str, Any], server_id: str) -> None:
        participant = next(p for p in job["participatingServers"] if p["sourceServerID"] == server_id)
        statuses = participant.get("postLaunchActionsStatus", {}).get("postLaunchActionsLaunchStatusList", [])
        for index, status in enumerate(statuses):
            if index == 0 and server_id in self.faults.fail_post_launch:
                status["executionStatus"] = "FAILED"
                status["failureReason"] = (
                    "Step fails when it is Executing. Fail message: the script exited with status 1"
                )
            else:
                status["executionStatus"] = "SUCCESS"

    def _finish_termination(self, job: dict[str, Any], at: datetime) -> None:
        for participant in job["participatingServers"]:
            server = self._emulator._servers.get(participant["sourceServerID"])
            instance_id = (server or {}).get("launchedInstance", {}).get("ec2InstanceID")
            if server is None or instance_id is None:
                participant["launchStatus"] = "FAILED"
                continue
            self._terminate_instance(instance_id)
            participant["launchStatus"] = "TERMINATED"
            participant["launchedEc2InstanceID"] = instance_id
            server.pop("launchedInstance", None)
        self._complete(job, at)

    def _complete(self, job: dict[str, Any], at: datetime) -> None:
        job["status"] = "COMPLETED"
        job["endDateTime"] = iso(at)

    def _emit(self, server: dict[str, Any], state: str, job_id: str, at: datetime) -> None:
        self._replication.emit(server, LAUNCH_RESULT_EVENT, {"state": state, "job-id": job_id}, at)

    # ---- launch configurations and EC2 ---------------------------------------------------

    def _configuration(self, server_id: str) -> dict[str, Any]:
        server = self._emulator._server(server_id)
        configuration = self._configs.get(server_id)
        if configuration is None:
            # MGN creates the launch configuration and its EC2 launch template with the server
            hostname = server["sourceProperties"]["identificationHints"].get("hostname", server_id)
            created = self._client().create_launch_template(
                LaunchTemplateName=f"mgn-{server_id}",
                LaunchTemplateData=copy.deepcopy(_DEFAULT_LAUNCH_TEMPLATE_DATA),
            )
            configuration = {
                "sourceServerID": server_id,
                "name": hostname[:128],
                "ec2LaunchTemplateID": created["LaunchTemplate"]["LaunchTemplateId"],
                **copy.deepcopy(_DEFAULT_LAUNCH_CONFIGURATION),
            }
            self._configs[server_id] = configuration
        return configuration

    def _run_instance(self, server: dict[str, Any], job: dict[str, Any], at: datetime) -> str | None:
        """The instance the launch template describes, in moto; None when EC2 refuses it."""
        ec2 = self._client()
        server_id = server["sourceServerID"]
        template_id = self._configuration(server_id)["ec2LaunchTemplateID"]
        try:
            data = ec2.describe_launch_template_versions(LaunchTemplateId=template_id, Versions=["$Default"])[
                "LaunchTemplateVersions"
            ][0]["LaunchTemplateData"]
            interface = dict((data.get("NetworkInterfaces") or [{}])[0])
            nic: dict[str, Any] = {"DeviceIndex": 0}
            for key in ("SubnetId", "AssociatePublicIpAddress", "PrivateIpAddress"):
                if key in interface:
                    nic[key] = interface[key]
            groups = interface.get("Groups") or data.get("SecurityGroupIds")
            if groups:
                nic["Groups"] = list(groups)
            previous = server.get("launchedInstance", {}).get("ec2InstanceID")
            if previous and self._instances.get(previous, {}).get("kind") == job["initiatedBy"] == "START_TEST":
                self._terminate_instance(previous)  # a new test replaces the previous test instance
            tags = [
                {"Key": SOURCE_SERVER_TAG, "Value": server_id},
                {"Key": "Name", "Value": self._configs[server_id]["name"] or server_id},
            ]
            launched = ec2.run_instances(
                ImageId=self._image(),
                MinCount=1,
                MaxCount=1,
                InstanceType=data.get("InstanceType", "t3.medium"),
                NetworkInterfaces=[nic],
                TagSpecifications=[{"ResourceType": "instance", "Tags": tags}],
            )
        except Exception:
            return None
        instance_id = str(launched["Instances"][0]["InstanceId"])
        self._instances[instance_id] = {
            "sourceServerID": server_id,
            "jobID": job["jobID"],
            "kind": job["initiatedBy"],
            "at": at,
        }
        if server_id in self.faults.stop_instance:
            ec2.stop_instances(InstanceIds=[instance_id])
        return instance_id

    def _terminate_instance(self, instance_id: str) -> None:
        self._client().terminate_instances(InstanceIds=[instance_id])
        self._instances.pop(instance_id, None)

    def _image(self) -> str:
        # MGN converts the replicated disks into its own AMI; any image moto knows stands in for it.
        if self._image_id is None:
            # Registered, not picked from moto's default AMIs: those may be switched off
            # (MOTO_EC2_LOAD_DEFAULT_AMIS=false), and listing them all is slow.
            image = self._client().register_image(
                Name="mgn-wave-emulated-conversion",
                RootDeviceName="/dev/xvda",
                Architecture="x86_64",
                VirtualizationType="hvm",
            )
            self._image_id = str(image["ImageId"])
        return self._image_id

    def _client(self) -> Any:
        if self._ec2 is None:
            self._ec2 = boto3.client("ec2", region_name=self._emulator.region)
        return self._ec2

    # ---- for the SSM emulator and tests --------------------------------------------------

    def ssm_information(self, instance_ids: list[str], now: datetime) -> list[dict[str, Any]]:
        """`InstanceInformation` of launched instances whose SSM Agent came online (running, not
        knobbed offline), for the SSM emulator's DescribeInstanceInformation."""
        with self._lock:
            found = []
            for instance_id in instance_ids:
                launched = self._instances.get(instance_id)
                if launched is None:
                    continue
                server_id = launched["sourceServerID"]
                if server_id in self.faults.ssm_offline or server_id in self.faults.stop_instance:
                    continue
                found.append(
                    {
                        "InstanceId": instance_id,
                        "PingStatus": "Online",
                        "LastPingDateTime": now.astimezone(UTC).timestamp(),
                        "PlatformType": "Linux",
                        "ResourceType": "EC2Instance",
                        "AgentVersion": "3.3.2746.0",
                        "IsLatestVersion": True,
                    }
                )
            return found

    def jobs(self) -> list[dict[str, Any]]:
        """Copies of every job, oldest first."""
        with self._lock:
            return copy.deepcopy(list(self._jobs.values()))

    def launch_configuration(self, source_server_id: str) -> dict[str, Any]:
        """The server's launch configuration (created as MGN creates it, on first use)."""
        with self._lock:
            return copy.deepcopy(self._configuration(source_server_id))


def _quota(why: str) -> MgnServiceError:
    return MgnServiceError("ConflictException", f"Job quota reached: {why}", members={"resourceType": "Job"})


LAUNCH_HANDLERS: dict[str, Callable[[MgnEmulator, dict[str, Any]], dict[str, Any]]] = {
    "StartTest": lambda emulator, params: emulator.launch.start_test(params),
    "StartCutover": lambda emulator, params: emulator.launch.start_cutover(params),
    "TerminateTargetInstances": lambda emulator, params: emulator.launch.terminate(params),
    "FinalizeCutover": lambda emulator, params: emulator.launch.finalize_cutover(params),
    "ChangeServerLifeCycleState": lambda emulator, params: emulator.launch.change_lifecycle(params),
    "DescribeJobs": lambda emulator, params: emulator.launch.describe_jobs(params),
    "GetLaunchConfiguration": lambda emulator, params: emulator.launch.get_launch_configuration(params),
    "UpdateLaunchConfiguration": lambda emulator, params: emulator.launch.update_launch_configuration(params),
}
