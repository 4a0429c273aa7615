"""Typed use of the package, for `mypy --strict` (test_typing.py); not a test itself."""

from typing import Any, Dict, List, Optional

import usimc


def mean_wait(path: str) -> float:
    m: usimc.Model = usimc.Model.from_file(path)
    r: usimc.Report = m.run(seed=1, reps=10, jobs=2, until=480.0, warmup=None, set={"CUSTOMERS": [20, 40]})
    rows: usimc.Table = r.tallies.where(name="wait", statistic="mean")
    first: Dict[str, Any] = rows[0]
    value: float = float(first["mean"])
    text: str = r.json + r.output
    names: List[str] = r.swept
    return value + len(text) + len(names)


def explain(source: str) -> Optional[int]:
    try:
        usimc.Model.from_source(source, name="m.usim").run()
    except usimc.CompileError as e:
        d: usimc.Diagnostic = e.diagnostics[0]
        return d.line + d.column + len(d.code) + len(e.rendered)
    except usimc.RuntimeError as e:
        line: Optional[int] = e.line
        t: float = e.time
        p: str = e.process
        return (line or 0) + int(t) + len(p)
    return None


version: str = usimc.__version__
