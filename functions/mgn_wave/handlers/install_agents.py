"""InstallAgents: probe-then-install through SSM Run Command on every server that needs it.

The credentials it creates go into the SendCommand call and nowhere else: not the logs (the event
and response are not logged, the model keeps them as SecretStr), not the state data (the output is
command IDs and results)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.adapters.clients import dynamodb_client, ec2_client, mgn_client, ssm_client, sts_client
from mgn_wave.adapters.ec2 import Ec2Adapter
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.adapters.ssm import SsmAdapter
from mgn_wave.adapters.sts import StsAdapter
from mgn_wave.agent_install.flow import install_agents
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers._store import wave_store
from mgn_wave.waves.flow import result_expiry, wave_key
from mgn_wave.waves.models import ManagedNode, WaveInput

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

# A duplicated or retried request for the same execution and servers returns the first answer
# instead of sending again (the send itself also recovers its commands by their comment).
IDEMPOTENCY = IdempotencyConfig(expires_after_seconds=7 * 24 * 3600)


class InstallRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    input: WaveInput
    execution_name: str = Field(alias="executionName", pattern=r"^[A-Za-z0-9_.:-]{1,80}$")
    servers_key: str = Field(alias="serversKey", min_length=1, max_length=1024)


def _launch(request: InstallRequest) -> dict[str, Any]:
    target = config.private_path_from_env()
    region = target.region
    store = wave_store()
    nodes = [ManagedNode.model_validate(item) for item in store.get_list(request.servers_key)]
    launch = install_agents(
        wave_input=request.input,
        execution_name=request.execution_name,
        nodes=nodes,
        settings=config.install_settings_from_env(),
        target=target,
        ec2=Ec2Adapter(ec2_client(region)),
        mgn=MgnAdapter(mgn_client(region)),
        ssm=SsmAdapter(ssm_client(region)),
        sts=StsAdapter(sts_client(region)),
    )
    # The servers that need no install are results now; the commands go to the wave bucket (their
    # instance IDs grow with the wave, a state's data may not) and the state keeps where.
    store.record(request.execution_name, launch.results, result_expiry())
    key = wave_key(request.input.wave, request.execution_name, "install-commands.json")
    store.put_list(key, [c.model_dump(mode="json", by_alias=True) for c in launch.commands])
    return {"commandsKey": key, "commandCount": len(launch.commands), "notInstalled": len(launch.results)}


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(InstallRequest, event)
    IDEMPOTENCY.register_lambda_context(context)
    persistence = DynamoDBPersistenceLayer(
        table_name=config.idempotency_table_from_env(), boto3_client=dynamodb_client(config.region_from_env())
    )
    launch_once = idempotent_function(
        data_keyword_argument="request", persistence_store=persistence, config=IDEMPOTENCY
    )(_launch)
    launch: dict[str, Any] = launch_once(request=request)
    logger.info(
        "install launched",
        extra={
            "commands": launch["commandCount"],
            "list": launch["commandsKey"],
            "not_installed": launch["notInstalled"],
        },
    )
    return launch
