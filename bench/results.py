"""`bench/results.json`: the figures the issues name, machine-readable, beside BENCHMARKS.md.

Each benchmark step records its own figures; a step that did not run leaves the figures of an
earlier run in place (stamped with when they were measured), so a partial `make bench` never
erases what it did not measure."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS_PATH = Path(__file__).resolve().parent / "results.json"


def record(figures: dict[str, Any], path: Path = RESULTS_PATH) -> dict[str, Any]:
    """Merge `figures` (name -> value) into the results file and return the whole of it."""
    results: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    measured_at = datetime.now(UTC).isoformat(timespec="seconds")
    for name, value in figures.items():
        results[name] = value
        results.setdefault("_measured_at", {})[name] = measured_at
    path.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    return results
