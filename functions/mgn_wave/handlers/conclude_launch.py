"""ConcludeLaunch: check each launched instance (EC2 status checks, SSM ping), then act on the
passing servers (READY_FOR_CUTOVER after a test, FinalizeCutover after a cutover) and report."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import ec2_client, lambda_client, mgn_client, ssm_client
from mgn_wave.adapters.ec2_launch import Ec2LaunchAdapter
from mgn_wave.adapters.mgn_launch import MgnLaunchAdapter
from mgn_wave.adapters.port_probe import PortProbeAdapter
from mgn_wave.adapters.ssm_ping import ping_statuses
from mgn_wave.core import config
from mgn_wave.core.errors import InvalidInputError
from mgn_wave.core.observability import logger, tracer
from mgn_wave.handlers._store import wave_store
from mgn_wave.launch.config import port_probe_function_from_env, seconds_from_env
from mgn_wave.launch.models import stage_of
from mgn_wave.launch.steps import check_instances, conclude

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    stage = stage_of(event.get("stage"))
    region = config.region_from_env()
    key = str(event.get("serversKey", ""))
    if event.get("action") == "check":
        ssm = ssm_client(region)
        return check_instances(
            key,
            event.get("checkDeadline"),
            seconds_from_env("INSTANCE_SETTLE_SECONDS", "InstanceCheckSeconds"),
            ec2=Ec2LaunchAdapter(ec2_client(region)),
            ping=lambda ids: ping_statuses(ssm, ids),
            mgn=MgnLaunchAdapter(mgn_client(region)),
            probe=PortProbeAdapter(lambda_client(region), port_probe_function_from_env()).closed_ports,
            store=wave_store(),
        )
    if event.get("action") == "conclude":
        summary = conclude(
            stage,
            str(event.get("wave", "")),
            str(event.get("executionName", "")),
            key,
            archive=bool(event.get("archive", False)),
            mgn=MgnLaunchAdapter(mgn_client(region)),
            store=wave_store(),
        )
        logger.info("launch concluded", extra={"stage": stage.value, "totals": summary["totals"]})
        return summary
    raise InvalidInputError("action", "check or conclude")
