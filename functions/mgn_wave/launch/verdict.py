"""A launched instance's verdict from what EC2 and SSM say about it, with a hint for the
private network when it fails."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mgn_wave.launch.models import ServerLaunch, Verdict

if TYPE_CHECKING:
    from collections.abc import Mapping

# EC2 status checks still "initializing" for a few minutes after boot; SSM Agent registers then too.
_SETTLING = frozenset({"initializing", "not-applicable"})


@dataclass(frozen=True)
class PostLaunchAction:
    """One SSM document MGN runs on the launched instance (DescribeJobs participatingServers[].
    postLaunchActionsStatus.postLaunchActionsLaunchStatusList[]; docs/aws-facts.md)."""

    name: str
    status: str  # IN_PROGRESS | SUCCESS | FAILED
    execution_id: str = ""
    failure_reason: str = ""

    def dump(self) -> dict[str, str]:
        return {
            "action": self.name,
            "status": self.status,
            "executionId": self.execution_id,
            "failureReason": self.failure_reason,
        }


def post_launch_actions(participant: Mapping[str, Any]) -> tuple[PostLaunchAction, ...]:
    """The post-launch actions of one participating server as DescribeJobs reports them."""
    listed = (participant.get("postLaunchActionsStatus") or {}).get("postLaunchActionsLaunchStatusList") or []
    actions = []
    for item in listed:
        document = item.get("ssmDocument") or {}
        actions.append(
            PostLaunchAction(
                name=str(document.get("actionName") or document.get("ssmDocumentName") or "unnamed action"),
                # A status MGN has not filled in yet is an action that has not ended
                status=str(item.get("executionStatus") or "IN_PROGRESS"),
                execution_id=str(item.get("executionID") or ""),
                failure_reason=str(item.get("failureReason") or ""),
            )
        )
    return tuple(actions)


@dataclass(frozen=True)
class InstanceHealth:
    """What the checks read about one instance."""

    state: str  # EC2 instance state: pending, running, stopped, ...
    system_status: str  # ok, impaired, initializing, insufficient-data, not-applicable
    instance_status: str
    ssm_ping: str | None  # Online, ConnectionLost, Inactive; None: SSM does not know it
    post_launch: tuple[PostLaunchAction, ...] = ()
    closed_ports: tuple[int, ...] | None = None  # None: not probed (no ports to check, or not yet)


def judge(record: ServerLaunch, health: InstanceHealth | None, *, settled: bool) -> ServerLaunch:
    """PASSED when running, both status checks ok, SSM Online, every post-launch action
    succeeded and every port of the server's check answered. Before `settled` (the instances'
    grace period), anything still starting stays PENDING."""
    if not instance_checks_pass(record, health, settled=settled) or health is None:
        return record
    if record.check_ports and health.closed_ports is None:
        return record  # the probe answers on a later check
    return ports_verdict(record, health.closed_ports or ())


def instance_checks_pass(record: ServerLaunch, health: InstanceHealth | None, *, settled: bool) -> bool:
    """True when every check but the ports passed; else the record is FAILED with its hint, or
    left PENDING (still starting, actions still running) with what it waits for."""
    if health is None:
        _failed(
            record,
            "the launched instance no longer exists",
            "Launch the server again; check CloudTrail for who terminated it.",
        )
        return False
    if health.state == "pending" or (
        not settled and (health.system_status in _SETTLING or health.instance_status in _SETTLING)
    ):
        return False
    if health.state != "running":
        _failed(
            record,
            f"instance {record.instance_id} is {health.state}",
            "Look at the instance's system log: a converted boot volume that does not boot stops here "
            "(drivers, fstab entries for disks that were not replicated).",
        )
        return False
    if health.system_status != "ok" or health.instance_status != "ok":
        _failed(
            record,
            f"EC2 status checks: system {health.system_status}, instance {health.instance_status}",
            "Read the instance's console output; an instance check failing after conversion is usually the OS (network "
            "configuration, drivers).",
        )
        return False
    if health.ssm_ping != "Online":
        if settled:
            _failed(
                record,
                f"SSM Agent on {record.instance_id} is {health.ssm_ping or 'not registered'}",
                "The target subnet needs the ssm, ssmmessages and ec2messages endpoints (TCP 443 from the subnet) and "
                "the instance an instance profile with AmazonSSMManagedInstanceCore.",
            )
        return False
    record.post_launch_actions = [action.dump() for action in health.post_launch]
    return _post_launch_actions_done(record, health.post_launch, settled=settled)


def ports_verdict(record: ServerLaunch, closed: tuple[int, ...]) -> ServerLaunch:
    """The verdict of a server whose instance checks passed, from the ports that did not answer."""
    if closed:
        return _closed_ports(record, closed)
    record.verdict = Verdict.PASSED
    record.reason = f"instance {record.instance_id} running, status checks ok, SSM Online"
    if record.post_launch_actions:
        record.reason += f", {len(record.post_launch_actions)} post-launch action(s) succeeded"
    if record.check_ports:
        record.reason += f", TCP {','.join(str(p) for p in record.check_ports)} answered"
    record.hint = ""
    return record


def _post_launch_actions_done(record: ServerLaunch, actions: tuple[PostLaunchAction, ...], *, settled: bool) -> bool:
    """True when every post-launch action succeeded (or there are none); FAILED decides the
    verdict; actions still running (or not started by MGN yet) wait until the checks' deadline."""
    failed = next((a for a in actions if a.status == "FAILED"), None)
    if failed is not None:
        _failed(
            record,
            f"post-launch action {failed.name} FAILED on {record.instance_id}: "
            f"{failed.failure_reason or 'no reason given'}",
            f"Open the SSM execution {failed.execution_id or '(see the MGN console)'} of {failed.name} for the step "
            "that failed, fix the document or the instance, then launch the server again; it is not finalized.",
        )
        return False
    running = [a.name for a in actions if a.status != "SUCCESS"]
    if not running and len(actions) < record.post_launch_expected:
        running = [f"{record.post_launch_expected - len(actions)} not started by MGN"]
    if not running:
        return True
    if not settled:
        record.reason = f"post-launch action(s) still IN_PROGRESS: {', '.join(running)}"
        return False
    _failed(
        record,
        f"post-launch action(s) still IN_PROGRESS when the checks ended: {', '.join(running)}",
        "MGN runs the actions through SSM (the target subnet's ssm endpoints); a longer InstanceCheckSeconds gives "
        "slow actions more time; run the finalize stage once they have succeeded.",
    )
    return False


def _closed_ports(record: ServerLaunch, closed: tuple[int, ...]) -> ServerLaunch:
    ports = ", ".join(f"TCP {port}" for port in closed)
    return _failed(
        record,
        f"{ports} on {record.instance_id} did not answer the probe from the target subnet",
        f"Check that the service listens on {ports} on the instance's private address (not only on localhost), "
        f"that the instance's security groups admit {ports} from the target security groups, and that the target "
        "subnet's network ACL allows it and the return traffic (ephemeral ports 1024-65535).",
    )


def _failed(record: ServerLaunch, reason: str, hint: str) -> ServerLaunch:
    record.verdict = Verdict.FAILED
    record.reason = reason
    record.hint = hint
    return record


def launch_failed(record: ServerLaunch, stage: str) -> ServerLaunch:
    """MGN reports the launch itself FAILED: nothing to check."""
    return _failed(
        record,
        f"MGN's {stage} launch failed (job {record.job_id})",
        "Open the job log (DescribeJobLogItems) for the step that failed; on a private network the conversion "
        "server needs the S3 gateway route in the staging subnet to reach the AL2023 repositories.",
    )
