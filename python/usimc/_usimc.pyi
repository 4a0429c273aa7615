"""The extension module (python/src/lib.rs). Private: use the package."""

from typing import Any, List, Optional, Sequence, Tuple

def version() -> str: ...
def source_read_limit() -> int: ...
def decode(data: bytes, size: Optional[int], name: str) -> Tuple[str, Any]: ...
def check(source: str, name: str) -> Tuple[str, Any]: ...
def run(
    source: str,
    name: str,
    *,
    seed: int,
    reps: int,
    jobs: Optional[int],
    until: Optional[float],
    warmup: Optional[float],
    set: Sequence[Tuple[str, List[str]]],
    trace: bool,
    tie_order: str,
    max_processes: int,
) -> Tuple[str, Any]: ...
def main(argv: Sequence[bytes]) -> int: ...
