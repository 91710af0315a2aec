"""Settings every test tier shares: a fixed Region, fake credentials, no X-Ray daemon."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

# Before any boto3 client exists: nothing in the tests may find real credentials or a profile.
os.environ.update(
    {
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "POWERTOOLS_TRACE_DISABLED": "1",
        "POWERTOOLS_SERVICE_NAME": "mgn-wave",
        "POWERTOOLS_METRICS_NAMESPACE": "MgnWave",
    }
)
os.environ.pop("AWS_PROFILE", None)
os.environ.pop("AWS_ENDPOINT_URL", None)

# The emulator's botocore hook must be registered before the first boto3 session is created
# (tests/README.md, "The import-order rule").
import mgn_wave_emu.hooks  # noqa: F401


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    import figures

    if lines := figures.summary():
        terminalreporter.section("audit figures")
        for line in lines:
            terminalreporter.write_line(line)
