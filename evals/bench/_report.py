"""One table format for every benchmark: figure, value, baseline, ratio."""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from rich.console import Console
from rich.table import Table

# Reports go to files and CI logs too: never squeeze tables into 80 columns there.
console = Console(highlight=False, width=None if sys.stdout.isatty() else 150)


@dataclass
class BenchReport:
    """Rows of one benchmark area, printed as a Rich table."""

    title: str
    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)

    def add(self, figure: str, value: float, unit: str, baseline: float | None = None, note: str = "") -> None:
        """Add a figure; with a baseline, the ratio value/baseline is printed (higher is better for rates)."""
        ratio = f"{value / baseline:.1f}x" if baseline else ""
        base = f"{baseline:,.1f} {unit}" if baseline is not None else ""
        self.rows.append((figure, f"{value:,.1f} {unit}", base, ratio, note))

    def print(self) -> None:
        """Print the table."""
        table = Table(title=self.title, title_justify="left")
        for col in ("Figure", "Value", "Baseline (same run)", "Ratio", "Note"):
            table.add_column(col)
        for row in self.rows:
            table.add_row(*row)
        console.print(table)


@contextmanager
def timed() -> Iterator[Callable[[], float]]:
    """`with timed() as elapsed:` ... `elapsed()` gives seconds since entry."""
    start = time.perf_counter()
    yield lambda: time.perf_counter() - start


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB (Linux ru_maxrss is KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_isolated(fn: Callable[..., Any], *args: Any) -> Any:
    """Run fn(*args) in a fresh process (so peak RSS is its own) and return its result."""
    import multiprocessing as mp

    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(fn, args)
