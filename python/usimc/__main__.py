"""The ``usimc`` command, run in this process: ``usimc run model.usim``
(the console script the wheel installs) or ``python -m usimc ...``. It
behaves as the ``usimc`` binary: the same output on stdout and stderr, the
same exit codes."""

import os
import sys
from typing import List, Optional

from . import _usimc


def main(argv: Optional[List[str]] = None) -> None:
    """Runs the command line with ``argv`` (default: ``sys.argv[1:]``) and exits with its code."""
    args = sys.argv[1:] if argv is None else argv
    # What Python has buffered goes first; usimc writes to the descriptors.
    for stream in (sys.stdout, sys.stderr):
        if stream is not None:
            stream.flush()
    code = _usimc.main([b"usimc", *(os.fsencode(a) for a in args)])
    sys.exit(code)


if __name__ == "__main__":
    main()
