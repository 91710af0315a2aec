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

# `make test` runs the tests in two pytest-xdist workers: each worker hands its figures to the
# controller when it finishes, and the controller prints them all.
_WORKER_FIGURES: list[tuple[list[str], dict[str, int]]] = []


def pytest_sessionfinish(session: pytest.Session) -> None:
    import figures

    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        workeroutput["figures"] = (figures.LINES, figures.TALLIES)


def pytest_testnodedown(node: object, error: object) -> None:
    output = getattr(node, "workeroutput", {})
    if "figures" in output:
        lines, tallies = output["figures"]
        _WORKER_FIGURES.append((list(lines), dict(tallies)))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    import figures

    for lines, tallies in _WORKER_FIGURES:
        figures.LINES.extend(lines)
        for label, count in tallies.items():
            figures.TALLIES[label] = figures.TALLIES.get(label, 0) + count
    if lines := figures.summary():
        terminalreporter.section("audit figures")
        for line in lines:
            terminalreporter.write_line(line)
