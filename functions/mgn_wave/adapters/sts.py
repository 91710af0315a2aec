"""Short-lived credentials for the replication agent installer."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, SecretStr

from mgn_wave.adapters.errors import aws_call

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

INSTALL_SESSION_SECONDS = 900  # STS minimum: the install needs minutes, the keys should not outlive it

# What the installer needs (AWSApplicationMigrationAgentInstallationPolicy, docs/aws-facts.md §3.3). The
# session policy intersects with the role's policies: even a broader role yields no more than this.
INSTALL_SESSION_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Action": [
                "mgn:GetAgentInstallationAssetsForMgn",
                "mgn:SendClientMetricsForMgn",
                "mgn:SendClientLogsForMgn",
                "mgn:RegisterAgentForMgn",
                "mgn:VerifyClientRoleForMgn",
                "mgn:IssueClientCertificateForMgn",
                "mgn:TagResource",
            ],
            "Resource": "*",
        }
    ],
}


class InstallCredentials(BaseModel):
    """Temporary keys. SecretStr keeps them out of reprs, logs and model dumps by accident; only
    `reveal()` hands them out, to the one call that needs them."""

    model_config = ConfigDict(frozen=True)

    access_key_id: SecretStr
    secret_access_key: SecretStr
    session_token: SecretStr

    def reveal(self) -> tuple[str, str, str]:
        return (
            self.access_key_id.get_secret_value(),
            self.secret_access_key.get_secret_value(),
            self.session_token.get_secret_value(),
        )


class StsAdapter:
    def __init__(self, client: STSClient) -> None:
        self._client = client

    def install_credentials(self, role_arn: str, session_name: str) -> InstallCredentials:
        with aws_call("sts:AssumeRole"):
            assumed = self._client.assume_role(
                RoleArn=role_arn,
                RoleSessionName=session_name[:64],
                DurationSeconds=INSTALL_SESSION_SECONDS,
                Policy=json.dumps(INSTALL_SESSION_POLICY),
            )
        credentials = assumed["Credentials"]
        return InstallCredentials(
            access_key_id=SecretStr(credentials["AccessKeyId"]),
            secret_access_key=SecretStr(credentials["SecretAccessKey"]),
            session_token=SecretStr(credentials["SessionToken"]),
        )
