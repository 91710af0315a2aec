"""The clients the adapters build: the Regional STS endpoint in the Region's own partition."""

from __future__ import annotations

import pytest

from mgn_wave.adapters.clients import sts_client


@pytest.mark.parametrize(
    ("region", "endpoint"),
    [
        ("cn-north-1", "https://sts.cn-north-1.amazonaws.com.cn"),
        ("cn-northwest-1", "https://sts.cn-northwest-1.amazonaws.com.cn"),
        ("us-east-1", "https://sts.us-east-1.amazonaws.com"),
        ("ap-northeast-1", "https://sts.ap-northeast-1.amazonaws.com"),
        ("us-gov-west-1", "https://sts.us-gov-west-1.amazonaws.com"),
    ],
)
def test_sts_endpoint_is_regional_in_the_partitions_domain(region: str, endpoint: str) -> None:
    assert sts_client(region).meta.endpoint_url == endpoint
