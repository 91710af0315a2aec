"""The audit's published figures (cases per model, payloads tried, faults injected, leaks found,
actions per role): a test records its line, and `make test` prints them all together at the end
of the run, where CI's log keeps them (see `pytest_terminal_summary` in conftest.py)."""

from __future__ import annotations

LINES: list[str] = []
TALLIES: dict[str, int] = {}


def record(line: str) -> None:
    LINES.append(line.strip("\n"))


def tally(label: str) -> None:
    """One more case of a parametrized check; the summary prints `label: count`."""
    TALLIES[label] = TALLIES.get(label, 0) + 1


def summary() -> list[str]:
    return [*LINES, *(f"{label}: {count}" for label, count in TALLIES.items())]
