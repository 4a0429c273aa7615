"""The ``usimc`` command, run in this process: ``usimc run model.usim``
(the console script the wheel installs) or ``python -m usimc ...``. It
behaves as the ``usimc`` binary: the same output on stdout and stderr, the
same exit codes."""

import os
import signal
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
    # usimc takes Ctrl-C over, as the binary does (a first one stops the
    # runs where they are, a second ends the process); Python's handler is
    # put back after, for a caller that goes on.
    handler = signal.getsignal(signal.SIGINT)
    try:
        code = _usimc.main([b"usimc", *(os.fsencode(a) for a in args)])
    finally:
        if handler is not None:
            try:
                signal.signal(signal.SIGINT, handler)
            except ValueError:  # not the main thread: nothing was changed for it
                pass
    sys.exit(code)


if __name__ == "__main__":
    main()
