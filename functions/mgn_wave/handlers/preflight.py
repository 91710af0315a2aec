"""Preflight: prove the private path to MGN before anything is changed or installed."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import cloudtrail_client, ec2_client
from mgn_wave.adapters.cloudtrail import CloudTrailAdapter
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.core.config import private_path_from_env
from mgn_wave.core.observability import logger, tracer
from mgn_wave.preflight.flow import check_private_path

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    target = private_path_from_env()
    report = check_private_path(
        target, Ec2Adapter(ec2_client(target.region)), CloudTrailAdapter(cloudtrail_client(target.region))
    )
    logger.info(
        "preflight finished",
        extra={"ok": report.ok, "blockers": report.blockers, "warnings": report.warnings},
    )
    return report.model_dump(mode="json", by_alias=True)
