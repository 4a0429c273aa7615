"""The type information ships and checks: the stubs import, and a typed use
of the package passes `mypy --strict` (skipped where mypy is not installed)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

import usimc


def test_the_package_is_typed() -> None:
    folder = Path(usimc.__file__).parent
    assert (folder / "py.typed").is_file()
    assert (folder / "_usimc.pyi").is_file()
    from usimc import _usimc

    assert _usimc.version() == usimc.__version__


def test_mypy_strict_accepts_a_typed_use(tmp_path: Path) -> None:
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed")
    usage = Path(__file__).with_name("typed_usage.py")
    for target in ([str(usage)], ["-p", "usimc"]):
        done = subprocess.run(
            [sys.executable, "-m", "mypy", "--strict", "--no-incremental", *target],
            cwd=tmp_path,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, done.stdout + done.stderr
