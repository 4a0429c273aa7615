"""`Report.plot`: matplotlib figures of a report (matplotlib is imported
only here, and only when a plot is asked for).

Three plots, each a function of the report's data alone:

- ``sweep``: a figure's mean and 95% interval (its value, with one
  replication) against a swept param, a line per value of the other swept
  params;
- ``histogram``: a tally's histogram, when the report carries one (read by
  ``histogram_of``, the one place that knows its JSON shape);
- ``replications``: the spread of a figure over the replications, from the
  per-run figures.

A time series (``usimc run --series``) will be a fourth, ``series``, read
from its CSV the same way: a reader here and a branch in ``plot``.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence, Tuple

from ._report import KINDS, Report, number
from ._table import need

#: The figure plotted when none is named, per kind.
DEFAULT_STATISTIC = {
    "tally": "mean",
    "var": "mean",
    "lock": "utilization",
    "queue": "mean_length",
    "resource": "mean_level",
}

WHATS = ("auto", "sweep", "histogram", "replications")


def find(report: Report, name: Optional[str], kind: Optional[str]) -> Tuple[str, str]:
    """The kind and name of the entry to plot."""
    entries = report.data.get("runs") or [{}]
    first = entries[0]
    kinds = [k for k, _ in KINDS] if kind is None else [kind]
    plural = dict(KINDS)
    for k in kinds:
        if k not in plural:
            raise ValueError(f"kind must be one of {', '.join(plural)}, not {k!r}")
        names = list(first.get(plural[k]) or {})
        if name is None and names:
            return k, names[0]
        if name is not None and name in names:
            return k, name
    known = [f"{k} {n}" for k, p in KINDS for n in (first.get(p) or {})]
    if name is None:
        raise ValueError("the report has no figures to plot")
    raise ValueError(f"the report has no {kind or 'figure'} {name!r}; it has: {', '.join(known) or 'none'}")


def histogram_of(entry: Any) -> Optional[Tuple[List[float], List[float]]]:
    """A tally's histogram in the report, as (bin edges, counts): the entry's
    ``histogram`` as ``{"edges": [...], "counts": [...]}`` (one more edge
    than counts; with replications each count may be ``{"mean", ...}``, and
    the means are drawn), or as a list of ``[low, high, count]`` bins.
    None when the report has none."""
    h = entry.get("histogram") if isinstance(entry, dict) else None
    # The report's own shape (docs/experiments.md, "Histograms"): equal bins
    # of `width` from `start`, the counts of all replications pooled.
    if isinstance(h, dict) and "start" in h and "width" in h and "counts" in h:
        start, width = float(number(h["start"])), float(number(h["width"]))
        counts = [float(number(c)) for c in h["counts"]]
        return [start + i * width for i in range(len(counts) + 1)], counts
    if isinstance(h, dict) and "edges" in h and "counts" in h:
        edges = [float(number(e)) for e in h["edges"]]
        counts = [float(number(c["mean"] if isinstance(c, dict) else c)) for c in h["counts"]]
        if len(edges) == len(counts) + 1:
            return edges, counts
    if isinstance(h, list) and h and all(isinstance(b, (list, tuple)) and len(b) == 3 for b in h):
        edges = [float(number(b[0])) for b in h] + [float(number(h[-1][1]))]
        return edges, [float(number(b[2])) for b in h]
    return None


def axes(ax: Any) -> Any:
    if ax is not None:
        return ax
    need("matplotlib", "Report.plot()")
    import matplotlib.pyplot as plt

    _, ax = plt.subplots()
    return ax


def label(combination: Dict[str, Any], names: Sequence[str]) -> str:
    return ", ".join(f"{n}={combination[n]}" for n in names)


def plot_sweep(report: Report, kind: str, name: str, statistic: str, x: Optional[str], ax: Any) -> Any:
    if not report.swept:
        raise ValueError("the report has no sweep: run with a param of several values, set={NAME: [V1, V2, ...]}")
    x = x or report.swept[0]
    if x not in report.param_names:
        raise ValueError(f"x must be a param of the model ({', '.join(report.param_names)}), not {x!r}")
    others = [p for p in report.swept if p != x]
    rows = report.figures.where(kind=kind, name=name, statistic=statistic)
    if not len(rows):
        raise ValueError(f"{kind} {name} has no figure {statistic!r}")
    across = report.replications > 1
    lines: Dict[str, List[Tuple[Any, float, float]]] = {}
    for row in rows:
        combination = report.params[row["run"]]
        y = row["mean"] if across else row["value"]
        ci = row["ci95"] if across else 0.0
        lines.setdefault(label(combination, others), []).append(
            (combination[x], math.nan if y is None else float(y), math.nan if ci is None else float(ci))
        )
    ax = axes(ax)
    for line, points in lines.items():
        points.sort(key=lambda p: p[0])
        xs = [p[0] for p in points]
        ys = [p[1] for p in points]
        if across:
            ax.errorbar(xs, ys, yerr=[p[2] for p in points], marker="o", capsize=3, label=line or None)
        else:
            ax.plot(xs, ys, marker="o", label=line or None)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{name} {statistic}")
    reps = report.replications
    title = f"{kind} {name} {statistic}"
    ax.set_title(title + (f": mean and 95% interval over {reps} replications" if across else ""))
    if any(lines):
        ax.legend()
    return ax


def plot_histogram(report: Report, kind: str, name: str, ax: Any) -> Any:
    found = []
    for index, entry in enumerate(report.data.get("runs", [])):
        h = histogram_of((entry.get("tallies") or {}).get(name))
        if h is not None:
            found.append((index, h))
    if kind != "tally" or not found:
        raise ValueError(f"the report has no histogram of {kind} {name}")
    ax = axes(ax)
    for index, (edges, counts) in found:
        widths = [b - a for a, b in zip(edges, edges[1:])]
        text = label(report.params[index], report.swept) or None
        ax.bar(edges[:-1], counts, width=widths, align="edge", alpha=0.6 if len(found) > 1 else 1.0, label=text)
    ax.set_xlabel(name)
    pooled = f", pooled over {report.replications} replications" if report.replications > 1 else ""
    ax.set_ylabel(f"count{pooled}")
    ax.set_title(f"tally {name}: histogram")
    if len(found) > 1:
        ax.legend()
    return ax


def plot_replications(report: Report, kind: str, name: str, statistic: str, ax: Any) -> Any:
    if report.replications < 2:
        raise ValueError("the report has one replication: run with reps=N for the spread over replications")
    runs = report.runs.where(kind=kind, name=name, statistic=statistic)
    if not len(runs):
        raise ValueError(f"{kind} {name} has no figure {statistic!r}")
    ax = axes(ax)
    for combination in sorted({r["combination"] for r in runs}):
        values = [float(r["value"]) for r in runs if r["combination"] == combination and r["value"] is not None]
        text = label(report.params[combination], report.swept) or None
        ax.hist(values, bins="auto", alpha=0.6 if report.combinations > 1 else 1.0, label=text, edgecolor="white")
        row = report.figures.where(run=combination, kind=kind, name=name, statistic=statistic)[0]
        if row["mean"] is not None and row["ci95"] is not None:
            ax.axvline(row["mean"], color="black")
            low, high = row["mean"] - row["ci95"], row["mean"] + row["ci95"]
            ax.axvspan(low, high, color="grey", alpha=0.3, zorder=0)
    ax.set_xlabel(f"{name} {statistic}")
    ax.set_ylabel("replications")
    ax.set_title(f"{kind} {name} {statistic} over {report.replications} replications: mean and 95% interval")
    if report.combinations > 1:
        ax.legend()
    return ax


def plot(
    report: Report,
    name: Optional[str],
    statistic: Optional[str],
    *,
    kind: Optional[str],
    what: str,
    x: Optional[str],
    ax: Any,
) -> Any:
    if what not in WHATS:
        raise ValueError(f"what must be one of {', '.join(WHATS)}, not {what!r}")
    need("matplotlib", "Report.plot()")
    kind, name = find(report, name, kind)
    statistic = statistic or DEFAULT_STATISTIC[kind]
    if what == "auto":
        first = (report.data.get("runs") or [{}])[0]
        if report.swept:
            what = "sweep"
        elif kind == "tally" and histogram_of((first.get("tallies") or {}).get(name)) is not None:
            what = "histogram"
        elif report.replications > 1:
            what = "replications"
        else:
            raise ValueError(
                f"one run gives one value of {kind} {name} {statistic}: nothing to plot; "
                "sweep a param (set={NAME: [V1, V2]}) or run replications (reps=N)"
            )
    if what == "sweep":
        return plot_sweep(report, kind, name, statistic, x, ax)
    if what == "histogram":
        return plot_histogram(report, kind, name, ax)
    return plot_replications(report, kind, name, statistic, ax)
