"""Valid install parameters, as the install Lambda would build them for one node."""

from __future__ import annotations

from typing import Any

import pytest

S3_ENDPOINT = "vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com"
MGN_ENDPOINT = "vpce-0fedcba9876543210-hgfedcba.mgn.us-east-1.vpce.amazonaws.com"
# Shaped like STS answers (moto's), never real: ASIA… keys are temporary.
ACCESS_KEY_ID = "ASIARZPUZDIKFQJJKCD4"
SECRET_ACCESS_KEY = "Vk3f2crX1qrvZaugwIpjAlY7b9wui1odT2QIp5Is"
SESSION_TOKEN = "FQoGZXIvYXdzEBYaDVf5ERpkmT9wbbciGxWYXaP3lBlZqut2C4+ZAsgcJDbFT045swSundNqV2kU9Kfw=="


@pytest.fixture
def install_values() -> dict[str, Any]:
    """Every document parameter with a valid value, keyed by the document's names."""
    return {
        "Mode": "install",
        "Region": "us-east-1",
        "S3Endpoint": S3_ENDPOINT,
        "S3EndpointForm": "installer-bucket",
        "MgnEndpoint": MGN_ENDPOINT,
        "HostsEntries": "192.168.128.10 mgn.us-east-1.amazonaws.com",
        "UserProvidedId": "mi-0123456789abcdef0",
        "WaveTags": "MigrationWave=wave-01 Owner=platform/team",
        "ProbeHosts": "mgn.us-east-1.amazonaws.com",
        "ExpectedCidrs": "192.168.128.0/25,192.168.128.128/25",
        "MinFreeDiskMiB": "2048",
        "AccessKeyId": ACCESS_KEY_ID,
        "SecretAccessKey": SECRET_ACCESS_KEY,
        "SessionToken": SESSION_TOKEN,
    }
