"""The emulated Lambda runtime puts the virtual clock behind `timeutil.utcnow`; a module that binds
the name at import (`from ... timeutil import utcnow`) before that keeps the wall clock (a task token
parked "after" every event, a launch approval that expires in real hours)."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EARLY_BINDING = re.compile(r"from\s+mgn_wave\.core\.timeutil\s+import\s+[^\n]*\butcnow\b")


def test_no_module_binds_utcnow_at_import() -> None:
    offenders = [
        str(path.relative_to(ROOT))
        for folder in ("functions", "cli", "emulator", "bench")
        for path in (ROOT / folder).rglob("*.py")
        if EARLY_BINDING.search(path.read_text())
    ]
    assert offenders == [], f"read the clock as timeutil.utcnow(), not a name bound at import: {offenders}"
