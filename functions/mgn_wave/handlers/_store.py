"""The wave store the handlers share, from the environment."""

from __future__ import annotations

from mgn_wave.adapters.clients import dynamodb_client, s3_client
from mgn_wave.adapters.wave_store import WaveStore
from mgn_wave.core import config


def wave_store() -> WaveStore:
    region = config.region_from_env()
    return WaveStore(
        s3_client(region), dynamodb_client(region), config.wave_bucket_from_env(), config.state_table_from_env()
    )
