"""`make demo` prints the same beside two CPU-bound processes as on an idle machine: the mixed
wave (a firewall dropping TCP 1500, an offline node), its test launch, approval and cutover, and
the blocked network. Its own file, so that pytest-xdist runs it beside the other load tests."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable


def _demo(folder: Path) -> str:
    completed = subprocess.run(
        [str(Path(sys.executable).with_name("mgn-wave")), "demo"],
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
        # Wide enough that no ID wraps inside a table cell.
        env={"COLUMNS": "220", "PATH": "/usr/bin:/bin", "HOME": str(folder)},
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    # Everything but how long it took in real time (and the panel width that follows from it),
    # and the IDs of launched instances: moto draws them from the generator every concurrent actor
    # draws from, so which instance gets which ID depends on thread timing (servers, verdicts and
    # every other ID do not).
    text = re.sub(r"in [0-9.]+s( wall time)?", "in …s", completed.stdout)
    text = re.sub(r"\bi-[0-9a-f]{17}\b", "i-…", text)
    return re.sub(r" +│", " │", re.sub(r"─+", "─", text))


def test_make_demo_prints_the_same_under_load(busy_machine: Callable[[], None], tmp_path: Path) -> None:
    (tmp_path / "idle").mkdir()
    (tmp_path / "loaded").mkdir()
    idle = _demo(tmp_path / "idle")
    assert "MigrateWave SUCCEEDED" in idle
    busy_machine()
    assert _demo(tmp_path / "loaded") == idle
