"""Audit tier: whole waves on the emulated AWS, measured (calls per role, faults, leaks)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from mgn_wave_emu.harness import EmulatedAws

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture
def aws() -> Iterator[EmulatedAws]:
    with EmulatedAws() as emulated:
        yield emulated
