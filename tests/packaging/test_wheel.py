"""The package as users install it: a wheel built from this checkout, installed into a fresh
virtual environment (not the editable install the other tests use).

The README installs from a checkout or a git URL, not from an index, so what the wheel carries
is what users get: the modules, `py.typed`, the `entra-crosstenant` command, the pytest plugin
and the dependencies it declares. The build runs offline with the build backend `make setup`
installs (`--no-build-isolation`); the fresh environment sees the dependencies already
installed here through a path entry, so `pip check` proves the declared ones are enough.
"""

from __future__ import annotations

import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PIP = [sys.executable, "-m", "pip", "--disable-pip-version-check"]


def _run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(c) for c in command], capture_output=True, text=True, cwd=cwd, timeout=300
    )
    assert done.returncode == 0, f"{command}: {done.stdout[-2000:]}{done.stderr[-2000:]}"
    return done.stdout


def _build_wheel(tmp_path: Path) -> Path:
    """Build from a copy of the files the build reads, so the checkout gets no build/ folder."""
    source = tmp_path / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(REPO / name, source / name)
    shutil.copytree(
        REPO / "provider",
        source / "provider",
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
    )
    out = tmp_path / "dist"
    _run(*PIP, "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", out, source)
    (wheel,) = out.glob("pulumi_entra_crosstenant-*.whl")
    return wheel


def test_the_wheel_installs_into_a_fresh_venv_and_its_commands_run(tmp_path: Path) -> None:
    wheel = _build_wheel(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = next(archive.read(n).decode() for n in names if n.endswith("/METADATA"))
        entry_points = next(
            archive.read(n).decode() for n in names if n.endswith("entry_points.txt")
        )
    assert "entra_crosstenant/py.typed" in names
    assert "entra_crosstenant/emulator/__main__.py" in names
    assert not any(n.startswith(("tests/", "examples/", "bench/")) for n in names)
    assert "entra-crosstenant = entra_crosstenant.cli:main" in entry_points
    assert "entra_emulator = entra_crosstenant.emulator.pytest_plugin" in entry_points
    assert "Requires-Dist: werkzeug" in metadata and 'extra == "emulator"' in metadata

    fresh = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(fresh)
    python = fresh / "bin" / "python"
    target = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    )
    # The dependencies installed here, importable there (after its own site-packages).
    (target / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    _run(*PIP, "--python", python, "install", "--no-deps", "-q", wheel)
    _run(*PIP, "--python", python, "check")

    where = _run(python, "-c", "import entra_crosstenant; print(entra_crosstenant.__file__)")
    assert Path(where.strip()).is_relative_to(fresh), where  # the wheel's copy, not this checkout
    assert "usage: entra-crosstenant" in _run(fresh / "bin" / "entra-crosstenant", "--help")
    assert "usage: entra-crosstenant" in _run(python, "-m", "entra_crosstenant", "--help")
    emulator_help = _run(python, "-m", "entra_crosstenant.emulator", "--help")
    assert "--state-dir" in emulator_help and "--background" in emulator_help
