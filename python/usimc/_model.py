"""A usim model, compiled and run in this process."""

from __future__ import annotations

import json as _json
import numbers
import os
import stat
import warnings as _warnings
from typing import Any, List, Mapping, NoReturn, Optional, Sequence, Tuple, Union

from . import _usimc
from ._errors import (
    CompileError,
    Diagnostic,
    InternalError,
    RuntimeError,
    UsageError,
    UsimcWarning,
    diagnostics,
)
from ._report import Report

__all__ = ["Model"]

#: A param value: what `--set NAME=VALUE` takes.
Value = Union[bool, int, float, str]


def fail(kind: str, value: Any) -> NoReturn:
    """Raises the exception for a failure the extension module reported."""
    if kind == "compile":
        raise CompileError(diagnostics(value["diagnostics"]), value["rendered"], value["combination"])
    if kind == "runtime":
        if value.get("interrupted"):
            raise KeyboardInterrupt
        raise RuntimeError._from_dict(value)
    if kind == "usage":
        raise UsageError(value)
    raise InternalError(value)


def literal(name: str, v: Any) -> str:
    """A param value as the model would write it (`true`, `2.5`, `10`)."""
    if isinstance(v, bool) or type(v).__name__ == "bool_":
        return "true" if v else "false"
    if isinstance(v, numbers.Integral):
        return str(int(v))
    if isinstance(v, numbers.Real):
        return repr(float(v))
    if isinstance(v, str):
        return v
    raise UsageError(f"set[{name!r}]: {v!r} is not a param value (a bool, an int, a float or a string)")


def settings(set: Optional[Mapping[str, Union[Value, Sequence[Value]]]]) -> List[Tuple[str, List[str]]]:
    """`set` as `--set` lists: a single value, or several for a sweep."""
    out: List[Tuple[str, List[str]]] = []
    for name, given in (set or {}).items():
        if isinstance(given, (str, bytes)) or not hasattr(given, "__iter__"):
            values = [literal(name, given)]
        else:
            values = [literal(name, v) for v in given]
            if not values:
                raise UsageError(f"set[{name!r}] is empty: give a value, or several for a sweep")
        out.append((str(name), values))
    return out


class Model:
    """A usim model, checked when it is made (as ``usimc check`` does).

    ``Model.from_file("bank.usim")`` or ``Model.from_source(text)``; a model
    that does not compile raises ``CompileError``. ``run(...)`` runs it,
    in this process, on the same compiler and runtime as ``usimc run``.
    """

    name: str
    """The file name diagnostics show (the path as given); reports name its last part."""
    source: str
    warnings: List[Diagnostic]
    """The compiler's warnings."""
    rendered_warnings: str
    """The warnings as usimc writes them on stderr; empty for none."""

    def __init__(self, source: str, name: str = "model.usim") -> None:
        self.source = source
        self.name = name
        kind, value = _usimc.check(source, name)
        if kind != "ok":
            fail(kind, value)
        self.warnings = diagnostics(value["diagnostics"])
        self.rendered_warnings = value["rendered"]

    @classmethod
    def from_source(cls, text: str, name: str = "model.usim") -> "Model":
        """A model from its text; ``name`` is the file name its diagnostics show."""
        return cls(text, name)

    @classmethod
    def from_file(cls, path: Union[str, "os.PathLike[str]"]) -> "Model":
        """A model from a file, read as usimc reads it (UTF-8, at most 8 MiB)."""
        name = os.fspath(path)
        limit = _usimc.source_read_limit()
        with open(name, "rb") as f:
            info = os.fstat(f.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(f"cannot read the model {name}: it is a directory")
            size = info.st_size if stat.S_ISREG(info.st_mode) else None
            data = f.read(limit) if size is None or size < limit else b""
        kind, value = _usimc.decode(data, size, name)
        if kind != "ok":
            fail(kind, value)
        return cls(value, name)

    def run(
        self,
        *,
        seed: int = 1,
        reps: int = 1,
        jobs: Optional[int] = None,
        until: Optional[float] = None,
        warmup: Optional[float] = None,
        set: Optional[Mapping[str, Union[Value, Sequence[Value]]]] = None,
        trace: bool = False,
        tie_order: str = "fifo",
        max_processes: int = 1_000_000,
    ) -> Report:
        """Runs the model as ``usimc run`` would with the same flags, and
        returns its report.

        ``set`` maps a param to a value, or to several for a sweep
        (``{"CUSTOMERS": [20, 40]}``; the first param varies slowest).
        ``jobs`` runs that many runs at once (default: the number of CPUs);
        the output and the report are the same whatever it is. The runs go on
        without holding the interpreter; Ctrl-C stops them
        (``KeyboardInterrupt``). A model that does not compile at a
        combination raises ``CompileError``, a runtime error
        ``usimc.RuntimeError``, an option usimc refuses ``UsageError``.
        """
        for what, v in (("seed", seed), ("reps", reps), ("max_processes", max_processes)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0:
                raise UsageError(f"{what} must be a whole number >= 0, not {v!r}")
        if jobs is not None and (isinstance(jobs, bool) or not isinstance(jobs, numbers.Integral) or jobs < 0):
            raise UsageError(f"jobs must be a whole number >= 1, not {jobs!r}")
        given = settings(set)
        kind, value = _usimc.run(
            self.source,
            self.name,
            seed=int(seed),
            reps=int(reps),
            jobs=None if jobs is None else int(jobs),
            until=None if until is None else float(until),
            warmup=None if warmup is None else float(warmup),
            set=given,
            trace=bool(trace),
            tie_order=tie_order,
            max_processes=int(max_processes),
        )
        if kind != "ok":
            fail(kind, value)
        for message in value["messages"]:
            _warnings.warn(message, UsimcWarning, stacklevel=2)
        return Report(
            value["json"],
            outputs=value["outputs"],
            runs=_json.loads(value["runs_json"]),
            warnings=diagnostics(value["warnings"]["diagnostics"]),
            messages=value["messages"],
            swept=[name for name, values in given if len(values) > 1],
        )

    def __repr__(self) -> str:
        w = len(self.warnings)
        return f"<usimc.Model {self.name}{f': {w} warning' + ('s' if w != 1 else '') if w else ''}>"
