"""Compile errors, runtime errors and refused options, against the binary."""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

import usimc
from conftest import run

BROKEN = """\
param N: int = 3

process p() {
    let x: int = 1.5
    print("{y}")
}

run p()
"""

FAILS = """\
param N: int = 1

process worker(k: int) {
    await delay(2.5)
    if k == N {
        fail("worker {k} gave up")
    }
}

process main() {
    for k in 0..3 {
        spawn worker(k)
    }
}

run main()
"""

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


def test_compile_errors_have_codes_lines_and_the_checks_text(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    (work / "broken.usim").write_text(BROKEN)
    with pytest.raises(usimc.CompileError) as caught:
        usimc.Model.from_file("broken.usim")
    e = caught.value
    assert [(d.code, d.severity, d.line, d.column) for d in e.diagnostics] == [
        ("E0201", "error", 4, 18),
        ("E0105", "error", 5, 13),
    ]
    assert all(d.is_error for d in e.errors) and len(e.errors) == 2
    assert "`y`" in e.diagnostics[1].message
    check = run([usimc_bin, "check", "broken.usim"], work)
    assert check.code == 1
    assert e.rendered == check.stderr
    assert e.rendered.endswith("broken.usim: 2 errors found\n")
    assert str(e) == check.stderr.rstrip("\n")
    # The same from the source, under the name given.
    with pytest.raises(usimc.CompileError) as again:
        usimc.Model.from_source(BROKEN, name="broken.usim")
    assert again.value.rendered == e.rendered


def test_a_file_that_is_not_utf8_is_e0001_at_its_byte(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    (work / "latin1.usim").write_bytes(b'process p() {\n    print("caf\xe9")\n}\nrun p()\n')
    with pytest.raises(usimc.CompileError) as caught:
        usimc.Model.from_file("latin1.usim")
    [d] = caught.value.diagnostics
    assert (d.code, d.line, d.column) == ("E0001", 2, 15)
    assert caught.value.rendered == run([usimc_bin, "check", "latin1.usim"], work).stderr


def test_a_sweep_point_that_does_not_compile_is_named(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    source = "param N: int = 1\nlock desks(capacity: N)\n\nprocess p() {\n    with desks {\n"
    source += '        print("N={N}")\n    }\n}\n\nrun p()\n'
    (work / "sized.usim").write_text(source)
    m = usimc.Model.from_file("sized.usim")
    with pytest.raises(usimc.CompileError) as caught:
        m.run(set={"N": [2, 0]})
    ended = run([usimc_bin, "run", "sized.usim", "--set", "N=2,0"], work)
    assert ended.code == 1
    assert caught.value.combination == "N=0"
    assert caught.value.rendered.startswith("with N=0:\n")
    assert caught.value.rendered == ended.stderr


def test_a_runtime_error_has_its_line_time_and_process(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    (work / "fails.usim").write_text(FAILS)
    m = usimc.Model.from_file("fails.usim")
    with pytest.raises(usimc.RuntimeError) as caught:
        m.run()
    e = caught.value
    assert isinstance(e, RuntimeError)
    assert (e.message, e.line, e.column, e.time, e.process) == ("worker 1 gave up", 6, 14, 2.5, "worker#3")
    assert (e.run, e.run_name) == (0, None)
    ended = run([usimc_bin, "run", "fails.usim"], work)
    assert ended.code == 3
    assert e.rendered == ended.stderr
    assert e.output == ended.stdout


def test_a_runtime_error_in_a_sweep_names_the_run_and_keeps_the_output_before_it(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(work)
    src = (
        Path(os.environ.get("USIMC_REPO", Path(__file__).resolve().parents[2]))
        / "tests/fixtures/experiments/fails_at_two.usim"
    )
    (work / "fails_at_two.usim").write_text(src.read_text())
    for jobs in (1, 3):
        with pytest.raises(usimc.RuntimeError) as caught:
            usimc.Model.from_file("fails_at_two.usim").run(set={"N": [1, 2, 3]}, reps=2, jobs=jobs)
        e = caught.value
        ended = run(
            [usimc_bin, "run", "fails_at_two.usim", "--set", "N=1,2,3", "--reps", "2", "--jobs", str(jobs)], work
        )
        assert ended.code == 3
        assert (e.run, e.combination, e.replication) == (2, 1, 0)
        assert e.run_name == "the run with N=2, replication 0"
        assert e.rendered == ended.stderr
        assert e.output == ended.stdout == "N=1 starts\nN=1 ends\nN=1 starts\nN=1 ends\nN=2 starts\n"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"reps": 0}, "the number of replications must be at least 1"),
        ({"jobs": 0}, "the number of worker threads must be at least 1"),
        ({"until": -1}, "a time must be a finite number >= 0"),
        ({"warmup": float("nan")}, "a warmup time must be a finite number >= 0"),
        ({"set": {"NOPE": 1}}, "--set NOPE: the model has no param `NOPE`; its params are: LAMBDA, MU, CUSTOMERS"),
        ({"set": {"CUSTOMERS": 2.5}}, "--set CUSTOMERS=2.5: `CUSTOMERS` is an int"),
        ({"set": {"CUSTOMERS": []}}, "set['CUSTOMERS'] is empty"),
        ({"tie_order": "lifo"}, 'tie_order must be "fifo" or "random"'),
        ({"seed": -1}, "seed must be a whole number >= 0"),
    ],
)
def test_refused_options_raise_usage_errors(
    work: Path, monkeypatch: pytest.MonkeyPatch, kwargs: dict, message: str
) -> None:
    monkeypatch.chdir(work)
    m = usimc.Model.from_file("examples/mm1.usim")
    with pytest.raises(usimc.UsageError) as caught:
        m.run(**kwargs)
    assert str(caught.value).startswith(message)
    assert isinstance(caught.value, ValueError)


def test_a_missing_file_is_an_os_error(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    with pytest.raises(FileNotFoundError):
        usimc.Model.from_file("nowhere.usim")
    with pytest.raises(IsADirectoryError):
        usimc.Model.from_file("examples")


def test_ctrl_c_stops_the_runs_and_later_runs_go_on() -> None:
    m = usimc.Model.from_source(ENDLESS, name="endless.usim")
    timer = threading.Timer(0.5, lambda: os.kill(os.getpid(), signal.SIGINT))
    timer.start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        m.run(jobs=2, reps=4)
    assert time.monotonic() - started < 30
    r = m.run(until=10)
    assert r.vars.where(statistic="final")[0]["value"] == 10


def test_the_gil_is_released_while_running(work: Path) -> None:
    m = usimc.Model.from_file(work / "examples" / "mm1_fast.usim")
    ticks = []
    done = threading.Event()

    def tick() -> None:
        while not done.is_set():
            ticks.append(1)
            time.sleep(0.001)

    t = threading.Thread(target=tick)
    t.start()
    try:
        m.run(reps=2, jobs=1)
    finally:
        done.set()
        t.join()
    assert len(ticks) > 5
