"""`bench/results.json`: the figures the issues name, machine-readable, beside BENCHMARKS.md.

Each benchmark step records its own figures; a step that did not run leaves the figures of an
earlier run in place (stamped with when they were measured), so a partial `make bench` never
erases what it did not measure."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"
BENCHMARKS_PATH = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def record(figures: dict[str, Any], path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Merge `figures` (name -> value) into the results file and return the whole of it."""
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    for name, value in figures.items():
        results[name] = value
        results.setdefault("_measured_at", {})[name] = measured_at
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results


def write_section(text: str, start: str, end: str, path: Path = BENCHMARKS_PATH) -> None:
    """Put `text` (which starts with the marker `start` and ends with `end`) in place of the marked
    section of BENCHMARKS.md, or after the rest when there is none yet."""
    current = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.DOTALL)
    updated = pattern.sub(lambda _m: text, current) if pattern.search(current) else current.rstrip() + "\n\n" + text
    path.write_text(updated.rstrip() + "\n", encoding="utf-8")
