"""Property-based: any JSON-shaped event either validates or raises InvalidInputError naming a
field - never another exception. 1,000 generated cases per model; cheap strategies, no deadline."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mgn_wave.errors import InvalidInputError
from mgn_wave.handlers.await_replication import AwaitRequest
from mgn_wave.handlers.check_installs import CheckRequest
from mgn_wave.handlers.install_agents import InstallRequest
from mgn_wave.handlers.poll_replication import PollRequest
from mgn_wave.handlers.resolve_servers import ResolveRequest
from mgn_wave.handlers.summarize import SummarizeRequest
from mgn_wave.install.parameters import InstallParameters
from mgn_wave.models.network import PrivatePathTarget
from mgn_wave.models.validation import parse_model
from mgn_wave.models.wave import WaveInput

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
)

_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=40)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)


def _events(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    # Mostly objects built from the model's own field names and aliases, so validation goes deep.
    names = sorted({f.alias or n for n, f in model.model_fields.items()} | set(model.model_fields))
    keys = st.sampled_from(names) | st.text(max_size=12)
    return st.dictionaries(keys, _json, max_size=len(names) + 1) | _json


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_properties_any_event_validates_or_names_the_bad_field(model: type[BaseModel]) -> None:
    @settings(max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck))
    @given(event=_events(model))
    def check(event: Any) -> None:
        try:
            parse_model(model, event)
        except InvalidInputError as error:
            assert str(error)

    check()
