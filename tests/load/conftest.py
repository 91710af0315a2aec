"""The load tier's busy machine: two CPU-bound processes beside the waves."""

from __future__ import annotations

import subprocess
import sys
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

# Each CPU burner ends on its own after this many real seconds, whatever happens to the test.
BURNER_LIFETIME_SECONDS = 600
BURNERS = 2


@pytest.fixture
def busy_machine() -> Iterator[Callable[[], None]]:
    """Call it to start two CPU-bound processes; they are stopped when the test ends."""
    burners: list[subprocess.Popen[bytes]] = []

    def start() -> None:
        program = f"import time\nend = time.monotonic() + {BURNER_LIFETIME_SECONDS}\nwhile time.monotonic() < end: pass"
        burners.extend(subprocess.Popen([sys.executable, "-c", program]) for _ in range(BURNERS))

    yield start
    for burner in burners:
        burner.kill()
        burner.wait(timeout=10)
