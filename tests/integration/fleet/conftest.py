"""The emulated fleet on the field report's network (seed-clean), with more source servers.

Building a scenario takes about a second, so each test module shares one emulated AWS; tests use
their own nodes, and tests that change the network or a knob put it back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from fleet_helpers import REGION, Installs, fleet_scenario, read_private_path

from mgn_wave_emu.harness import EmulatedAws

if TYPE_CHECKING:
    from collections.abc import Iterator


def _emulated(dns: str) -> Iterator[Installs]:
    with EmulatedAws(region=REGION) as aws:
        aws.build_scenario(fleet_scenario(dns))
        yield Installs(aws, read_private_path(aws))


@pytest.fixture(scope="module")
def public_dns() -> Iterator[Installs]:
    """The field report's sources: public DNS only."""
    yield from _emulated("public")


@pytest.fixture(scope="module")
def resolver_dns() -> Iterator[Installs]:
    """Sources whose DNS forwards to a Route 53 Resolver inbound endpoint."""
    yield from _emulated("resolver")
