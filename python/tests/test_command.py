"""The `usimc` command the wheel installs behaves as the cargo binary:
the same stdout, stderr and exit code."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import List

import pytest

from conftest import run

BROKEN = 'process p() {\n    print("{nope}")\n}\nrun p()\n'
FAILS = 'process p() {\n    await delay(1)\n    fail("stop")\n}\nrun p()\n'

COMMANDS: List[List[str]] = [
    ["run", "examples/bank.usim"],
    ["run", "examples/bank.usim", "--reps", "3", "--set", "CUSTOMERS=5,9", "--report", "json"],
    ["run", "examples/mm1.usim", "--report", "csv", "--reps", "2", "--jobs", "2"],
    ["run", "examples/shop.usim", "--trace"],
    ["run", "examples/shop.usim", "--warmup", "100"],
    ["check", "examples/bank.usim"],
    ["check", "broken.usim"],
    ["run", "broken.usim"],
    ["run", "fails.usim"],
    ["run", "examples/bank.usim", "--reps", "0"],
    ["run", "examples/bank.usim", "--set", "NOPE=1"],
    ["run", "nowhere.usim"],
    ["emit", "ir", "examples/shop.usim"],
    ["fmt", "--check", "examples"],
    ["--help"],
    ["--version"],
    ["frobnicate"],
    [],
]


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: " ".join(a) or "(nothing)")
def test_the_command_is_the_binary(usimc_bin: str, usimc_command: str, work: Path, args: List[str]) -> None:
    (work / "broken.usim").write_text(BROKEN)
    (work / "fails.usim").write_text(FAILS)
    theirs = run([usimc_bin, *args], work)
    mine = run([usimc_command, *args], work)
    assert mine == theirs


def test_python_dash_m_runs_it_too(usimc_bin: str, work: Path) -> None:
    args = ["run", "examples/bank.usim", "--seed", "3"]
    assert run([sys.executable, "-m", "usimc", *args], work) == run([usimc_bin, *args], work)


def test_a_closed_pipe_is_no_error(usimc_command: str, work: Path) -> None:
    done = subprocess.run(
        f"'{usimc_command}' run examples/mm1_fast.usim --trace | head -1",
        shell=True,
        cwd=work,
        capture_output=True,
        text=True,
    )
    assert done.stdout.count("\n") == 1
    assert done.stderr == ""


def test_the_report_file_and_stdin(usimc_bin: str, usimc_command: str, work: Path) -> None:
    for tool, out in ((usimc_bin, "a.json"), (usimc_command, "b.json")):
        ended = run([tool, "run", "examples/mm1.usim", "--reps", "2", "--report", "json", "--out", out], work)
        assert ended.code == 0
    assert (work / "a.json").read_text() == (work / "b.json").read_text()
    source = (work / "examples" / "shop.usim").read_text()
    assert run([usimc_command, "fmt", "-"], work, stdin=source) == run([usimc_bin, "fmt", "-"], work, stdin=source)


ENDLESS = """\
var ticks: int = 0

process p() {
    loop {
        await delay(1.0)
        ticks += 1
    }
}

run p()
"""


def test_ctrl_c_stops_the_run_where_it_is(usimc_bin: str, usimc_command: str, work: Path) -> None:
    import signal
    import time

    (work / "endless.usim").write_text(ENDLESS)
    for tool in (usimc_bin, usimc_command):
        process = subprocess.Popen(
            [tool, "run", "endless.usim"], cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        time.sleep(1.0)
        process.send_signal(signal.SIGINT)
        stdout, stderr = process.communicate(timeout=60)
        assert process.returncode == 130, (tool, stderr)
        # Where it stops is the moment's: in the loop, or between two events.
        assert stderr.startswith("error[R0001]: interrupted (Ctrl-C)\n"), (tool, stderr)
        assert "= at simulated time " in stderr, (tool, stderr)
