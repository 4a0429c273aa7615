"""Report.plot with matplotlib (skipped where matplotlib is not installable)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import usimc

matplotlib = pytest.importorskip("matplotlib", reason="matplotlib is not installable here")
matplotlib.use("Agg")


def test_a_sweep_plots_the_mean_and_its_interval_against_the_param(work: Path, tmp_path: Path) -> None:
    m = usimc.Model.from_file(work / "examples" / "mm1.usim")
    r = m.run(reps=5, set={"LAMBDA": [0.5, 0.6, 0.7, 0.8], "CUSTOMERS": 300})
    ax = r.plot("wait")
    assert ax.get_xlabel() == "LAMBDA"
    assert ax.get_ylabel() == "wait mean"
    assert "95% interval over 5 replications" in ax.get_title()
    [bars] = ax.containers
    line = bars.lines[0]
    assert list(line.get_xdata()) == [0.5, 0.6, 0.7, 0.8]
    expected = [row["mean"] for row in r.tallies.where(statistic="mean")]
    assert list(line.get_ydata()) == expected
    ax.figure.savefig(tmp_path / "sweep.png")
    assert (tmp_path / "sweep.png").stat().st_size > 1000
    # A lock's default figure is its utilization; two swept params, a line per value of the second.
    r2 = m.run(set={"LAMBDA": [0.5, 0.8], "MU": [1.0, 2.0], "CUSTOMERS": 100})
    ax2 = r2.plot("server", x="LAMBDA")
    assert ax2.get_ylabel() == "server utilization"
    assert sorted(t.get_text() for t in ax2.get_legend().get_texts()) == ["MU=1.0", "MU=2.0"]


def test_replications_plot_the_spread(work: Path) -> None:
    r = usimc.Model.from_file(work / "examples" / "bank.usim").run(reps=8)
    ax = r.plot("served", "final")
    assert ax.get_xlabel() == "served final"
    assert "over 8 replications" in ax.get_title()
    assert sum(p.get_height() for p in ax.patches if hasattr(p, "get_height")) >= 8


def test_a_histogram_in_the_report_is_drawn(work: Path) -> None:
    r = usimc.Model.from_file(work / "examples" / "mm1.usim").run()
    data = json.loads(r.json)
    histogram = data["runs"][0]["tallies"]["wait"]["histogram"]
    # A histogram is not a figure: the tables leave it out.
    assert "histogram" not in set(r.figures.column("statistic"))
    ax = r.plot("wait")
    assert [p.get_height() for p in ax.patches] == histogram["counts"]
    assert sum(histogram["counts"]) == data["runs"][0]["tallies"]["wait"]["count"]
    assert {p.get_width() for p in ax.patches} == {histogram["width"]}
    assert ax.patches[0].get_x() == histogram["start"]
    assert ax.get_ylabel() == "count"


def test_a_histogram_with_replications_is_pooled(work: Path) -> None:
    r = usimc.Model.from_file(work / "examples" / "mm1.usim").run(reps=3)
    ax = r.plot("wait", what="histogram")
    assert ax.get_ylabel() == "count, pooled over 3 replications"
    assert sum(p.get_height() for p in ax.patches) == sum(
        run["tallies"]["wait"]["count"]["mean"] * 3 for run in json.loads(r.json)["runs"]
    )


def test_nothing_to_plot_says_why(work: Path) -> None:
    r = usimc.Model.from_file(work / "examples" / "mm1.usim").run()
    # One run of a var: one value, and a var has no histogram.
    with pytest.raises(ValueError, match="one run gives one value of var served mean"):
        r.plot("served", "mean")
    with pytest.raises(ValueError, match="no figure 'nope'|has no tally 'nope'"):
        r.plot("nope", kind="tally")
    with pytest.raises(ValueError, match="what must be one of"):
        r.plot(what="pie")
