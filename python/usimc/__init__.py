"""usim from Python: compile and run discrete-event simulation models
in-process, on the same compiler and runtime as the ``usimc`` command, and
get their reports as tidy tables.

    import usimc
    m = usimc.Model.from_file("examples/bank.usim")
    r = m.run(reps=10, set={"CUSTOMERS": [20, 40]})
    print(r.output)          # what the runs printed, in run order
    r.tallies.to_pandas()    # one row per combination and figure
    r.json                   # exactly `usimc run --report json`
"""

from ._errors import CompileError, Diagnostic, InternalError, RuntimeError, UsageError, UsimcWarning
from ._model import Model
from ._report import Report
from ._table import Table
from ._usimc import version as _version

__version__: str = _version()

__all__ = [
    "CompileError",
    "Diagnostic",
    "InternalError",
    "Model",
    "Report",
    "RuntimeError",
    "Table",
    "UsageError",
    "UsimcWarning",
    "__version__",
]
