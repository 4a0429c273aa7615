"""The package's reports are the binary's: the JSON byte for byte, the
output, and the tidy tables row for row against `--report csv`."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path
from typing import Any, Dict, List

import pytest

import usimc
from conftest import REPO, run

# (keyword arguments of Model.run, the same as usimc flags)
CASES = [
    ({}, []),
    ({"seed": 7}, ["--seed", "7"]),
    ({"reps": 5, "jobs": 2}, ["--reps", "5", "--jobs", "2"]),
    (
        {"reps": 3, "set": {"LAMBDA": [0.5, 0.9], "CUSTOMERS": 200}},
        ["--reps", "3", "--set", "LAMBDA=0.5,0.9", "--set", "CUSTOMERS=200"],
    ),
    ({"warmup": 100.0, "until": 500}, ["--warmup", "100", "--until", "500"]),
    ({"set": {"MU": [1, 1.25]}}, ["--set", "MU=1,1.25"]),
]


def cli_report(usimc_bin: str, work: Path, model: str, flags: List[str], fmt: str) -> tuple[str, str]:
    out = work / f"report.{fmt}"
    ended = run([usimc_bin, "run", model, *flags, "--report", fmt, "--out", str(out)], work)
    assert ended.code == 0, ended.stderr
    return ended.stdout, out.read_text()


def test_the_installed_package_is_tested() -> None:
    source = (REPO / "python" / "usimc").resolve()
    assert source not in Path(usimc.__file__).resolve().parents, usimc.__file__


@pytest.mark.parametrize("kwargs,flags", CASES)
def test_json_and_output_are_the_binarys_byte_for_byte(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch, kwargs: Dict[str, Any], flags: List[str]
) -> None:
    monkeypatch.chdir(work)
    stdout, report = cli_report(usimc_bin, work, "examples/mm1.usim", flags, "json")
    r = usimc.Model.from_file("examples/mm1.usim").run(**kwargs)
    assert r.json == report
    assert r.output == stdout
    assert len(r.outputs) == r.replications * r.combinations


def test_the_mm1_mean_wait_is_the_clis(usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    _, report = cli_report(usimc_bin, work, "examples/mm1.usim", ["--reps", "4"], "json")
    cli = json.loads(report)["runs"][0]["tallies"]["wait"]["mean"]
    r = usimc.Model.from_file("examples/mm1.usim").run(reps=4)
    [row] = r.tallies.where(name="wait", statistic="mean")
    assert (row["mean"], row["ci95"], row["min"], row["max"]) == (cli["mean"], cli["ci95"], cli["min"], cli["max"])
    # And with one run, the single value.
    _, report = cli_report(usimc_bin, work, "examples/mm1.usim", [], "json")
    one = usimc.Model.from_file("examples/mm1.usim").run()
    assert (
        one.tallies.where(name="wait", statistic="mean")[0]["value"]
        == json.loads(report)["runs"][0]["tallies"]["wait"]["mean"]
    )


def csv_cell(text: str) -> Any:
    """A cell of the CSV report as a number (or None, or a param's text)."""
    if text == "":
        return None
    if text in ("true", "false"):
        return text == "true"
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    "model,flags,kwargs",
    [
        (
            "examples/mm1.usim",
            ["--set", "LAMBDA=0.5,0.9", "--set", "CUSTOMERS=200"],
            {"set": {"LAMBDA": [0.5, 0.9], "CUSTOMERS": 200}},
        ),
        (
            "examples/mm1.usim",
            ["--reps", "3", "--set", "CUSTOMERS=100,200"],
            {"reps": 3, "set": {"CUSTOMERS": [100, 200]}},
        ),
        ("examples/gas_station.usim", ["--reps", "2"], {"reps": 2}),
        ("examples/producer_consumer.usim", [], {}),
        ("examples/movie_tickets.usim", ["--reps", "2"], {"reps": 2}),
    ],
)
def test_the_tables_are_the_csv_report(
    usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch, model: str, flags: List[str], kwargs: Dict[str, Any]
) -> None:
    monkeypatch.chdir(work)
    _, text = cli_report(usimc_bin, work, model, flags, "csv")
    header, *rows = list(csv.reader(io.StringIO(text)))
    r = usimc.Model.from_file(model).run(**kwargs)
    assert list(r.figures.columns) == header
    assert len(r.figures) == len(rows)
    for mine, theirs in zip(r.figures, rows):
        for column, cell in zip(header, theirs):
            if column in ("kind", "name", "statistic"):
                assert mine[column] == cell, (column, mine, theirs)
            else:
                assert same(mine[column], csv_cell(cell)), (column, mine, theirs)
    kinds = {"tally": r.tallies, "var": r.vars, "lock": r.locks, "queue": r.queues, "resource": r.resources}
    for kind, table in kinds.items():
        assert table.rows == [row for row in r.figures if row["kind"] == kind]
    assert sum(len(t) for t in kinds.values()) + 2 * r.combinations == len(r.figures)


def test_a_sweep_with_replications_has_a_row_per_run_and_figure(monkeypatch: pytest.MonkeyPatch, work: Path) -> None:
    monkeypatch.chdir(work)
    r = usimc.Model.from_file("examples/mm1.usim").run(reps=3, set={"LAMBDA": [0.5, 0.7, 0.9], "CUSTOMERS": 100})
    # end_time and events, 9 tally figures (wait), 4 of the var served, 7 of the lock server.
    per_run = 2 + 9 + 4 + 7
    assert len(r.runs) == 3 * 3 * per_run
    assert r.runs.columns == (
        "run",
        "combination",
        "replication",
        "LAMBDA",
        "MU",
        "CUSTOMERS",
        "kind",
        "name",
        "statistic",
        "value",
    )
    assert r.swept == ["LAMBDA"]
    for c in range(3):
        rows = r.runs.where(combination=c, kind="tally", name="wait", statistic="mean")
        assert [row["replication"] for row in rows] == [0, 1, 2]
        assert [row["run"] for row in rows] == [3 * c, 3 * c + 1, 3 * c + 2]
        values = [row["value"] for row in rows]
        [agg] = r.tallies.where(run=c, statistic="mean")
        assert agg["mean"] == pytest.approx(sum(values) / 3, rel=1e-12)
        assert (agg["min"], agg["max"]) == (min(values), max(values))
        assert agg["LAMBDA"] == [0.5, 0.7, 0.9][c]
    # Replication 0 of each combination is that combination's plain run.
    plain = usimc.Model.from_file("examples/mm1.usim").run(set={"LAMBDA": 0.7, "CUSTOMERS": 100})
    assert [row["value"] for row in plain.runs] == [row["value"] for row in r.runs.where(run=3)]
    assert r.run_data[4]["replication"] == 1


def test_dataframes(monkeypatch: pytest.MonkeyPatch, work: Path) -> None:
    pytest.importorskip("pandas", reason="pandas is not installable here")
    monkeypatch.chdir(work)
    r = usimc.Model.from_file("examples/bank.usim").run(reps=4, set={"CUSTOMERS": [10, 20]})
    df = r.to_pandas(per_run=True)
    assert len(df) == len(r.runs) == 2 * 4 * (2 + 4 * 4 + 7)
    assert list(df.columns) == list(r.runs.columns)
    assert str(df["value"].dtype) == "float64"
    served = df[(df.name == "served") & (df.statistic == "final")]
    assert len(served) == 8
    means = served.groupby("CUSTOMERS")["value"].mean()
    agg = r.to_pandas("var")
    wanted = agg[(agg.name == "served") & (agg.statistic == "final")].set_index("CUSTOMERS")["mean"]
    assert means.tolist() == pytest.approx(wanted.tolist(), rel=1e-12)
    assert len(r.tallies.to_pandas()) == 0
    assert list(r.to_pandas().columns) == list(r.figures.columns)


def test_polars(monkeypatch: pytest.MonkeyPatch, work: Path) -> None:
    pl = pytest.importorskip("polars", reason="polars is not installable here")
    monkeypatch.chdir(work)
    r = usimc.Model.from_file("examples/mm1.usim").run(reps=2, set={"CUSTOMERS": [50, 60]})
    frame = r.to_polars(per_run=True)
    assert frame.height == len(r.runs)
    assert frame.schema["value"] == pl.Float64
    wait = r.to_polars("tally").filter((pl.col("name") == "wait") & (pl.col("statistic") == "count"))
    assert wait["mean"].to_list() == [50.0, 60.0]


def test_a_missing_dataframe_package_is_named(monkeypatch: pytest.MonkeyPatch, work: Path) -> None:
    import sys

    monkeypatch.chdir(work)
    r = usimc.Model.from_file("examples/shop.usim").run()
    for package, call in (("pandas", r.to_pandas), ("polars", r.to_polars), ("matplotlib", r.plot)):
        monkeypatch.setitem(sys.modules, package, None)
        with pytest.raises(
            ImportError, match=f"needs {package}, which is not installed; install it with `pip install {package}`"
        ):
            call()


def test_jobs_change_nothing(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    m = usimc.Model.from_file("examples/bank.usim")
    runs = [m.run(reps=6, jobs=j, set={"CUSTOMERS": [5, 8]}) for j in (1, 2, 5)]
    assert len({r.json for r in runs}) == 1
    assert len({r.output for r in runs}) == 1
    assert len({repr(r.runs.rows) for r in runs}) == 1


def test_a_json_report_reads_back(usimc_bin: str, work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    flags = ["--reps", "4", "--set", "CUSTOMERS=100,200"]
    for k in (1, 2):
        ended = run(
            [usimc_bin, "run", "examples/mm1.usim", *flags, "--shard", f"{k}/2", "--out", f"part-{k}.json"], work
        )
        assert ended.code == 0, ended.stderr
    merged = run([usimc_bin, "merge", "part-1.json", "part-2.json", "--report", "json", "--out", "merged.json"], work)
    assert merged.code == 0, merged.stderr
    read = usimc.Report.from_file(work / "merged.json")
    r = usimc.Model.from_file("examples/mm1.usim").run(reps=4, set={"CUSTOMERS": [100, 200]})
    assert read.json == r.json
    assert read.figures == r.figures
    assert read.swept == ["CUSTOMERS"] == r.swept
    with pytest.raises(ValueError, match="no per-run figures"):
        read.runs


def test_warnings_and_the_warmup_message(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    with pytest.warns(usimc.UsimcWarning, match=r"the run ended at 16\.849344507228018, before --warmup 1000"):
        r = usimc.Model.from_file("examples/shop.usim").run(warmup=1000)
    assert r.messages == [
        "usimc: warning: the run ended at 16.849344507228018, before --warmup 1000: no statistics were gathered"
    ]


def test_repr_and_html(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(work)
    r = usimc.Model.from_file("examples/mm1.usim").run(reps=2, set={"CUSTOMERS": [10, 20]})
    text = repr(r)
    assert text.startswith("<usimc.Report mm1.usim: seed 1, 2 replications, 2 combinations (CUSTOMERS swept)>\n")
    assert re.search(r"\n0 +0\.8 +1 +10 +tally +wait +mean +0\.\d+ ", text), text
    page = r._repr_html_()
    assert page.startswith("<p><b>mm1.usim</b>: seed 1, 2 replications, 2 combinations, CUSTOMERS swept</p><table>")
    assert "<th>ci95</th>" in page and page.count("<tr>") == 1 + 2 * 22
    assert r.tallies._repr_html_().count("<tr>") == 1 + 2 * 9
    assert repr(r.tallies).startswith("<usimc.Table tallies: 18 rows x 11 columns>\nrun  LAMBDA  MU  CUSTOMERS  kind")


def readme_example(path: Path) -> tuple[str, str]:
    """The first python block of a README and the text block after it."""
    text = path.read_text()
    code = text.split("```python\n", 1)[1].split("```", 1)[0]
    shown = text.split("```python\n", 1)[1].split("```text\n", 1)[1].split("```", 1)[0]
    return code, shown


@pytest.mark.parametrize("readme", ["README.md", "python/README.md"])
def test_the_readme_example_prints_what_it_shows(work: Path, monkeypatch: pytest.MonkeyPatch, readme: str) -> None:
    pytest.importorskip("pandas", reason="pandas is not installable here")
    import contextlib

    monkeypatch.chdir(work)
    code, shown = readme_example(REPO / readme)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(code, readme, "exec"), {})
    assert printed.getvalue() == shown
