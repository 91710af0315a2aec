"""Property-based: any JSON-shaped event either validates or raises InvalidInputError naming a
field - never another exception. 1,000 generated cases per model; cheap strategies, no deadline."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import figures
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from mgn_wave.agent_install.parameters import InstallParameters
from mgn_wave.core.errors import InvalidInputError
from mgn_wave.core.validation import parse_model
from mgn_wave.handlers.await_replication import AwaitRequest
from mgn_wave.handlers.check_installs import CheckRequest
from mgn_wave.handlers.install_agents import InstallRequest
from mgn_wave.handlers.park_launch_token import ParkRequest
from mgn_wave.handlers.poll_replication import PollRequest
from mgn_wave.handlers.resolve_servers import ResolveRequest
from mgn_wave.handlers.summarize import SummarizeRequest
from mgn_wave.launch.models import LaunchInput
from mgn_wave.preflight.network import PrivatePathTarget
from mgn_wave.waves.models import WaveInput

if TYPE_CHECKING:
    from pydantic import BaseModel

MODELS: tuple[type[BaseModel], ...] = (
    WaveInput,
    AwaitRequest,
    CheckRequest,
    InstallRequest,
    PollRequest,
    ResolveRequest,
    SummarizeRequest,
    InstallParameters,
    PrivatePathTarget,
    LaunchInput,
    ParkRequest,
)

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


EVENTS = Path(__file__).resolve().parents[2] / "events"
# A valid event per model (the sample events `sam local invoke` uses, where there is one): the
# generator mutates one field of it at a time, so valid and nearly valid events are drawn too.
VALID_EVENTS: dict[str, Any] = {
    "WaveInput": "validate_input_overrides.json",
    "AwaitRequest": "await_replication.json",
    "CheckRequest": "check_installs.json",
    "InstallRequest": "install_agents.json",
    "PollRequest": "poll_replication.json",
    "ResolveRequest": "resolve_servers.json",
    "SummarizeRequest": "summarize.json",
    "LaunchInput": "launch_wave_test.json",
    "ParkRequest": "park_launch_token_jobs.json",
    "InstallParameters": {
        "Mode": "install",
        "Region": "us-east-1",
        "S3Endpoint": "vpce-0123456789abcdef0-abcdefgh.s3.us-east-1.vpce.amazonaws.com",
        "MgnEndpoint": "vpce-0fedcba9876543210-hgfedcba.mgn.us-east-1.vpce.amazonaws.com",
        "HostsEntries": "192.168.128.10 mgn.us-east-1.amazonaws.com",
        "UserProvidedId": "mi-0123456789abcdef0",
        "WaveTags": "MigrationWave=wave-01",
        "ProbeHosts": "mgn.us-east-1.amazonaws.com",
        "ExpectedCidrs": "192.168.128.0/25",
        "MinFreeDiskMiB": "2048",
        "AccessKeyId": "ASIAIOSFODNN7EXAMPLE",
        "SecretAccessKey": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "SessionToken": "IQoJb3JpZ2luX2VjEXAMPLETOKEN+session/token==",
    },
    "PrivatePathTarget": {
        "region": "us-east-1",
        "staging_vpc_id": "vpc-0123456789abcdef0",
        "staging_subnet_id": "subnet-0123456789abcdef0",
        "replication_sg_ids": ["sg-0123456789abcdef0"],
        "source_cidrs": ["10.10.0.0/16"],
    },
}


def _valid_event(model: type[BaseModel]) -> dict[str, Any]:
    seed = VALID_EVENTS[model.__name__]
    event: dict[str, Any] = json.loads((EVENTS / seed).read_text(encoding="utf-8")) if isinstance(seed, str) else seed
    return event


def _mutations(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    valid = _valid_event(model)
    keys = st.sampled_from(sorted(valid))
    replaced = st.tuples(keys, _json).map(lambda change: {**valid, change[0]: change[1]})
    dropped = keys.map(lambda key: {k: v for k, v in valid.items() if k != key})
    return st.just(valid) | replaced | dropped


def _events(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    # Mostly objects built from the model's own field names and aliases, so validation goes deep.
    names = sorted({f.alias or n for n, f in model.model_fields.items()} | set(model.model_fields))
    keys = st.sampled_from(names) | st.text(max_size=12)
    return st.dictionaries(keys, _json, max_size=len(names) + 1) | _json


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_properties_any_event_validates_or_names_the_bad_field(model: type[BaseModel]) -> None:
    outcomes = {"accepted": 0, "refused": 0}

    @settings(max_examples=1000, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
    @example(event=_valid_event(model))  # always tried, whatever the draw
    @given(event=_mutations(model) | _events(model))
    def check(event: Any) -> None:
        try:
            parse_model(model, event)
        except InvalidInputError as error:
            assert str(error)
            assert error.field, f"{error} names no field"
            outcomes["refused"] += 1
        else:
            outcomes["accepted"] += 1

    check()
    cases = sum(outcomes.values())
    assert outcomes["accepted"], "no generated event was valid: the valid side of the model went untested"
    figures.record(
        f"properties: {model.__name__} {cases} cases, {outcomes['refused']} refused naming the field, "
        f"{outcomes['accepted']} accepted, 0 unhandled"
    )
