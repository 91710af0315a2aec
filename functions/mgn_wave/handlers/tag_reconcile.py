"""TagReconcile: on a schedule, start the wave of every tagged hybrid node no wave has taken yet.

The safety net under the event-driven tag trigger: it needs neither the `aws.tag` event for managed
nodes nor a CloudTrail trail. It names executions like the tag trigger does, so a node the events
already started is not started again."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mgn_wave.adapters.clients import mgn_client, sfn_client, ssm_client
from mgn_wave.adapters.executions import ExecutionsAdapter
from mgn_wave.adapters.mgn import MgnAdapter
from mgn_wave.adapters.ssm import SsmAdapter
from mgn_wave.agent_install.rules import known_to_mgn
from mgn_wave.core import config
from mgn_wave.core.observability import logger, tracer
from mgn_wave.waves.tag_trigger import plan_reconciliation

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.typing import LambdaContext


@logger.inject_lambda_context(log_event=False)
@tracer.capture_lambda_handler(capture_response=False)
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    region = config.region_from_env()
    tagged = SsmAdapter(ssm_client(region)).wave_tags_of_hybrid_nodes(config.wave_tag_key_from_env())
    if not tagged:
        return {"started": [], "alreadyStarted": [], "tagged": 0}
    executions = ExecutionsAdapter(sfn_client(region), config.state_machine_arn_from_env())
    known = known_to_mgn(MgnAdapter(mgn_client(region)).describe_source_servers())
    joins = plan_reconciliation(tagged, set(known), executions.running_inputs())
    started, already = [], []
    for join in joins:
        if executions.start_once(join.execution_name, {"wave": join.wave, "instanceIds": [join.instance_id]}):
            started.append(join.execution_name)
        else:
            already.append(join.execution_name)
    logger.info(
        "tag reconciliation",
        extra={"tagged": len(tagged), "started": started, "already_started": already},
    )
    return {"started": started, "alreadyStarted": already, "tagged": len(tagged)}
