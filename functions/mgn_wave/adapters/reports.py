"""Where wave reports are kept: the report bucket (encrypted, versioned, no public access)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mgn_wave.adapters.errors import aws_call

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


class ReportStore:
    def __init__(self, client: S3Client, bucket: str) -> None:
        self._client = client
        self.bucket = bucket

    def put(self, key: str, body: str, content_type: str) -> None:
        with aws_call("s3:PutObject"):
            self._client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=body.encode("utf-8"),
                ContentType=content_type,
                # Explicit, so the object is encrypted whatever the bucket default becomes.
                ServerSideEncryption="AES256",
            )
