"""A launched instance's verdict from what EC2 and SSM say about it, with a hint for the
private network when it fails."""

from __future__ import annotations

from dataclasses import dataclass

from mgn_wave.launch.models import ServerLaunch, Verdict

# EC2 status checks still "initializing" for a few minutes after boot; SSM Agent registers then too.
_SETTLING = frozenset({"initializing", "not-applicable"})


@dataclass(frozen=True)
class InstanceHealth:
    """What the checks read about one instance."""

    state: str  # EC2 instance state: pending, running, stopped, ...
    system_status: str  # ok, impaired, initializing, insufficient-data, not-applicable
    instance_status: str
    ssm_ping: str | None  # Online, ConnectionLost, Inactive; None: SSM does not know it


def judge(record: ServerLaunch, health: InstanceHealth | None, *, settled: bool) -> ServerLaunch:  # noqa: PLR0911 - one return per verdict
    """PASSED when running, both status checks ok and SSM Online. Before `settled` (the
    instances' grace period), anything still starting stays PENDING."""
    if health is None:
        return _failed(
            record,
            "the launched instance no longer exists",
            "Launch the server again; check CloudTrail for who terminated it.",
        )
    if health.state == "pending" or (
        not settled and (health.system_status in _SETTLING or health.instance_status in _SETTLING)
    ):
        return record
    if health.state != "running":
        return _failed(
            record,
            f"instance {record.instance_id} is {health.state}",
            "Look at the instance's system log: a converted boot volume that does not boot stops here "
            "(drivers, fstab entries for disks that were not replicated).",
        )
    if health.system_status != "ok" or health.instance_status != "ok":
        return _failed(
            record,
            f"EC2 status checks: system {health.system_status}, instance {health.instance_status}",
            "Read the instance's console output; an instance check failing after conversion is usually the OS (network "
            "configuration, drivers).",
        )
    if health.ssm_ping != "Online":
        if not settled:
            return record
        return _failed(
            record,
            f"SSM Agent on {record.instance_id} is {health.ssm_ping or 'not registered'}",
            "The target subnet needs the ssm, ssmmessages and ec2messages endpoints (TCP 443 from the subnet) and the "
            "instance an instance profile with AmazonSSMManagedInstanceCore.",
        )
    record.verdict = Verdict.PASSED
    record.reason = f"instance {record.instance_id} running, status checks ok, SSM Online"
    record.hint = ""
    return record


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
