"""Helpers shared by the benchmarks: best-of-N timing, plain-text tables, JSON output."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
OUT_DIR = REPO_ROOT / "out" / "bench"


def best_time(
    fn: Callable[[], T], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> tuple[float, T]:
    """Run fn `repeats` times (at least once); return the shortest time, s, and the last result. `clock` is
    wall time by default; `time.process_time` counts only this process's CPU time, which on a machine shared
    with other work is closer to the cost of the code itself."""
    best = math.inf
    result: T | None = None
    for _ in range(max(1, repeats)):
        start = clock()
        result = fn()
        best = min(best, clock() - start)
    assert result is not None
    return best, result


def fmt(value: float | None, digits: int = 3) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "—"
    return f"{value:.{digits}f}"


def ratio(value: float | None, reference: float | None) -> float | None:
    if value is None or reference is None or reference == 0.0:
        return None
    if not (math.isfinite(value) and math.isfinite(reference)):
        return None
    return value / reference


def print_table(headers: Sequence[str], rows: Sequence[Sequence[str]], title: str | None = None) -> None:
    """A left-aligned first column and right-aligned numbers."""
    widths = [len(h) for h in headers]
    for row in rows:
        widths = [max(w, len(cell)) for w, cell in zip(widths, row, strict=True)]
    if title:
        print(title)

    def line(cells: Sequence[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = [cell.rjust(w) for cell, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    print(line(headers))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print(line(row))
    print()


def write_json(name: str, payload: dict[str, Any]) -> Path:
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    path = OUT_DIR / name
    path.write_text(json.dumps(_jsonable(payload), indent=2, allow_nan=False) + "\n")
    return path


def _jsonable(value: Any) -> Any:
    """Plain JSON: numpy scalars and arrays as Python values, NaN and infinities as null."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "tolist"):
        return _jsonable(value.tolist())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
