"""A plain `pip install .` (not editable) ships a working CLI: setuptools finds every package
itself. Builds the wheel, installs it into a fresh venv and runs `mgn-wave --help` there, away
from the source tree, so nothing can be imported from the checkout by accident."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.packaging


def _source_packages() -> set[str]:
    """Every package directory of the source tree, as its path inside a wheel."""
    found = set()
    for root in ("functions", "cli", "emulator"):
        for init in (REPO / root).rglob("__init__.py"):
            found.add(init.parent.relative_to(REPO / root).as_posix())
    found.add("agent")
    return found


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "--wheel-dir", str(out), str(REPO)],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("mgn_wave-*.whl")
    return built


def test_wheel_holds_every_package_and_the_data_files(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {Path(n).parent.as_posix() for n in names if n.endswith("/__init__.py")}
    assert _source_packages() <= packages, sorted(_source_packages() - packages)
    # every room, and a package inside one (a hand-kept package list once left one out)
    for room in ("preflight", "preflight/checks", "replication_settings", "agent_install", "replication_wait", "waves"):
        assert f"mgn_wave/{room}/__init__.py" in names
    assert any(n.startswith("mgn_wave_emu/scenarios/") and n.endswith(".yaml") for n in names)
    assert "agent/install-linux.sh" in names


def test_wheel_installed_in_a_fresh_venv_runs_the_cli(wheel: Path, tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--quiet", str(wheel)],
        check=True,
        capture_output=True,
    )
    # The dependencies come from this venv's site-packages (a path in a .pth: its own .pth files,
    # the editable install of the checkout among them, are not processed), so only the wheel
    # provides mgn_wave and the test needs no index.
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "dev-dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    located = subprocess.run(
        [
            str(python),
            "-c",
            "import mgn_wave.agent_install.flow, mgn_wave_cli.main, mgn_wave_emu.harness; "
            "print(mgn_wave.agent_install.flow.__file__)",
        ],
        cwd=tmp_path,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    assert located.startswith(str(venv)), located
    shown = subprocess.run(
        [str(venv / "bin" / "mgn-wave"), "--help"], check=False, cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0, shown.stderr
    for command in ("preflight", "template", "start", "status", "report", "demo"):
        assert command in shown.stdout
