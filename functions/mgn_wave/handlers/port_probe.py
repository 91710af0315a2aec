"""PortProbe: TCP connects from the target subnet (the function's VPC configuration: the target
subnet and the target security groups) to launched instances' private addresses. It calls no AWS
API, so it needs no endpoint in the target VPC."""

from __future__ import annotations

from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from mgn_wave.adapters import tcp
from mgn_wave.core import ids
from mgn_wave.core.observability import logger, tracer
from mgn_wave.core.validation import parse_model
from mgn_wave.launch.ports import MAX_CHECK_PORTS

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext

MAX_TARGETS = 50  # per invocation: see tcp.MAX_PARALLEL_CONNECTS
Port = Annotated[int, Field(strict=True, ge=1, le=65535)]


class ProbeTarget(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    instance_id: str = Field(alias="instanceId", pattern=ids.full(ids.EC2_INSTANCE_ID))
    address: IPv4Address
    ports: tuple[Port, ...] = Field(min_length=1, max_length=MAX_CHECK_PORTS)


class ProbeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: tuple[ProbeTarget, ...] = Field(min_length=1, max_length=MAX_TARGETS)


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    request = parse_model(ProbeRequest, event)
    closed = tcp.closed_ports([(str(t.address), t.ports) for t in request.targets])
    logger.info("ports probed", extra={"targets": len(request.targets), "closed": sum(1 for c in closed if c)})
    return {"closed": {t.instance_id: list(ports) for t, ports in zip(request.targets, closed, strict=True)}}
