"""EnforceTemplate: hold the private-path replication settings on the template and on every
server of the wave that MGN already knows, and report the drift it found."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.adapters.clients import ec2_client, mgn_client
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers._store import wave_store
from mgn_wave.replication_settings.flow import enforce_replication_settings, store_enforcement_report
from mgn_wave.waves.models import WaveInput

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


class EnforceRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    input: WaveInput
    execution_name: str = Field(alias="executionName", pattern=r"^[A-Za-z0-9_.:-]{1,80}$")


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(EnforceRequest, event)
    wave_input = request.input
    target = config.private_path_from_env()
    report = enforce_replication_settings(
        wave_input=wave_input,
        policy=config.replication_policy_from_env(target),
        target=target,
        template_id=config.replication_template_id_from_env(),
        wave_tag_key=config.wave_tag_key_from_env(),
        mgn=MgnAdapter(mgn_client(target.region)),
        ec2=Ec2Adapter(ec2_client(target.region)),
    )
    logger.info(
        "replication settings enforced",
        extra={
            "dry_run": report.dry_run,
            "template": report.template.resource_id,
            "template_action": report.template.action,
            "servers_changed": sum(1 for s in report.servers if s.changes),
        },
    )
    summary = store_enforcement_report(
        report, wave=wave_input.wave, execution_name=request.execution_name, store=wave_store()
    )
    return summary.model_dump(mode="json", by_alias=True)
