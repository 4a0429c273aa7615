"""The report of an experiment: the JSON usimc writes, and tidy tables made
from it (the shape of `usimc run --report csv`)."""

from __future__ import annotations

import html
import json as _json
import math
import os
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Union

from ._errors import Diagnostic
from ._table import Table, need

__all__ = ["Report", "KINDS"]

#: The kinds of figures, as the CSV names them and as the JSON's sections.
KINDS: Tuple[Tuple[str, str], ...] = (
    ("tally", "tallies"),
    ("var", "vars"),
    ("lock", "locks"),
    ("queue", "queues"),
    ("resource", "resources"),
)

ACROSS = ("mean", "ci95", "min", "max")
SPECIAL = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
RESERVED = {"run", "combination", "replication", "kind", "name", "statistic", "value", *ACROSS}


def number(v: Any) -> Any:
    """A figure as the value columns hold it: numbers only, bools as 1 and
    0, NaN and the infinities as floats, None for no value."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, str):
        return SPECIAL[v]
    return v


def param_value(v: Any) -> Any:
    """A param's value as the model writes it (bools stay bools)."""
    if isinstance(v, str) and v in SPECIAL:
        return SPECIAL[v]
    return v


def is_across(v: Any) -> bool:
    return isinstance(v, dict) and set(v) == set(ACROSS)


def is_plain(v: Any) -> bool:
    return v is None or isinstance(v, (bool, int, float)) or (isinstance(v, str) and v in SPECIAL)


def cells(v: Any, across: bool) -> Optional[Dict[str, Any]]:
    """The value columns of one figure, as the CSV report writes them; None
    for an entry that is not a figure (a histogram: the plots read those)."""
    if is_across(v):
        return {k: number(v[k]) for k in ACROSS}
    if not is_plain(v):
        return None
    if not across:
        return {"value": number(v)}
    if v is None:
        return dict.fromkeys(ACROSS)
    n = number(v)
    return {"mean": n, "ci95": 0.0, "min": n, "max": n}


def column_of(param: str) -> str:
    """The column of a param: its name, unless a column of the table has it."""
    return f"param_{param}" if param in RESERVED else param


def figure_rows(entry: Mapping[str, Any], across: bool, lead: Mapping[str, Any]) -> List[Dict[str, Any]]:
    """The rows of one entry of the report's `runs` (or of one run)."""
    rows: List[Dict[str, Any]] = []

    def push(kind: str, name: str, statistic: str, v: Any) -> None:
        c = cells(v, across)
        if c is not None:
            rows.append({**lead, "kind": kind, "name": name, "statistic": statistic, **c})

    push("run", "", "end_time", entry.get("end_time"))
    push("run", "", "events", entry.get("events"))
    for kind, plural in KINDS:
        for name, figures in (entry.get(plural) or {}).items():
            for statistic, v in figures.items():
                push(kind, name, statistic, v)
    return rows


class Report:
    """The report of an experiment, as usimc makes it.

    ``json`` is the report exactly as ``usimc run --report json`` writes it,
    ``data`` that JSON parsed; ``output`` is what the runs printed, in run
    order (``outputs`` each run's). The figures are tidy tables (``Table``),
    in the shape of the CSV report: ``figures`` all of them, ``tallies``,
    ``vars``, ``locks``, ``queues``, ``resources`` those of one kind, each
    with a row per combination and figure (columns ``run`` — the
    combination — every param, ``kind``, ``name``, ``statistic``, then
    ``value``, or ``mean``, ``ci95``, ``min``, ``max`` with replications);
    ``runs`` has a row per run and figure.
    """

    def __init__(
        self,
        json_text: str,
        *,
        outputs: Sequence[str] = (),
        runs: Optional[Sequence[Mapping[str, Any]]] = None,
        warnings: Sequence[Diagnostic] = (),
        messages: Sequence[str] = (),
        swept: Optional[Sequence[str]] = None,
    ) -> None:
        self.json: str = json_text
        self.data: Dict[str, Any] = _json.loads(json_text)
        self.outputs: List[str] = list(outputs)
        self.warnings: List[Diagnostic] = list(warnings)
        self.messages: List[str] = list(messages)
        self._runs = None if runs is None else list(runs)
        self._tables: Dict[str, Table] = {}
        entries = self.data.get("runs", [])
        self.params: List[Dict[str, Any]] = [
            {k: param_value(v) for k, v in (e.get("params") or {}).items()} for e in entries
        ]
        if swept is None:
            names = list(self.params[0]) if self.params else []
            swept = [n for n in names if len({repr(p.get(n)) for p in self.params}) > 1]
        self.swept: List[str] = list(swept)

    @classmethod
    def from_json(cls, text: str) -> "Report":
        """A report from the JSON text of ``usimc run --report json`` or
        ``usimc merge --report json``. It has no output and no per-run figures."""
        return cls(text)

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Report":
        """A report from a JSON report file (``usimc run --report json --out FILE``)."""
        with open(path, encoding="utf-8") as f:
            return cls(f.read())

    @property
    def model(self) -> str:
        return str(self.data.get("model", ""))

    @property
    def seed(self) -> int:
        return int(self.data.get("seed", 0))

    @property
    def replications(self) -> int:
        return int(self.data.get("replications", 1))

    @property
    def combinations(self) -> int:
        return len(self.data.get("runs", []))

    @property
    def param_names(self) -> List[str]:
        return list(self.params[0]) if self.params else []

    @property
    def output(self) -> str:
        """Every run's output, in run order: what usimc prints before the report."""
        return "".join(self.outputs)

    def _lead_columns(self) -> List[str]:
        return [column_of(p) for p in self.param_names]

    @property
    def figures(self) -> Table:
        """Every figure: the rows of the CSV report."""
        if "figures" not in self._tables:
            across = self.replications > 1
            columns = ["run", *self._lead_columns(), "kind", "name", "statistic", *(ACROSS if across else ("value",))]
            rows: List[Dict[str, Any]] = []
            for index, entry in enumerate(self.data.get("runs", [])):
                lead = {"run": index, **{column_of(k): v for k, v in self.params[index].items()}}
                rows.extend(figure_rows(entry, across, lead))
            self._tables["figures"] = Table(columns, rows, "figures")
        return self._tables["figures"]

    def _kind(self, kind: str, name: str) -> Table:
        if name not in self._tables:
            all_rows = self.figures
            self._tables[name] = Table(all_rows.columns, (r for r in all_rows if r["kind"] == kind), name)
        return self._tables[name]

    @property
    def tallies(self) -> Table:
        return self._kind("tally", "tallies")

    @property
    def vars(self) -> Table:
        return self._kind("var", "vars")

    @property
    def locks(self) -> Table:
        return self._kind("lock", "locks")

    @property
    def queues(self) -> Table:
        return self._kind("queue", "queues")

    @property
    def resources(self) -> Table:
        return self._kind("resource", "resources")

    @property
    def runs(self) -> Table:
        """A row per run and figure: ``run`` (the run's number in the grid,
        ``combination * replications + replication``), ``combination``,
        ``replication``, every param, ``kind``, ``name``, ``statistic``,
        ``value``."""
        if self._runs is None:
            raise ValueError("this report has no per-run figures: a JSON report holds the aggregate only")
        if "runs" not in self._tables:
            columns = ["run", "combination", "replication", *self._lead_columns(), "kind", "name", "statistic", "value"]
            rows: List[Dict[str, Any]] = []
            for entry in self._runs:
                lead = {
                    "run": entry["run"],
                    "combination": entry["combination"],
                    "replication": entry["replication"],
                    **{column_of(k): param_value(v) for k, v in (entry.get("params") or {}).items()},
                }
                rows.extend(figure_rows(entry, False, lead))
            self._tables["runs"] = Table(columns, rows, "runs")
        return self._tables["runs"]

    @property
    def run_data(self) -> List[Dict[str, Any]]:
        """Every run's figures as the JSON report would show that run alone,
        with ``run``, ``combination`` and ``replication``."""
        if self._runs is None:
            raise ValueError("this report has no per-run figures: a JSON report holds the aggregate only")
        return [dict(r) for r in self._runs]

    def table(self, kind: Optional[str] = None, *, per_run: bool = False) -> Table:
        """The figures (or with ``per_run`` the runs' figures), of one kind
        (``"tally"``, ``"var"``, ..., ``"run"``) or all."""
        t = self.runs if per_run else self.figures
        if kind is None:
            return t
        known = ("run",) + tuple(k for k, _ in KINDS)
        if kind not in known:
            raise ValueError(f"kind must be one of {', '.join(known)}, not {kind!r}")
        return t.where(kind=kind)

    def to_pandas(self, kind: Optional[str] = None, *, per_run: bool = False) -> Any:
        """A pandas DataFrame of ``table(kind, per_run=per_run)``."""
        need("pandas", "Report.to_pandas()")
        return self.table(kind, per_run=per_run).to_pandas()

    def to_polars(self, kind: Optional[str] = None, *, per_run: bool = False) -> Any:
        """A polars DataFrame of ``table(kind, per_run=per_run)``."""
        need("polars", "Report.to_polars()")
        return self.table(kind, per_run=per_run).to_polars()

    def plot(
        self,
        name: Optional[str] = None,
        statistic: Optional[str] = None,
        *,
        kind: Optional[str] = None,
        what: str = "auto",
        x: Optional[str] = None,
        ax: Any = None,
    ) -> Any:
        """Plots a figure with matplotlib and returns the Axes.

        ``what="auto"`` picks, in this order: with a sweep, the figure's
        mean and 95% interval (or its value, with one replication) against
        the swept param ``x`` (the first swept one by default; one line per
        value of the others); a tally's histogram, if the report has one;
        with replications, the spread of the figure over them. Or ask for
        ``"sweep"``, ``"histogram"`` or ``"replications"``. ``name`` is a
        tally, var, lock, queue or resource (default: the first tally);
        ``statistic`` one of its figures (default ``mean``, ``utilization``
        for a lock, ``mean_level`` for a resource, ``mean_length`` for a queue).
        """
        from ._plot import plot

        return plot(self, name, statistic, kind=kind, what=what, x=x, ax=ax)

    def __repr__(self) -> str:
        reps = self.replications
        head = (
            f"<usimc.Report {self.model}: seed {self.seed}, {reps} replication{'s' if reps != 1 else ''}, "
            f"{self.combinations} combination{'s' if self.combinations != 1 else ''}"
            + (f" ({', '.join(self.swept)} swept)" if self.swept else "")
            + ">"
        )
        return head + "\n" + self.figures._text()

    def _repr_html_(self) -> str:
        reps = self.replications
        head = (
            f"<p><b>{html.escape(self.model)}</b>: seed {self.seed}, {reps} replication{'s' if reps != 1 else ''}, "
            f"{self.combinations} combination{'s' if self.combinations != 1 else ''}"
            + (f", {html.escape(', '.join(self.swept))} swept" if self.swept else "")
            + "</p>"
        )
        return head + self.figures._repr_html_(limit=60)
