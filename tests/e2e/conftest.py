"""End-to-end tier: the real ASL from template.yaml executing in the local engine, the real
handlers behind `lambda:invoke`, a shipped scenario built in moto."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mgn_wave_emu.harness import EmulatedAws

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from mgn_wave_emu.scenario import BuiltScenario


@pytest.fixture
def aws() -> Iterator[EmulatedAws]:
    with EmulatedAws() as emulated:
        yield emulated


@pytest.fixture
def deployed(aws: EmulatedAws) -> Callable[[str], BuiltScenario]:
    """Build a shipped scenario's network and deploy the stack for it."""

    def deploy(scenario_name: str) -> BuiltScenario:
        return aws.deploy_scenario(scenario_name)

    return deploy
