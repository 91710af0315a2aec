"""Endpoint policies: what the agent, the installer and the replication servers request through
the mgn and s3 endpoints must be allowed (the evaluation is `preflight/policy.py`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.preflight.checks.codes import ENDPOINT_POLICY_DENIES
from mgn_wave.preflight.checks.common import (
    MGN_ENDPOINT,
    S3_GATEWAY_ENDPOINT,
    S3_INTERFACE_ENDPOINT,
    EndpointSpec,
    find_endpoint,
    finding,
    mgn_s3_buckets,
    partition,
)
from mgn_wave.preflight.findings import Finding, Severity
from mgn_wave.preflight.policy import Decision, evaluate

if TYPE_CHECKING:
    from mgn_wave.preflight.network import (
        NetworkSnapshot,
        PrivatePathTarget,
    )

# What the MGN agent and installer call through the mgn endpoint (docs/mgn-facts.md §3.3): the
# AWSApplicationMigrationAgentInstallationPolicy actions on `*`, and the API Gateway call the
# UG asks to allow when the mgn endpoint has a policy.
_MGN_ACTIONS_ON_ANY_RESOURCE = (
    "mgn:GetAgentInstallationAssetsForMgn",
    "mgn:SendClientMetricsForMgn",
    "mgn:SendClientLogsForMgn",
    "mgn:RegisterAgentForMgn",
    "mgn:VerifyClientRoleForMgn",
)


def _policy_requests(target: PrivatePathTarget, spec: EndpointSpec, account_id: str) -> list[tuple[str, str]]:
    arn = partition(target.region)
    if spec.service == "s3":
        return [("s3:GetObject", f"arn:{arn}:s3:::{bucket}/*") for bucket in mgn_s3_buckets(target.region)]
    return [
        ("execute-api:Invoke", f"arn:{arn}:execute-api:{target.region}:*:*/POST/CreateSessionForMgn"),
        *((action, "*") for action in _MGN_ACTIONS_ON_ANY_RESOURCE),
        (
            "mgn:IssueClientCertificateForMgn",
            f"arn:{arn}:mgn:{target.region}:{account_id}:source-server/*",
        ),
    ]


def check_endpoint_policies(snapshot: NetworkSnapshot, target: PrivatePathTarget) -> list[Finding]:
    account_id = snapshot.vpc.owner_id or "*"
    findings = []
    for spec in (MGN_ENDPOINT, S3_INTERFACE_ENDPOINT, S3_GATEWAY_ENDPOINT):
        endpoint = find_endpoint(snapshot, target, spec.service, spec.endpoint_type)
        if endpoint is None:
            continue
        denied = [
            (action, resource, decision)
            for action, resource in _policy_requests(target, spec, account_id)
            if (decision := evaluate(endpoint.policy, action, resource)) is not Decision.ALLOW
        ]
        if not denied:
            continue
        action, resource, decision = denied[0]
        more = f" (and {len(denied) - 1} more request(s))" if len(denied) > 1 else ""
        findings.append(
            finding(
                Severity.BLOCKER,
                ENDPOINT_POLICY_DENIES,
                endpoint.endpoint_id,
                f"The policy of the {spec.label} {endpoint.endpoint_id} denies {action} on {resource} "
                f"({decision}){more}.",
                f"Add to the policy of {endpoint.endpoint_id} a statement "
                f'{{"Effect": "Allow", "Principal": "*", "Action": "{action}", "Resource": "{resource}"}}'
                + (" and remove the Deny statement that matches it." if decision is Decision.EXPLICIT_DENY else "."),
            )
        )
    return findings
