"""LaunchPlan: the wave's servers for a stage, the target side's preflight, the launch settings."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import ec2_client, mgn_client
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.adapters.ec2_launch import Ec2LaunchAdapter
from mgn_wave.adapters.mgn_launch import MgnLaunchAdapter
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.handlers._store import wave_store
from mgn_wave.launch.config import launch_target_from_env, seconds_from_env
from mgn_wave.launch.models import validate_launch_input
from mgn_wave.launch.steps import plan

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = validate_launch_input(event.get("input"))
    region = config.region_from_env()
    path = config.private_path_from_env()
    result = plan(
        request,
        str(event.get("executionName", "")),
        mgn=MgnLaunchAdapter(mgn_client(region)),
        ec2=Ec2LaunchAdapter(ec2_client(region)),
        network=Ec2Adapter(ec2_client(region)),
        store=wave_store(),
        target=launch_target_from_env(),
        region=region,
        source_cidrs=tuple(str(c) for c in path.source_cidrs),
        wave_tag_key=config.wave_tag_key_from_env(),
    )
    result["pollSeconds"] = seconds_from_env("LAUNCH_POLL_SECONDS", "LaunchPollSeconds")
    result["approvalSeconds"] = seconds_from_env("APPROVAL_SECONDS", "CutoverApprovalSeconds")
    logger.info("launch planned", extra={"stage": result["stage"], "eligible": result["eligible"], "ok": result["ok"]})
    return result
