"""The exceptions of usimc and the diagnostics they carry."""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from typing import Any, Mapping, Optional, Sequence, Tuple

__all__ = [
    "CompileError",
    "Diagnostic",
    "InternalError",
    "RuntimeError",
    "UsageError",
    "UsimcWarning",
]


@dataclass(frozen=True)
class Diagnostic:
    """One problem the compiler found, as `usimc check` shows it.

    Lines and columns count from 1; columns count characters.
    """

    code: str
    """A stable code: ``E0103`` for an error, ``W0002`` for a warning (docs/errors.md)."""
    severity: str
    """``"error"`` or ``"warning"``."""
    message: str
    line: int
    column: int
    end_line: int
    end_column: int
    label: str = ""
    """The text under the marked source; empty for none."""
    notes: Tuple[str, ...] = ()

    @classmethod
    def _from_dict(cls, d: Mapping[str, Any]) -> "Diagnostic":
        return cls(
            code=d["code"],
            severity=d["severity"],
            message=d["message"],
            line=d["line"],
            column=d["column"],
            end_line=d["end_line"],
            end_column=d["end_column"],
            label=d["label"],
            notes=tuple(d["notes"]),
        )

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        return f"{self.line}:{self.column}: {self.severity}[{self.code}]: {self.message}"


def diagnostics(items: Sequence[Mapping[str, Any]]) -> "list[Diagnostic]":
    return [Diagnostic._from_dict(d) for d in items]


class CompileError(Exception):
    """The model does not compile (``usimc`` would exit with code 1).

    ``diagnostics`` holds every diagnostic, errors and warnings, in source
    order; ``rendered`` is the text usimc writes on stderr for them (without
    colour), ending with ``NAME: N errors found``. In a sweep, ``combination``
    names the param values at which the model failed (``"N=0"``).
    """

    diagnostics: "list[Diagnostic]"
    rendered: str
    combination: Optional[str]

    def __init__(self, diagnostics: Sequence[Diagnostic], rendered: str, combination: Optional[str] = None) -> None:
        super().__init__(rendered.rstrip("\n"))
        self.diagnostics = list(diagnostics)
        self.rendered = rendered
        self.combination = combination

    @property
    def errors(self) -> "list[Diagnostic]":
        """The diagnostics that are errors."""
        return [d for d in self.diagnostics if d.is_error]

    def __str__(self) -> str:
        return self.rendered.rstrip("\n")


class RuntimeError(builtins.RuntimeError):
    """A run ended with a runtime error (``usimc`` would exit with code 3).

    ``line`` and ``column`` say where in the model (``None`` when not known),
    ``time`` is the simulated time and ``process`` the process that was
    running (empty when none was). ``run``, ``combination`` and
    ``replication`` place the run in the experiment's grid, ``run_name`` is
    how usimc names it (``"the run with N=2, replication 1"``; ``None`` when
    it was the only run). ``output`` is what the runs printed, up to the
    error; ``rendered`` is what usimc writes on stderr.
    """

    message: str
    line: Optional[int]
    column: Optional[int]
    time: float
    process: str
    run: int
    combination: int
    replication: int
    run_name: Optional[str]
    output: str
    rendered: str

    def __init__(
        self,
        message: str,
        *,
        line: Optional[int] = None,
        column: Optional[int] = None,
        time: float = 0.0,
        process: str = "",
        run: int = 0,
        combination: int = 0,
        replication: int = 0,
        run_name: Optional[str] = None,
        output: str = "",
        rendered: str = "",
    ) -> None:
        super().__init__(rendered.rstrip("\n") or message)
        self.message = message
        self.line = line
        self.column = column
        self.time = time
        self.process = process
        self.run = run
        self.combination = combination
        self.replication = replication
        self.run_name = run_name
        self.output = output
        self.rendered = rendered

    @classmethod
    def _from_dict(cls, d: Mapping[str, Any]) -> "RuntimeError":
        return cls(
            d["message"],
            line=d["line"],
            column=d["column"],
            time=d["time"],
            process=d["process"],
            run=d["run"],
            combination=d["combination"],
            replication=d["replication"],
            run_name=d["name"],
            output=d["output"],
            rendered=d["rendered"],
        )

    def __str__(self) -> str:
        return self.rendered.rstrip("\n") or self.message


class UsageError(ValueError):
    """An option usimc refuses (its command line would exit with code 2):
    ``reps=0``, a ``set`` name the model has no param for, a value of the
    wrong type."""


class InternalError(Exception):
    """A bug in usimc; please report it with the model."""


class UsimcWarning(UserWarning):
    """What usimc says on stderr without failing: a run that ended before the warm-up."""
