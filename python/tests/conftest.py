"""Shared fixtures. The tests run against the *installed* package (test.sh
runs pytest outside the source tree) and compare it with the usimc binary
that cargo built, named by USIMC_BIN."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import List, Optional

import pytest

#: The repository: the folder holding examples/ (USIMC_REPO, or two up from here).
REPO = Path(os.environ.get("USIMC_REPO", Path(__file__).resolve().parents[2]))


@dataclass
class Ended:
    code: int
    stdout: str
    stderr: str


def run(command: List[str], cwd: Path, stdin: Optional[str] = None) -> Ended:
    done = subprocess.run(
        command, cwd=cwd, input=stdin, capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}
    )
    return Ended(done.returncode, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def usimc_bin() -> str:
    """The usimc binary cargo built, which the package must agree with."""
    path = os.environ.get("USIMC_BIN")
    if not path:
        pytest.skip("USIMC_BIN is not set: point it at the cargo-built usimc (python/test.sh does)")
    return path


@pytest.fixture(scope="session")
def usimc_command() -> str:
    """The `usimc` console script the wheel installed in this environment."""
    import sys

    found = shutil.which("usimc", path=str(Path(sys.executable).parent))
    assert found, f"the wheel installed no usimc command beside {sys.executable}"
    return found


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A folder holding a copy of examples/, where both usimc and the package
    run with the same relative paths (so messages name files alike)."""
    shutil.copytree(REPO / "examples", tmp_path / "examples")
    return tmp_path
