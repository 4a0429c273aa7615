"""A small tidy table: rows as dicts, columns in order, and the ways out to
pandas and polars (imported only when asked for)."""

from __future__ import annotations

import html
import math
from typing import Any, Dict, Iterable, Iterator, List, Mapping, Sequence, Tuple, Union, overload

__all__ = ["Table"]

#: The columns that hold figures: numbers only (or None), as in the CSV report.
VALUE_COLUMNS = ("value", "mean", "ci95", "min", "max")


def need(package: str, what: str) -> Any:
    """Imports `package`, or says clearly that `what` needs it."""
    import importlib

    try:
        return importlib.import_module(package)
    except ImportError as e:
        raise ImportError(
            f"{what} needs {package}, which is not installed; install it with `pip install {package}`"
        ) from e


def show(v: Any) -> str:
    """A cell as the table report writes it: floats with 6 significant digits."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return f"{v:.6g}"
    return str(v)


class Table(Sequence[Dict[str, Any]]):
    """Rows of a report, tidy: one row per figure, one column per variable.

    A sequence of row dicts (``table[0]["mean"]``), with the column names in
    ``columns``. ``where(name="wait")`` selects rows, ``column("mean")`` reads
    a column, ``to_pandas()`` and ``to_polars()`` make a DataFrame (each
    package is imported only then; usimc depends on neither).
    """

    columns: Tuple[str, ...]
    rows: List[Dict[str, Any]]

    def __init__(self, columns: Sequence[str], rows: Iterable[Mapping[str, Any]], name: str = "") -> None:
        self.columns = tuple(columns)
        self.rows = [{c: row.get(c) for c in self.columns} for row in rows]
        self.name = name

    def __len__(self) -> int:
        return len(self.rows)

    @overload
    def __getitem__(self, index: int) -> Dict[str, Any]: ...

    @overload
    def __getitem__(self, index: slice) -> "Table": ...

    def __getitem__(self, index: Union[int, slice]) -> Union[Dict[str, Any], "Table"]:
        if isinstance(index, slice):
            return Table(self.columns, self.rows[index], self.name)
        return self.rows[index]

    def __iter__(self) -> Iterator[Dict[str, Any]]:
        return iter(self.rows)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Table):
            return NotImplemented
        return self.columns == other.columns and self.rows == other.rows

    __hash__ = None  # type: ignore[assignment]

    def column(self, name: str) -> List[Any]:
        """The values of one column, in row order."""
        if name not in self.columns:
            raise KeyError(f"no column {name!r}; the columns are {', '.join(self.columns)}")
        return [row[name] for row in self.rows]

    def where(self, **equal: Any) -> "Table":
        """The rows whose columns have the given values: ``where(name="wait", statistic="mean")``."""
        for c in equal:
            if c not in self.columns:
                raise KeyError(f"no column {c!r}; the columns are {', '.join(self.columns)}")
        return Table(self.columns, (r for r in self.rows if all(r[c] == v for c, v in equal.items())), self.name)

    def to_dicts(self) -> List[Dict[str, Any]]:
        """The rows, as new dicts."""
        return [dict(r) for r in self.rows]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame`` of the rows (the figure columns are floats)."""
        pd = need("pandas", "Table.to_pandas()")
        data = {c: self._values(c) for c in self.columns}
        frame = pd.DataFrame(data, columns=list(self.columns))
        for c in self.columns:
            if c in VALUE_COLUMNS:
                frame[c] = frame[c].astype("float64")
        return frame

    def to_polars(self) -> Any:
        """A ``polars.DataFrame`` of the rows (the figure columns are Float64)."""
        pl = need("polars", "Table.to_polars()")
        overrides = {c: pl.Float64 for c in self.columns if c in VALUE_COLUMNS}
        data = {c: self._values(c) for c in self.columns}
        return pl.DataFrame(data, schema_overrides=overrides, strict=False)

    def _values(self, c: str) -> List[Any]:
        values = [row[c] for row in self.rows]
        if c in VALUE_COLUMNS:
            return [None if v is None else float(v) for v in values]
        return values

    def _text(self, limit: int = 20) -> str:
        shown = self.rows if len(self.rows) <= limit else self.rows[: limit // 2] + self.rows[-(limit // 2) :]
        cells = [[show(r[c]) for c in self.columns] for r in shown]
        widths = [max([len(c)] + [len(row[k]) for row in cells]) for k, c in enumerate(self.columns)]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.columns, widths)).rstrip()]
        for k, row in enumerate(cells):
            if len(self.rows) > limit and k == limit // 2:
                lines.append("...")
            lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip())
        return "\n".join(lines)

    def __repr__(self) -> str:
        head = (
            f"<usimc.Table{' ' + self.name if self.name else ''}: {len(self.rows)} rows x {len(self.columns)} columns>"
        )
        return head + "\n" + self._text()

    def _repr_html_(self, limit: int = 40) -> str:
        rows = self.rows if len(self.rows) <= limit else self.rows[:limit]
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(show(r[c]))}</td>" for c in self.columns) + "</tr>" for r in rows
        )
        more = f"<p>... {len(self.rows) - limit} more rows</p>" if len(self.rows) > limit else ""
        caption = f"<caption>{html.escape(self.name)}: {len(self.rows)} rows</caption>" if self.name else ""
        return f"<table>{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{more}"
